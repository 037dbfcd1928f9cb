"""The five-Working-Day clock: started when a Supplier is notified, stopped by its answer, a
reassignment or the raiser closing, paused while the helpdesk holds the incident.

Each run of the clock is an :class:`Assignment` row; the incident mirrors the running one in
``assigned_supplier``, ``notified_at`` and ``due_at`` (indexed, for lists and the sweeps).
Callers hold the incident's row lock and save the incident's fields themselves.
"""

import datetime as dt

from django.utils import timezone

from accounts.models import Supplier
from ssi_portal.lib.compiled import CompiledInsert
from ssi_portal.lib.working_days import LONDON, WorkingDayCalendar

from ..calendar import answer_deadline, deadline_text, working_day_calendar
from ..models import ANSWERED_OUTCOMES, Assignment, Incident

CLOCK_FIELDS = ["assigned_supplier", "notified_at", "due_at", "reminded_at", "breached_at"]


def clock_start(
    incident: Incident,
    supplier: Supplier,
    *,
    now: dt.datetime,
    due_at: dt.datetime | None = None,
) -> str:
    """Point the incident at ``supplier`` with a fresh deadline; return the words for the event.

    ``due_at``: the deadline for ``now`` when the caller computed it already (a bulk upload
    computes it once per chunk of rows). Call :func:`clock_record_start` once the incident
    row is saved.
    """
    incident.assigned_supplier = supplier
    incident.notified_at = now
    incident.due_at = due_at or answer_deadline(now)
    incident.reminded_at = None
    incident.breached_at = None
    return (
        "The five-Working-Day clock starts: answer due by "
        f"{deadline_text(incident.due_at, now=now)}."
    )


def clock_record_start(incident: Incident) -> Assignment:
    [assignment] = _ASSIGNMENT_INSERT.insert(
        [
            Assignment(
                incident=incident,
                supplier_id=incident.assigned_supplier_id,
                notified_at=incident.notified_at,
                due_at=incident.due_at,
            )
        ]
    )
    return assignment


_ASSIGNMENT_INSERT = CompiledInsert(Assignment, most=1)


def clock_stop(incident: Incident, *, now: dt.datetime, outcome: str) -> None:
    """End the running assignment, if any, recording whether an answer was late."""
    fields = clock_stop_fields(incident, now=now, outcome=outcome)
    if fields:
        Assignment.objects.filter(incident=incident, ended_at__isnull=True).update(**fields)


def clock_stop_fields(
    incident: Incident,
    *,
    now: dt.datetime,
    outcome: str,
    calendar: WorkingDayCalendar | None = None,
) -> dict | None:
    """The fields that end the running assignment (None when no clock runs), unwritten:
    :func:`clock_stop` writes them for one incident, a bulk answer for many at once."""
    if incident.due_at is None or incident.notified_at is None:
        return None
    fields: dict = {"ended_at": now, "outcome": outcome}
    if outcome in ANSWERED_OUTCOMES:
        fields["answered_late"] = now > incident.due_at
        fields["answer_working_days"] = (calendar or working_day_calendar()).working_days_between(
            timezone.localtime(incident.notified_at, LONDON).date(),
            timezone.localtime(now, LONDON).date(),
        )
    return fields


def clock_pause(incident: Incident) -> str:
    """The helpdesk holds the incident: no Supplier, no deadline."""
    incident.assigned_supplier = None
    incident.notified_at = None
    incident.due_at = None
    incident.reminded_at = None
    incident.breached_at = None
    return "The clock is paused until the DCC helpdesk assigns a Supplier."
