"""Closing the requests an SMI load has overtaken.

A request for an install code serves a Device awaiting commissioning. When the SMI shows the
Device Commissioned, the code is no longer needed; Decommissioned, Withdrawn or Suspended, it
can no longer be used. The portal then closes the request itself, says why on its timeline,
and tells both Suppliers.

Set-based and safe to run twice or concurrently, like the deadline sweeps: each batch locks
its candidates with ``SELECT … FOR UPDATE SKIP LOCKED`` under the condition that selects them
(still open, Device in one of those statuses), closes them with one UPDATE per outcome, and
writes the events and emails in the same transaction. A second run finds nothing to do
(exactly once per request). A request locked by someone's action at that moment is skipped;
the next run, or one with ``device_ids=None``, closes it.
"""

import datetime as dt
from collections.abc import Callable, Iterable
from itertools import batched

from django.db import transaction
from django.utils import timezone

from accounts.models import SecurityEvent, SecurityEventKind
from inventory.models import SMIStatus

from ..models import (
    OPEN_STATUSES,
    Assignment,
    AssignmentOutcome,
    Incident,
    IncidentEvent,
    PortalCloseOutcome,
)
from .events import change_of, record_events
from .lifecycle import CLOSE_FIELDS, apply_close

Kind = IncidentEvent.Kind
BATCH_SIZE = 1000
# Device pks per query when the caller names the Devices (a load's status changes).
IDS_PER_QUERY = 5000

OUTCOME_BY_STATUS = {
    SMIStatus.COMMISSIONED: PortalCloseOutcome.DEVICE_COMMISSIONED,
    SMIStatus.DECOMMISSIONED: PortalCloseOutcome.DEVICE_LEFT_SMI,
    SMIStatus.WITHDRAWN: PortalCloseOutcome.DEVICE_LEFT_SMI,
    SMIStatus.SUSPENDED: PortalCloseOutcome.DEVICE_LEFT_SMI,
}


def incidents_sync_with_smi(
    *,
    device_ids: Iterable[int] | None = None,
    now: dt.datetime | None = None,
    batch_size: int = BATCH_SIZE,
) -> int:
    """Close every open request whose Device the SMI now shows Commissioned (outcome
    ``device_commissioned``) or Decommissioned, Withdrawn or Suspended (``device_left_smi``).

    ``device_ids``: the pks of the Devices to look at (those whose SMI status a load changed);
    ``None`` looks at every open request. The running clock, if any, ends as ``withdrawn``;
    a provided install code stays until the usual purge. Writes one ``closed`` event per
    request (no actor: the portal) saying why, and emails the raiser and the assigned
    Supplier (the helpdesk for a request it held). Returns how many requests were closed.
    """
    now = now or timezone.now()
    candidates = Incident.objects.filter(
        status__in=OPEN_STATUSES, device__smi_status__in=list(OUTCOME_BY_STATUS)
    )
    if device_ids is None:
        return _close_all(candidates, now, batch_size)
    return sum(
        _close_all(candidates.filter(device_id__in=chunk), now, batch_size)
        for chunk in batched(device_ids, IDS_PER_QUERY)
    )


def _close_all(candidates, now: dt.datetime, batch_size: int) -> int:
    return portal_close_all(
        candidates,
        now=now,
        batch_size=batch_size,
        outcome_for=lambda incident: OUTCOME_BY_STATUS[incident.device.smi_status],
        message_for=closing_message,
    )


def portal_close_all(
    candidates,
    *,
    now: dt.datetime,
    batch_size: int,
    outcome_for: Callable[[Incident], str],
    message_for: Callable[[Incident], str],
    context: dict | None = None,
    purge_code: bool = False,
) -> int:
    """Close every incident of ``candidates`` (a queryset of open incidents that still
    selects them once closed by another run: it must filter on an open status), batch by
    batch under ``SKIP LOCKED``. ``outcome_for`` and ``message_for`` give each one's
    ``PortalCloseOutcome`` and the words of its ``closed`` event (no actor: the portal);
    ``context`` goes into its emails; ``purge_code`` deletes a provided install code at once
    (security log entry each). Returns how many were closed."""
    closed = 0
    while True:
        with transaction.atomic():
            batch = list(
                candidates.select_for_update(skip_locked=True, of=("self",))
                .select_related("device", "raising_supplier", "assigned_supplier", "raised_by")
                .prefetch_related("assigned_supplier__contacts")
                .order_by("pk")[:batch_size]
            )
            if not batch:
                return closed
            _close_batch(batch, now, outcome_for, message_for, context or {}, purge_code)
        closed += len(batch)


def _close_batch(
    batch: list[Incident],
    now: dt.datetime,
    outcome_for: Callable[[Incident], str],
    message_for: Callable[[Incident], str],
    context: dict,
    purge_code: bool,
) -> None:
    """Close the locked incidents; the events and emails in the caller's transaction."""
    from_statuses = {
        incident.pk: apply_close(incident, outcome=outcome_for(incident), now=now)
        for incident in batch
    }
    # One UPDATE per outcome, setting the fields ``apply_close`` set on each of its incidents.
    by_outcome: dict[str, list[Incident]] = {}
    for incident in batch:
        by_outcome.setdefault(incident.close_outcome, []).append(incident)
    purged = [incident for incident in batch if purge_code and incident.has_install_code]
    for incidents in by_outcome.values():
        Incident.objects.filter(pk__in=[i.pk for i in incidents]).update(
            **{field: getattr(incidents[0], field) for field in CLOSE_FIELDS}
        )
    if purged:
        Incident.objects.filter(pk__in=[i.pk for i in purged]).update(install_code_sealed=None)
        SecurityEvent.objects.bulk_create(
            SecurityEvent(
                kind=SecurityEventKind.CODE_PURGED,
                reference=incident.reference,
                detail="Install code deleted when the portal cancelled the request: "
                "its raiser is no longer entitled to it.",
                created_at=now,
            )
            for incident in purged
        )
    Assignment.objects.filter(incident__in=batch, ended_at__isnull=True).update(
        ended_at=now, outcome=AssignmentOutcome.WITHDRAWN
    )
    record_events(
        [
            change_of(
                incident,
                Kind.CLOSED,
                actor=None,
                from_status=from_statuses[incident.pk],
                message=message_for(incident),
            )
            for incident in batch
        ],
        now=now,
        context=context,
    )


def closing_message(incident: Incident) -> str:
    """Why the portal closed the request, naming the Device's SMI status and its date."""
    device = incident.device
    day = device.status_effective_date
    since = f" since {day.day} {day:%B %Y}" if day else ""
    if device.smi_status == SMIStatus.COMMISSIONED:
        return (
            f"The Device was commissioned (SMI status Commissioned{since}): the request is no "
            "longer needed."
        )
    return (
        f"The Device is {device.smi_status} in the SMI{',' if since else ''}{since}: the "
        "request is cancelled, as no install code can be used for it now. Raise a new request "
        "if the SMI shows it awaiting commissioning again."
    )
