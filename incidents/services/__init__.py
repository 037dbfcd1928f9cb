"""Every change to an incident goes through one of these services.

Each transition follows one recipe: ``transaction.atomic()`` → re-read the row with
``select_for_update()`` → check the guard → set fields → ``save(update_fields=...)`` → write an
``IncidentEvent`` → write the notification rows of that event (delivered after commit).
"""

from .common import (
    CODE_AS_DEVICE_ID_MESSAGE,
    CONTAINS_CODE_MESSAGE,
    NOTE_MAX_LENGTH,
    IncidentError,
    looks_like_install_code,
)
from .deadlines import incident_escalate_overdue, incidents_remind_due
from .entitlement import RateLimited
from .lifecycle import (
    incident_add_note,
    incident_answer,
    incident_answer_not_installed,
    incident_close,
    incident_reassign,
    incident_report_code_failed,
    incident_reveal_code,
    not_installed_reason_clean,
)
from .raising import RaisePreview, device_refusal, incident_raise, incident_raise_preview
from .registration_sync import incidents_cancel_registration_moved
from .smi_sync import incidents_sync_with_smi

__all__ = [
    "CODE_AS_DEVICE_ID_MESSAGE",
    "CONTAINS_CODE_MESSAGE",
    "NOTE_MAX_LENGTH",
    "IncidentError",
    "RaisePreview",
    "RateLimited",
    "device_refusal",
    "incident_add_note",
    "incident_answer",
    "incident_answer_not_installed",
    "incidents_cancel_registration_moved",
    "incident_escalate_overdue",
    "incidents_remind_due",
    "incidents_sync_with_smi",
    "incident_close",
    "incident_raise",
    "incident_raise_preview",
    "incident_reassign",
    "incident_report_code_failed",
    "incident_reveal_code",
    "looks_like_install_code",
    "not_installed_reason_clean",
]
