"""What every incident service shares: the domain error, row locking, the transition check, the
refusal of what :mod:`incidents.permissions` does not allow, and the cleaning of free text."""

import re

from django.conf import settings
from django.core.exceptions import PermissionDenied

from ..models import TRANSITIONS, Incident
from ..permissions import Decision, Refusal

NOTE_MAX_LENGTH = 2000
# Hex digits with light separators between them; a run holding 32 or more is treated as an
# install code (a credential) once the Device IDs in it are set aside.
_HEX_RUN = re.compile(r"(?:[0-9A-Fa-f][\s.:_,\-]{0,3}){32,}")
# A Device ID standing alone: not part of a longer run of hex pairs (16 pairs are a code).
_DEVICE_ID_IN_TEXT = re.compile(
    r"(?<![0-9A-Fa-f][-:])(?:[0-9A-Fa-f]{2}[-:]){7}[0-9A-Fa-f]{2}(?![-:][0-9A-Fa-f])"
)
_HEX_DIGIT = re.compile(r"[0-9A-Fa-f]")


# The refusals of text that holds what looks like an install code. The page that refuses it
# does not send the text back (incidents.forms.incidents: the code-safe widgets), and says so.
CONTAINS_CODE_MESSAGE = (
    "This text looks like it contains an install code. Install codes are credentials: provide "
    "them only with the Answer form, never in free text. What you typed has not been kept: "
    "type it again without the code."
)
CODE_AS_DEVICE_ID_MESSAGE = (
    "This looks like an install code, not a Device ID (a Device ID has 16 hex digits, e.g. "
    "00-DB-12-34-56-78-90-A0). Install codes are credentials: what you typed has not been kept."
)


class IncidentError(Exception):
    """A request the rules refuse. ``code`` is machine-readable; ``message`` is for the user."""

    def __init__(self, code: str, message: str, *, field: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


def portal_url(path: str) -> str:
    """The address of a portal page, for emails and files read away from the portal."""
    return settings.PORTAL_BASE_URL.rstrip("/") + path


def lock_incident(incident: Incident) -> Incident:
    """The incident's row read again under its lock, with what its events and emails name."""
    return (
        Incident.objects.select_for_update(of=("self",))
        .select_related("device", "raising_supplier", "assigned_supplier", "raised_by")
        .get(pk=incident.pk)
    )


def move_status(incident: Incident, to_status: str) -> str:
    """Set the incident's status as the transition table allows; return the status it left."""
    from_status = incident.status
    if to_status not in TRANSITIONS[from_status]:
        raise IncidentError(Refusal.MOVED_ON.code, Refusal.MOVED_ON.message(incident))
    incident.status = to_status
    return from_status


def require_party(decision: Decision) -> None:
    """Refuse (``PermissionDenied``) a user who may not take this action at all."""
    if not decision.allowed and not decision.refusal.of_state:
        raise PermissionDenied(decision.refusal.text)


def require(decision: Decision, incident: Incident) -> None:
    """Refuse an action :mod:`incidents.permissions` refuses: ``PermissionDenied`` for who
    asks, :class:`IncidentError` for the state the request is in."""
    require_party(decision)
    if not decision.allowed:
        raise IncidentError(decision.refusal.code, decision.refusal.message(incident))


def clean_text(value: str, *, field: str, required: bool) -> str:
    """Free text (a note, a reason) stripped, or :class:`IncidentError`: missing when
    required, too long, or holding what looks like an install code."""
    value = (value or "").strip()
    if required and not value:
        raise IncidentError("required", "This field is required.", field=field)
    if len(value) > NOTE_MAX_LENGTH:
        raise IncidentError(
            "too_long",
            f"Keep this under {NOTE_MAX_LENGTH} characters (it has {len(value)}).",
            field=field,
        )
    if looks_like_install_code(value):
        raise IncidentError("contains_code", CONTAINS_CODE_MESSAGE, field=field)
    return value


def looks_like_install_code(text: str) -> bool:
    """Whether free text seems to hold an install code (32+ hex digits in a run, not counting
    Device IDs written with their separators)."""
    for run in _HEX_RUN.finditer(text):
        rest = _DEVICE_ID_IN_TEXT.sub(" ", run.group())
        if any(len(_HEX_DIGIT.findall(part)) >= 32 for part in _HEX_RUN.findall(rest)):
            return True
    return False
