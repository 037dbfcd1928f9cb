"""The deadline sweeps tell each organisation once per sweep, with the list of its requests."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from incidents.models import IncidentEvent
from incidents.services import digests as digests_module
from incidents.services import incident_escalate_overdue, incident_raise, incidents_remind_due
from notifications.models import Notification
from tests.factories import DeviceFactory, UserFactory

LONDON = ZoneInfo("Europe/London")
RAISED_AT = dt.datetime(2026, 4, 1, 10, 0, tzinfo=LONDON)
DUE_AT = dt.datetime(2026, 4, 10, 23, 59, 59, tzinfo=LONDON)
SWEPT_AT = DUE_AT + dt.timedelta(seconds=1)
FRIDAY = dt.datetime(2026, 4, 10, 8, 0, tzinfo=LONDON)  # the last Working Day: reminders


def raise_many(raiser, installer, n):
    return [
        incident_raise(actor=raiser, device_id=device.device_id, now=RAISED_AT)
        for device in DeviceFactory.create_batch(n, installing_supplier=installer)
    ]


@pytest.fixture
def two_installers(gaining_user, installing_supplier, other_supplier):
    return raise_many(gaining_user, installing_supplier, 3) + raise_many(
        gaining_user, other_supplier, 2
    )


def digests(template):
    return Notification.objects.filter(template=template).order_by("recipient")


def test_each_installing_supplier_gets_one_digest_listing_its_breached_requests(
    two_installers, installing_supplier
):
    incident_escalate_overdue(now=SWEPT_AT)
    rows = digests("deadline_breached_installer")
    assert [(n.recipient, n.context["count"]) for n in rows] == [
        ("installs@installing.example", 3),
        ("ops@installing.example", 3),
        ("team@third.example", 2),
    ]
    listed = rows[0].context["requests"]
    assert [r["reference"] for r in listed] == [i.reference for i in two_installers[:3]]
    assert listed[0]["device_id"] == two_installers[0].device.device_id
    assert (listed[0]["raised"], listed[0]["due"]) == ("01 Apr 2026", "10 Apr 2026")
    assert rows[0].audience == installing_supplier.audience


def test_the_raiser_gets_its_own_list_and_the_helpdesk_one_summary(
    two_installers, gaining_supplier, other_supplier
):
    other_raiser = UserFactory(email="second@gaining.example", supplier=gaining_supplier)
    mine = raise_many(other_raiser, other_supplier, 1)
    incident_escalate_overdue(now=SWEPT_AT)
    raisers = digests("deadline_breached_raiser")
    assert [(n.recipient, n.context["count"]) for n in raisers] == [
        ("raiser@gaining.example", 5),
        ("second@gaining.example", 1),
    ]
    assert [r["reference"] for r in raisers[1].context["requests"]] == [mine[0].reference]
    (helpdesk,) = digests("deadline_breached_helpdesk")
    assert helpdesk.context["count"] == 6
    assert helpdesk.context["suppliers"] == [
        {"name": "Installing Power", "count": 3},
        {"name": "Third Party Gas", "count": 3},
    ]


def test_no_email_is_sent_per_breached_or_reminded_request(two_installers):
    incidents_remind_due(now=FRIDAY)
    incident_escalate_overdue(now=SWEPT_AT)
    per_request = Notification.objects.filter(source__startswith="incident-event:")
    assert set(per_request.values_list("template", flat=True)) == {"incident_assigned"}
    assert set(Notification.objects.values_list("template", flat=True)) == {
        "incident_assigned",  # from the raises
        "deadline_reminder_digest",
        "deadline_breached_installer",
        "deadline_breached_raiser",
        "deadline_breached_helpdesk",
    }
    assert Notification.objects.exclude(template="incident_assigned").count() == 3 + 3 + 1 + 1


def test_the_reminder_is_one_digest_per_installing_supplier(two_installers):
    assert incidents_remind_due(now=FRIDAY) == 5
    rows = digests("deadline_reminder_digest")
    assert [(n.recipient, n.context["count"]) for n in rows] == [
        ("installs@installing.example", 3),
        ("ops@installing.example", 3),
        ("team@third.example", 2),
    ]


def test_every_request_still_has_its_event_on_the_timeline(two_installers):
    incidents_remind_due(now=FRIDAY)
    incident_escalate_overdue(now=SWEPT_AT)
    for incident in two_installers:
        kinds = list(incident.events.values_list("kind", flat=True))
        assert kinds.count("reminded") == 1 and kinds.count("breached") == 1
    event = IncidentEvent.objects.filter(kind="breached").first()
    assert event.message.startswith(event.incident.assigned_supplier.name + " did not answer")


def test_a_sweep_run_again_at_the_same_time_sends_no_digest_twice(two_installers):
    incident_escalate_overdue(now=SWEPT_AT)
    before = Notification.objects.count()
    assert incident_escalate_overdue(now=SWEPT_AT) == 0
    incident_escalate_overdue(now=SWEPT_AT + dt.timedelta(hours=2))
    assert Notification.objects.count() == before


def test_a_sweep_that_died_before_its_digests_is_caught_up_by_a_later_sweep(two_installers):
    from incidents.models import Incident

    # What a sweep leaves when it dies after its batches: requests stamped, no digest.
    Incident.objects.update(breached_at=SWEPT_AT)
    incident_escalate_overdue(now=SWEPT_AT + dt.timedelta(minutes=5))
    assert not digests("deadline_breached_installer").exists()  # it may still be running
    incident_escalate_overdue(now=SWEPT_AT + dt.timedelta(hours=1))
    assert sum(n.context["count"] for n in digests("deadline_breached_installer")) == 3 * 2 + 2


def test_a_long_list_stops_at_the_cap_and_says_how_many_more(
    monkeypatch, gaining_user, installing_supplier, django_capture_on_commit_callbacks, mailoutbox
):
    monkeypatch.setattr(digests_module, "LISTED", 2)
    raise_many(gaining_user, installing_supplier, 5)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        incident_escalate_overdue(now=SWEPT_AT)
    row = digests("deadline_breached_installer").first()
    assert (len(row.context["requests"]), row.context["more"]) == (2, 3)
    sent = next(m for m in mailoutbox if m.to == ["installs@installing.example"])
    assert "…and 3 more." in sent.body
    assert "/incidents/assigned/?overdue=on&sort=due" in sent.body
    assert "The first 2 of 5" in sent.alternatives[0][0]


@pytest.mark.parametrize("overdue", [2, 50])
def test_the_sweep_reads_and_writes_in_a_constant_number_of_queries(
    overdue, gaining_user, installing_supplier, other_supplier, django_assert_max_num_queries
):
    half = overdue // 2
    raise_many(gaining_user, installing_supplier, half)
    raise_many(gaining_user, other_supplier, overdue - half)
    # One batch (lock, two updates, events, whether a webhook endpoint subscribes) and the
    # digests, whatever their number.
    with django_assert_max_num_queries(19):
        assert incident_escalate_overdue(now=SWEPT_AT) == overdue


# A batch of a sweep, with a webhook endpoint subscribed: its savepoint, the lock, the stamps
# (the requests, and for escalations their running assignments), whether an endpoint
# subscribes, the events' ids, the requests' facts for the payloads, the deliveries, the
# release. Then, once per sweep: the last (empty) batch and the digests.
PER_BATCH = {"breach": 9, "remind": 7}
PER_SWEEP = {"breach": 12, "remind": 13}
# On SQLite the events' ids are read back after their insert (last_insert_rowid and a count
# over the range that checks them: ssi_portal.lib.bulk_sql.insert_rows), two more a batch.
SQLITE_PER_BATCH = 2


@pytest.mark.parametrize("batches", [1, 2])
@pytest.mark.parametrize("batch_size", [2, 20])
@pytest.mark.parametrize("sweep", ["breach", "remind"])
def test_a_batch_costs_the_same_queries_whatever_its_size(
    sweep,
    batch_size,
    batches,
    gaining_user,
    gaining_supplier,
    installing_supplier,
    other_supplier,
    django_assert_num_queries,
):
    from tests.support.webhooks import make_endpoint

    make_endpoint(gaining_supplier)
    make_endpoint(installing_supplier)
    overdue = batch_size * batches
    raise_many(gaining_user, installing_supplier, overdue // 2)
    raise_many(gaining_user, other_supplier, overdue - overdue // 2)
    per_batch = PER_BATCH[sweep] + (SQLITE_PER_BATCH if connection.vendor == "sqlite" else 0)
    with django_assert_num_queries(PER_SWEEP[sweep] + batches * per_batch):
        if sweep == "breach":
            assert incident_escalate_overdue(now=SWEPT_AT, batch_size=batch_size) == overdue
        else:
            assert incidents_remind_due(now=FRIDAY, batch_size=batch_size) == overdue
