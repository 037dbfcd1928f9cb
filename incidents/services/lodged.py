"""Install codes lodged in advance by the installing Supplier (the direction of SEC MP281).

A Supplier lodges codes by CSV for Devices it pre-notified. A request later raised for such a
Device is answered at once from the lodged code, which moves into the incident (sealed again,
bound to the incident) and leaves this table. Lodged codes are sealed like every install code,
bound to their Device (``lodged:<Device ID>``), and purged once the Device is commissioned or
has left the SMI, or after ``SSI_LODGED_CODE_RETENTION_DAYS``.
"""

import datetime as dt
import logging
from collections.abc import Iterable

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from inventory.models import Device, SMIStatus
from ssi_portal.lib.bulk_sql import in_values
from ssi_portal.lib.crypto import SecretError, key_ring

from ..models import Assignment, Incident, IncidentEvent, LodgedCode
from .events import change_of, record_events
from .lifecycle import ANSWER_FIELDS, answer_with_code

logger = logging.getLogger(__name__)
Kind = IncidentEvent.Kind

# SMI statuses after which a lodged code can never be used.
PURGED_STATUSES = (SMIStatus.COMMISSIONED, SMIStatus.DECOMMISSIONED, SMIStatus.WITHDRAWN)


def answered_from_lodged_message(supplier_name: str) -> str:
    return f"Answered at once from the install code {supplier_name} lodged in advance."


# --- Using lodged codes -------------------------------------------------------------------------


def lodged_codes_take(devices: Iterable[Device]) -> dict[int, bytes]:
    """Remove and return the usable lodged codes of ``devices``: {Device pk: 16-byte code}.

    Usable: lodged by the Device's installing Supplier as the SMI names it now. Call inside the
    transaction that answers from the codes: their rows are locked and deleted in it, so a code
    answers one request only. A code that no longer opens (its key was retired) is left for
    the purge and the request waits for an answer as usual.
    """
    by_pk = {d.pk: d for d in devices if d.installing_supplier_id}
    if not by_pk:
        return {}
    rows = (
        LodgedCode.objects.select_for_update()
        .filter(in_values("device_id", by_pk, "bigint"))
        .values_list("device_id", "supplier_id", "code_sealed")
    )
    ring = key_ring()
    taken: dict[int, bytes] = {}
    for device_pk, supplier_id, sealed in rows:
        device = by_pk[device_pk]
        if supplier_id != device.installing_supplier_id:
            continue
        try:
            taken[device_pk] = ring.open(sealed, aad=LodgedCode.seal_context_for(device.device_id))
        except SecretError:
            logger.warning("Lodged code of Device %s does not open; left unused.", device_pk)
    if taken:
        LodgedCode.objects.filter(device_id__in=taken).delete()
    return taken


def incident_answer_from_lodged_code(
    incident: Incident, *, code: bytes, actor, raised_message: str, now: dt.datetime
) -> Incident:
    """Answer a request just raised (saved, clock started) from a code taken from its lodged
    code, inside the raise's transaction.

    Writes the ``raised`` event without its "assigned" email (there is nothing left to answer)
    and a ``code_provided`` event by the portal, marked as answered from a lodged code; emails
    the raiser that the code is there, and the installing Supplier that its code was used.
    """
    raised = change_of(incident, Kind.RAISED, actor=actor, from_status="", message=raised_message)
    installer = incident.assigned_supplier
    answer = answer_with_code(incident, supplier_id=installer.pk, code=code, now=now)
    Assignment.objects.filter(incident=incident, ended_at__isnull=True).update(
        **answer.clock_fields
    )
    incident.save(update_fields=ANSWER_FIELDS)
    answered = change_of(
        incident,
        Kind.CODE_PROVIDED,
        actor=None,
        from_status=answer.from_status,
        message=answered_from_lodged_message(installer.name),
    )
    record_events([raised, answered], now=now)
    return incident


# --- Purge --------------------------------------------------------------------------------------


def lodged_codes_purge(*, now: dt.datetime | None = None) -> int:
    """Delete the lodged codes that can no longer be used (Device Commissioned, Decommissioned
    or Withdrawn) or that are older than ``SSI_LODGED_CODE_RETENTION_DAYS``. One DELETE; safe
    to run twice. Returns how many were deleted."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.SSI_LODGED_CODE_RETENTION_DAYS)
    deleted, _ = LodgedCode.objects.filter(
        Q(device__smi_status__in=PURGED_STATUSES) | Q(lodged_at__lt=cutoff)
    ).delete()
    return deleted
