"""The five-Working-Day clock: starts, pauses, restarts, reminders and escalation."""

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection

from conftest import INSTALL_CODE
from incidents.models import Assignment, Incident, IncidentEvent, NonWorkingDay
from incidents.services import (
    incident_answer,
    incident_answer_not_installed,
    incident_close,
    incident_escalate_overdue,
    incident_raise,
    incident_reassign,
    incidents_remind_due,
)
from incidents.tasks import escalate_overdue_incidents, remind_incidents_due_soon
from notifications.models import Notification
from tests.factories import DeviceFactory

LONDON = ZoneInfo("Europe/London")
# Wednesday 1 April 2026, 10:00 in London: due at the end of Friday 10 April (Easter between).
RAISED_AT = dt.datetime(2026, 4, 1, 10, 0, tzinfo=LONDON)
DUE_AT = dt.datetime(2026, 4, 10, 23, 59, 59, tzinfo=LONDON)


@pytest.fixture
def raised(gaining_user, device):
    return incident_raise(actor=gaining_user, device_id=device.device_id, now=RAISED_AT)


def breach_events(incident):
    return IncidentEvent.objects.filter(incident=incident, kind="breached")


def test_raising_starts_the_clock_with_an_event_naming_the_deadline(raised):
    assert raised.due_at == DUE_AT
    assignment = raised.assignments.get()
    assert (assignment.supplier, assignment.due_at, assignment.ended_at) == (
        raised.assigned_supplier,
        DUE_AT,
        None,
    )
    assert "answer due by the end of Friday 10 April, UK time." in raised.events.get().message


def test_raising_on_a_saturday_counts_from_the_next_working_day(gaining_user, device):
    incident = incident_raise(
        actor=gaining_user,
        device_id=device.device_id,
        now=dt.datetime(2026, 11, 28, 9, 0, tzinfo=LONDON),
    )
    assert incident.due_at == dt.datetime(2026, 12, 4, 23, 59, 59, tzinfo=LONDON)


def test_an_extra_non_working_day_added_by_the_helpdesk_moves_the_deadline(gaining_user, device):
    NonWorkingDay.objects.create(date=dt.date(2026, 4, 8), description="Industry shutdown")
    incident = incident_raise(actor=gaining_user, device_id=device.device_id, now=RAISED_AT)
    assert incident.due_at == dt.datetime(2026, 4, 13, 23, 59, 59, tzinfo=LONDON)


def test_not_installed_pauses_the_clock_and_ends_the_assignment(raised, installing_user):
    incident = incident_answer_not_installed(
        actor=installing_user, incident=raised, now=RAISED_AT + dt.timedelta(days=1)
    )
    assert (incident.due_at, incident.assigned_supplier) == (None, None)
    assignment = raised.assignments.get()
    assert (assignment.outcome, assignment.answered_late, assignment.answer_working_days) == (
        "not_installed",
        False,
        1,
    )
    assert "clock is paused" in raised.events.latest("id").message


def test_reassigning_restarts_the_clock_from_the_day_of_reassignment(
    raised, installing_user, helpdesk_user, other_supplier
):
    incident_answer_not_installed(actor=installing_user, incident=raised, now=RAISED_AT)
    reassigned_at = dt.datetime(2026, 4, 14, 15, 0, tzinfo=LONDON)
    incident = incident_reassign(
        actor=helpdesk_user,
        incident=raised,
        supplier=other_supplier,
        reason="Found in registration history",
        now=reassigned_at,
    )
    assert incident.due_at == dt.datetime(2026, 4, 21, 23, 59, 59, tzinfo=LONDON)
    running = Assignment.objects.get(incident=raised, ended_at__isnull=True)
    assert running.supplier == other_supplier
    assert "A new" not in running.incident.events.latest("id").message
    assert "clock starts" in raised.events.latest("id").message


def test_closing_before_an_answer_ends_the_assignment_as_withdrawn(raised, gaining_user):
    incident_close(actor=gaining_user, incident=raised, outcome="no_longer_needed")
    assert raised.assignments.get().outcome == "withdrawn"


def test_escalation_never_happens_before_the_deadline(raised):
    assert incident_escalate_overdue(now=DUE_AT) == 0
    raised.refresh_from_db()
    assert raised.breached_at is None and not breach_events(raised).exists()


def test_escalation_happens_once_just_after_the_deadline(raised):
    after = DUE_AT + dt.timedelta(seconds=1)
    assert incident_escalate_overdue(now=after) == 1
    raised.refresh_from_db()
    assert raised.breached_at == after
    assert raised.status == "awaiting_installer"
    assert raised.assignments.get().breached_at == after
    assert breach_events(raised).count() == 1


def test_escalation_runs_once_when_swept_twice(raised):
    after = DUE_AT + dt.timedelta(hours=1)
    incident_escalate_overdue(now=after)
    assert incident_escalate_overdue(now=after + dt.timedelta(hours=1)) == 0
    assert breach_events(raised).count() == 1


def test_the_beat_task_escalates_with_the_real_clock(raised):
    with time_machine.travel(DUE_AT + dt.timedelta(minutes=5), tick=False):
        assert escalate_overdue_incidents() == 1
        assert escalate_overdue_incidents() == 0


def test_escalation_emails_the_installer_the_raiser_and_the_helpdesk(
    raised, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        incident_escalate_overdue(now=DUE_AT + dt.timedelta(seconds=1))
    sent = sorted((m.to[0], m.subject) for m in mailoutbox)
    installer = "[SSI] 1 Request for Install Code breached its deadline"
    assert sent == sorted(
        [
            ("installs@installing.example", installer),
            ("ops@installing.example", installer),
            (
                "raiser@gaining.example",
                "[SSI] 1 of your Request for Install Code escalated to the DCC helpdesk",
            ),
            ("helpdesk@dcc.example", "[SSI] 1 Request for Install Code escalated to the helpdesk"),
        ]
    )
    assert all(raised.reference in m.body for m in mailoutbox if "helpdesk@" not in m.to[0])


def test_a_late_answer_after_a_breach_is_accepted_and_recorded_as_late(raised, installing_user):
    incident_escalate_overdue(now=DUE_AT + dt.timedelta(seconds=1))
    incident = incident_answer(
        actor=installing_user,
        incident=raised,
        install_code=INSTALL_CODE,
        now=DUE_AT + dt.timedelta(days=2),
    )
    assert incident.status == "code_provided"
    assignment = raised.assignments.get()
    assert (assignment.outcome, assignment.answered_late) == ("code_provided", True)
    assert assignment.breached_at is not None
    assert "late" in raised.events.latest("id").message


def test_an_answered_incident_is_never_escalated(raised, installing_user):
    incident_answer(
        actor=installing_user, incident=raised, install_code=INSTALL_CODE, now=RAISED_AT
    )
    assert incident_escalate_overdue(now=DUE_AT + dt.timedelta(days=3)) == 0


def test_escalation_handles_many_incidents_in_batches(gaining_user, installing_supplier):
    for device in DeviceFactory.create_batch(7, installing_supplier=installing_supplier):
        incident_raise(actor=gaining_user, device_id=device.device_id, now=RAISED_AT)
    assert incident_escalate_overdue(now=DUE_AT + dt.timedelta(seconds=1), batch_size=3) == 7
    assert IncidentEvent.objects.filter(kind="breached").count() == 7


@pytest.mark.postgres("two schedulers locking rows at once")
@pytest.mark.django_db(transaction=True)
def test_two_schedulers_at_once_never_escalate_twice(gaining_supplier, installing_supplier):
    from tests.factories import UserFactory

    raiser = UserFactory(supplier=gaining_supplier)
    for device in DeviceFactory.create_batch(40, installing_supplier=installing_supplier):
        incident_raise(actor=raiser, device_id=device.device_id, now=RAISED_AT)
    barrier = threading.Barrier(2)
    counts = []

    def sweep(seconds):
        try:
            barrier.wait()
            swept_at = DUE_AT + dt.timedelta(days=1, seconds=seconds)
            counts.append(incident_escalate_overdue(now=swept_at, batch_size=5))
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(counts) == 40
    assert IncidentEvent.objects.filter(kind="breached").count() == 40
    # Each scheduler tells each organisation once of the requests it escalated.
    digests = Notification.objects.filter(template="deadline_breached_installer")
    assert sum(n.context["count"] for n in digests) == 40 * 2  # the installer's two contacts
    assert digests.count() <= 2 * 2


def test_the_reminder_goes_once_on_the_last_working_day(
    raised, mailoutbox, django_capture_on_commit_callbacks
):
    # Thursday 9 April: two Working Days left (Thursday and Friday): too early.
    assert incidents_remind_due(now=dt.datetime(2026, 4, 9, 9, 0, tzinfo=LONDON)) == 0
    friday = dt.datetime(2026, 4, 10, 8, 0, tzinfo=LONDON)
    with django_capture_on_commit_callbacks(execute=True):
        assert incidents_remind_due(now=friday) == 1
    assert incidents_remind_due(now=friday + dt.timedelta(hours=2)) == 0
    assert sorted(m.to[0] for m in mailoutbox) == [
        "installs@installing.example",
        "ops@installing.example",
    ]
    assert mailoutbox[0].subject == "[SSI] 1 Request for Install Code due soon"
    assert raised.reference in mailoutbox[0].body


def test_the_reminder_on_the_weekend_before_a_monday_deadline(gaining_user, device):
    incident = incident_raise(
        actor=gaining_user,
        device_id=device.device_id,
        now=dt.datetime(2026, 11, 16, 9, 0, tzinfo=LONDON),  # Monday → due Monday 23 Nov
    )
    saturday = dt.datetime(2026, 11, 21, 10, 0, tzinfo=LONDON)
    assert incidents_remind_due(now=saturday) == 1
    assert IncidentEvent.objects.filter(incident=incident, kind="reminded").count() == 1


def test_a_breached_incident_is_not_reminded(raised):
    incident_escalate_overdue(now=DUE_AT + dt.timedelta(seconds=1))
    assert incidents_remind_due(now=DUE_AT + dt.timedelta(hours=1)) == 0


def test_the_reminder_beat_task_uses_the_real_clock(raised):
    with time_machine.travel(dt.datetime(2026, 4, 10, 9, 0, tzinfo=LONDON), tick=False):
        assert remind_incidents_due_soon() == 1
        assert remind_incidents_due_soon() == 0


def test_a_fresh_deadline_after_the_code_did_not_work_can_be_reminded_and_breached_again(
    raised, installing_user, gaining_user
):
    from incidents.services import incident_report_code_failed

    incident_escalate_overdue(now=DUE_AT + dt.timedelta(seconds=1))
    incident_answer(
        actor=installing_user,
        incident=raised,
        install_code=INSTALL_CODE,
        now=DUE_AT + dt.timedelta(1),
    )
    reopened = incident_report_code_failed(
        actor=gaining_user,
        incident=raised,
        reason="Rejected by the hub",
        now=dt.datetime(2026, 4, 13, 9, 0, tzinfo=LONDON),
    )
    assert reopened.breached_at is None and reopened.reminded_at is None
    assert incident_escalate_overdue(now=reopened.due_at + dt.timedelta(seconds=1)) == 1
    assert breach_events(raised).count() == 2
    assert Assignment.objects.filter(incident=raised).count() == 2


def test_the_beat_schedule_names_real_tasks(db):
    from django.conf import settings

    from ssi_portal.celery import app

    app.loader.import_default_modules()
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks, entry["task"]


def test_escalating_an_incident_does_not_touch_the_others(
    raised, gaining_user, installing_supplier
):
    later = incident_raise(
        actor=gaining_user,
        device_id=DeviceFactory(installing_supplier=installing_supplier).device_id,
        now=RAISED_AT + dt.timedelta(days=7),
    )
    incident_escalate_overdue(now=DUE_AT + dt.timedelta(seconds=1))
    later.refresh_from_db()
    assert later.breached_at is None
    assert Incident.objects.filter(breached_at__isnull=False).count() == 1


def test_each_escalation_in_a_batch_names_its_own_supplier_and_deadline(
    gaining_user, installing_supplier, other_supplier
):
    thursday = RAISED_AT + dt.timedelta(days=1)  # due Monday 13 April (Easter between)
    raised = {
        (supplier.name, when): incident_raise(
            actor=gaining_user,
            device_id=DeviceFactory(installing_supplier=supplier).device_id,
            now=when,
        )
        for supplier in (installing_supplier, other_supplier)
        for when in (RAISED_AT, thursday)
    }
    assert incident_escalate_overdue(now=dt.datetime(2026, 4, 14, 9, 0, tzinfo=LONDON)) == 4
    for (name, when), incident in raised.items():
        day = "Friday 10 April" if when == RAISED_AT else "Monday 13 April"
        assert breach_events(incident).get().message == (
            f"{name} did not answer by the end of {day}, UK time: escalated to the DCC helpdesk."
        )


def test_each_reminder_in_a_batch_names_its_own_deadline(
    settings, gaining_user, installing_supplier
):
    settings.SSI_REMINDER_WORKING_DAYS = 2
    first, second = (
        incident_raise(
            actor=gaining_user,
            device_id=DeviceFactory(installing_supplier=installing_supplier).device_id,
            now=when,
        )
        for when in (RAISED_AT, RAISED_AT + dt.timedelta(days=1))
    )
    # Friday 10 April: the first is due tonight, the second on Monday 13 April.
    assert incidents_remind_due(now=dt.datetime(2026, 4, 10, 8, 0, tzinfo=LONDON)) == 2
    messages = [
        IncidentEvent.objects.get(incident=i, kind="reminded").message for i in (first, second)
    ]
    assert messages == [
        "Reminder sent: the answer is due by the end of Friday 10 April, UK time.",
        "Reminder sent: the answer is due by the end of Monday 13 April, UK time.",
    ]


def _indexes() -> dict[str, tuple[str, ...]]:
    """The incident table's indexes (not its primary key): name → columns."""
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, "incidents_incident")
    return {
        name: tuple(info["columns"])
        for name, info in found.items()
        if info["index"] and not info["primary_key"]
    }


def test_the_sweeps_indexes_are_in_the_database(db):
    indexes = _indexes()
    assert indexes["inc_escalation_idx"] == indexes["inc_reminder_idx"] == ("due_at", "id")
    assert indexes["inc_breach_stamp_idx"] == ("breached_at",)
    assert indexes["inc_reminder_stamp_idx"] == ("reminded_at",)


def test_neither_supplier_has_an_index_of_its_own_beside_the_lists_leading_with_it(db):
    indexed = set(_indexes().values())
    for column in ("assigned_supplier_id", "raising_supplier_id"):
        assert (column,) not in indexed
        assert any(columns[0] == column for columns in indexed)


@pytest.mark.postgres("the planner's reading of the partial index")
@pytest.mark.parametrize(
    ("sweep", "index"),
    [("escalate", "inc_escalation_idx"), ("remind", "inc_reminder_idx")],
)
def test_a_batch_is_the_first_rows_of_its_index_not_a_sort_of_the_day(
    sweep, index, gaining_user, installing_supplier
):
    from django.test.utils import CaptureQueriesContext

    # Requests notified the same day share one deadline, to the microsecond.
    for device in DeviceFactory.create_batch(6, installing_supplier=installing_supplier):
        incident_raise(actor=gaining_user, device_id=device.device_id, now=RAISED_AT)
    with CaptureQueriesContext(connection) as queries:
        if sweep == "escalate":
            incident_escalate_overdue(now=DUE_AT + dt.timedelta(seconds=1), batch_size=2)
        else:
            incidents_remind_due(now=dt.datetime(2026, 4, 10, 8, 0, tzinfo=LONDON), batch_size=2)
    lock = next(q["sql"] for q in queries if "FOR UPDATE" in q["sql"])
    with connection.cursor() as cursor:
        # A table this small is read whole unless the planner is told not to.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute(f"EXPLAIN {lock}")
        plan = "\n".join(row for (row,) in cursor.fetchall())
    assert f"Index Scan using {index}" in plan
    assert "Sort" not in plan
