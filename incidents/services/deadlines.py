"""Periodic jobs on the deadline: remind before it runs out, escalate once it is breached.

Both are set-based and safe to run twice or in two schedulers at once: each batch locks its
candidates with ``SELECT … FOR UPDATE SKIP LOCKED`` under the same condition that selects them
(``reminded_at`` / ``breached_at`` still empty), marks them in one UPDATE with the sweep's time
and writes their events in the same transaction. A second run, or a concurrent one, finds
nothing left to do (exactly once per deadline). Nobody is emailed per request: once its batches
are done, a sweep writes one digest per organisation told (:mod:`.digests`).
"""

import datetime as dt
from functools import cache

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from notifications.services import notification_queue_many
from ssi_portal.lib.bulk_sql import any_of
from ssi_portal.lib.working_days import END_OF_DAY, LONDON

from ..calendar import deadline_text, working_day_calendar
from ..models import Assignment, Incident, IncidentEvent, IncidentStatus
from .digests import BREACH, REMINDER, Sweep, deadline_digests
from .events import Change, record_events

Kind = IncidentEvent.Kind
BATCH_SIZE = 5000


def _running(**extra):
    return Incident.objects.filter(status=IncidentStatus.AWAITING_INSTALLER, **extra)


def _lock_batch(queryset, batch_size: int) -> list[tuple[int, dt.datetime, str]]:
    """(id, deadline, assigned Supplier's name) of the next batch, locked."""
    return list(
        queryset.select_for_update(skip_locked=True, of=("self",))
        .order_by("due_at", "pk")
        .values_list("pk", "due_at", "assigned_supplier__name")[:batch_size]
    )


def _record_batch(ids: list[int], kind: str, messages, now: dt.datetime) -> None:
    """One event per incident (no actor: the portal), inside the caller's transaction; the
    emails are the sweep's digests."""
    record_events(
        [
            Change(
                incident_id=pk,
                kind=kind,
                actor_id=None,
                actor_supplier_id=None,
                from_status="",
                to_status="",
                message=message,
            )
            for pk, message in zip(ids, messages, strict=True)
        ],
        now=now,
        emails=False,
    )


def _queue_digests(sweep: Sweep, now: dt.datetime) -> None:
    # Its own transaction, after the batches: the digest lists every request the sweep
    # stamped. Should the sweep die first, a later sweep catches its stamp up.
    with transaction.atomic():
        notification_queue_many(deadline_digests(sweep, now=now))


def incident_escalate_overdue(
    *, now: dt.datetime | None = None, batch_size: int = BATCH_SIZE
) -> int:
    """Escalate every incident whose deadline has passed and that is not escalated yet.

    Marks ``breached_at`` (the sweep's time) on the incident and its running assignment and
    writes a ``breached`` event, batch by batch; then queues one digest to each assigned
    Supplier and each raiser listing its requests, and one summary to the DCC helpdesk. The
    incident stays with the assigned Supplier: a late answer is still accepted and recorded as
    late. Returns how many incidents were escalated.
    """
    now = now or timezone.now()

    @cache  # a sweep's thousands of requests share a few Suppliers and deadline days
    def message(name: str, due_at: dt.datetime) -> str:
        return (
            f"{name} did not answer by {deadline_text(due_at, now=now)}: "
            "escalated to the DCC helpdesk."
        )

    escalated = 0
    while True:
        with transaction.atomic():
            batch = _lock_batch(_running(breached_at__isnull=True, due_at__lt=now), batch_size)
            if not batch:
                break
            ids = [pk for pk, _, _ in batch]
            Incident.objects.filter(any_of("pk", ids, "bigint")).update(
                breached_at=now, updated_at=now
            )
            Assignment.objects.filter(
                any_of("incident_id", ids, "bigint"), ended_at__isnull=True
            ).update(breached_at=now)
            messages = [message(name, due_at) for _, due_at, name in batch]
            _record_batch(ids, Kind.BREACHED, messages, now)
        escalated += len(batch)
    _queue_digests(BREACH, now)
    return escalated


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

    Marks ``reminded_at`` (the sweep's time) and writes a ``reminded`` event, batch by batch;
    then queues one digest to each assigned Supplier's contact addresses listing its requests.
    Returns how many incidents were reminded.
    """
    now = now or timezone.now()
    cutoff = reminder_cutoff(now, settings.SSI_REMINDER_WORKING_DAYS)

    @cache
    def message(due_at: dt.datetime) -> str:
        return f"Reminder sent: the answer is due by {deadline_text(due_at, now=now)}."

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
                break
            ids = [pk for pk, _, _ in batch]
            Incident.objects.filter(any_of("pk", ids, "bigint")).update(reminded_at=now)
            messages = [message(due_at) for _, due_at, _ in batch]
            _record_batch(ids, Kind.REMINDED, messages, now)
        reminded += len(batch)
    _queue_digests(REMINDER, now)
    return reminded
