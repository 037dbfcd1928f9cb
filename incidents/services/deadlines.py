"""Periodic jobs on the deadline: remind before it runs out, escalate once it is breached.

Both are set-based and safe to run twice or in two schedulers at once: each batch locks its
candidates with ``SELECT … FOR UPDATE SKIP LOCKED`` under the same condition that selects them
(``reminded_at`` / ``breached_at`` still empty), marks them in one UPDATE and writes the events
and emails in the same transaction. A second run, or a concurrent one, finds nothing left to do
(exactly once per deadline).
"""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ssi_portal.lib.working_days import END_OF_DAY, LONDON

from ..calendar import deadline_text, working_day_calendar
from ..models import Assignment, Incident, IncidentEvent, IncidentStatus
from .events import change_of, record_events

Kind = IncidentEvent.Kind
BATCH_SIZE = 1000


def _running(**extra):
    return Incident.objects.filter(status=IncidentStatus.AWAITING_INSTALLER, **extra)


def _lock_batch(queryset, batch_size: int) -> list[Incident]:
    return list(
        queryset.select_for_update(skip_locked=True, of=("self",))
        .select_related("device", "raising_supplier", "assigned_supplier", "raised_by")
        .prefetch_related("assigned_supplier__contacts")
        .order_by("due_at", "pk")[:batch_size]
    )


def _record_batch(batch: list[Incident], kind: str, message, now: dt.datetime) -> None:
    """One event per incident (no actor: the portal) and their emails, inside the caller's
    transaction."""
    record_events(
        [
            change_of(incident, kind, actor=None, from_status="", message=message(incident))
            for incident in batch
        ],
        now=now,
    )


def incident_escalate_overdue(
    *, now: dt.datetime | None = None, batch_size: int = BATCH_SIZE
) -> int:
    """Escalate every incident whose deadline has passed and that is not escalated yet.

    Marks ``breached_at`` on the incident and its running assignment, writes a ``breached``
    event and emails the assigned Supplier, the raiser and the DCC helpdesk. The incident stays
    with the assigned Supplier: a late answer is still accepted and recorded as late.
    Returns how many incidents were escalated.
    """
    now = now or timezone.now()
    escalated = 0
    while True:
        with transaction.atomic():
            batch = _lock_batch(_running(breached_at__isnull=True, due_at__lt=now), batch_size)
            if not batch:
                return escalated
            ids = [incident.pk for incident in batch]
            Incident.objects.filter(pk__in=ids).update(breached_at=now, updated_at=now)
            Assignment.objects.filter(incident_id__in=ids, ended_at__isnull=True).update(
                breached_at=now
            )
            for incident in batch:
                incident.breached_at = now

            def message(incident):
                return (
                    f"{incident.assigned_supplier.name} did not answer by "
                    f"{deadline_text(incident.due_at, now=now)}: escalated to the DCC helpdesk."
                )

            _record_batch(batch, Kind.BREACHED, message, now)
        escalated += len(batch)


def reminder_cutoff(now: dt.datetime, working_days_left: int) -> dt.datetime:
    """Deadlines up to this instant have ``working_days_left`` Working Days or fewer to go
    (today counting when it is a Working Day)."""
    today = timezone.localtime(now, LONDON).date()
    last_day = working_day_calendar().add_working_days(
        today - dt.timedelta(days=1), working_days_left
    )
    return dt.datetime.combine(last_day, END_OF_DAY, tzinfo=LONDON)


def incidents_remind_due(*, now: dt.datetime | None = None, batch_size: int = BATCH_SIZE) -> int:
    """Remind the assigned Supplier once when ``SSI_REMINDER_WORKING_DAYS`` are left.

    Writes a ``reminded`` event and emails the assigned Supplier's contact addresses.
    Returns how many incidents were reminded.
    """
    now = now or timezone.now()
    cutoff = reminder_cutoff(now, settings.SSI_REMINDER_WORKING_DAYS)
    reminded = 0
    while True:
        with transaction.atomic():
            batch = _lock_batch(
                _running(
                    reminded_at__isnull=True,
                    breached_at__isnull=True,
                    due_at__gte=now,
                    due_at__lte=cutoff,
                ),
                batch_size,
            )
            if not batch:
                return reminded
            Incident.objects.filter(pk__in=[i.pk for i in batch]).update(reminded_at=now)

            def message(incident):
                return (
                    "Reminder sent: the answer is due by "
                    f"{deadline_text(incident.due_at, now=now)}."
                )

            _record_batch(batch, Kind.REMINDED, message, now)
        reminded += len(batch)
