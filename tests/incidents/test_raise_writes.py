"""A raise writes the same rows in two statements (PostgreSQL) as one statement a row (the
ORM's way, SQLite's): the incident, its clock, the event, its emails, the tally, and, when a
code was lodged or a webhook endpoint hears of it, what those add."""

import datetime as dt
import json

import pytest
from django.db import connection

from incidents.models import Assignment, Incident, IncidentEvent, LodgedCode, RaiseTally
from incidents.services import incident_raise, raise_writes
from incidents.services.lodged import lodged_codes_lodge
from notifications.models import Notification
from notifications.tasks import deliver_notification
from tests.factories import DeviceFactory, SupplierFactory, UserFactory
from tests.support.webhooks import make_endpoint
from webhooks.models import WebhookDelivery
from webhooks.services import webhook_subscribed_sql, webhook_subscriptions

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC)
CODE = "83FED3407A939723A5C639B26916D505"
on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the two statements are PostgreSQL's"
)


@pytest.fixture(autouse=True)
def frozen():
    """The emails' times are the clock's, not the raise's ``now``."""
    import time_machine

    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def orm_way(monkeypatch):
    """Raises written one statement a row, whatever the database."""

    def the_orm_way():
        monkeypatch.setattr(raise_writes, "in_two_statements", lambda connection: False)

    return the_orm_way


def _tally(supplier) -> dict:
    return dict(RaiseTally.objects.filter(supplier=supplier).values_list("bucket", "count"))


def _raised(actor, device, captured) -> tuple[dict, bool]:
    """Raise for ``device``; every row the raise wrote, with what differs from one raise to
    the next (keys, the Device, the public id and the reference) named instead, and whether
    the tasks published after commit are those of its emails, in their order."""
    before = _tally(actor.supplier)
    with captured(execute=False) as callbacks:
        incident = incident_raise(actor=actor, device_id=device.device_id, now=NOW)
    incident = Incident.objects.get(pk=incident.pk)
    names = {
        str(incident.public_id): "<public id>",
        incident.reference: "<reference>",
        device.device_id: "<Device ID>",
    }
    events = list(IncidentEvent.objects.filter(incident=incident).order_by("pk").values())
    for n, event in enumerate(events):
        names[f"incident-event:{event['id']}"] = f"incident-event:<{n}>"
    sources = [f"incident-event:{event['id']}" for event in events]
    emails = list(Notification.objects.filter(source__in=sources).order_by("pk").values())
    deliveries = list(WebhookDelivery.objects.filter(source__in=sources).order_by("pk").values())
    after = _tally(actor.supplier)
    rows = {
        "incident": Incident.objects.filter(pk=incident.pk).values().get(),
        "clocks": list(Assignment.objects.filter(incident=incident).order_by("pk").values()),
        "events": events,
        "emails": emails,
        "deliveries": deliveries,
        "tally": {str(b): count - before.get(b, 0) for b, count in after.items()},
    }
    for key in ("id", "public_id", "device_id", "incident_id"):
        for row in [rows["incident"], *rows["clocks"], *events, *emails, *deliveries]:
            row.pop(key, None)
    rows["incident"].pop("install_code_sealed")  # sealed with a fresh nonce each time
    for row in deliveries:
        row.pop("message_id")  # random for each delivery
        row["payload"]["data"].pop("event_id")
    text = json.dumps(rows, default=str, sort_keys=True)
    for value, name in names.items():
        text = text.replace(value, name)
    published = [
        pk
        for callback in callbacks
        if getattr(callback, "args", None) and callback.args[0] is deliver_notification
        for pk in callback.args[1]
    ]
    written = Notification.objects.filter(source__in=sources).order_by("pk")
    return json.loads(text), published == [email.pk for email in written]


def _both_ways(actor, make_device, orm_way, captured) -> tuple:
    first = _raised(actor, make_device(), captured)
    orm_way()
    second = _raised(actor, make_device(), captured)
    return first, second


def test_a_request_assigned_to_the_installer_is_written_the_same_both_ways(
    gaining_user, installing_supplier, orm_way, django_capture_on_commit_callbacks
):
    both = _both_ways(
        gaining_user,
        lambda: DeviceFactory(installing_supplier=installing_supplier),
        orm_way,
        django_capture_on_commit_callbacks,
    )

    (rows, published), (orm_rows, orm_published) = both
    assert rows == orm_rows
    assert len(rows["emails"]) == 2 and len(rows["clocks"]) == 1
    assert rows["tally"] and published and orm_published


def test_a_request_sent_to_the_helpdesk_is_written_the_same_both_ways(
    gaining_user, orm_way, django_capture_on_commit_callbacks
):
    both = _both_ways(
        gaining_user,
        lambda: DeviceFactory(installing_supplier=None),
        orm_way,
        django_capture_on_commit_callbacks,
    )

    (rows, published), (orm_rows, orm_published) = both
    assert rows == orm_rows
    assert rows["clocks"] == [] and len(rows["emails"]) == 1
    assert published and orm_published


def test_a_request_to_an_installer_without_addresses_is_written_the_same_both_ways(
    gaining_user, orm_way, django_capture_on_commit_callbacks
):
    silent = SupplierFactory(name="Silent Meters", contacts=[])
    both = _both_ways(
        gaining_user,
        lambda: DeviceFactory(installing_supplier=silent),
        orm_way,
        django_capture_on_commit_callbacks,
    )

    (rows, published), (orm_rows, orm_published) = both
    assert rows == orm_rows
    assert rows["emails"] == [] and len(rows["events"]) == 1
    assert published and orm_published


def test_a_request_answered_from_a_lodged_code_is_written_the_same_both_ways(
    gaining_user, installing_supplier, orm_way, django_capture_on_commit_callbacks
):
    lodger = UserFactory(supplier=installing_supplier, can_answer=True)

    def lodged_device():
        device = DeviceFactory(installing_supplier=installing_supplier)
        [result] = lodged_codes_lodge(actor=lodger, items=[(device.device_id, CODE)], now=NOW)
        assert LodgedCode.objects.filter(device=device).exists(), result
        return device

    both = _both_ways(gaining_user, lodged_device, orm_way, django_capture_on_commit_callbacks)

    (rows, published), (orm_rows, orm_published) = both
    assert rows == orm_rows
    assert [event["kind"] for event in rows["events"]] == ["raised", "code_provided"]
    assert not LodgedCode.objects.exists()


def test_a_request_a_webhook_endpoint_hears_of_is_written_the_same_both_ways(
    gaining_user, installing_supplier, orm_way, django_capture_on_commit_callbacks
):
    make_endpoint(installing_supplier, event_types=["request.raised"])
    both = _both_ways(
        gaining_user,
        lambda: DeviceFactory(installing_supplier=installing_supplier),
        orm_way,
        django_capture_on_commit_callbacks,
    )

    (rows, published), (orm_rows, orm_published) = both
    assert rows == orm_rows
    assert len(rows["deliveries"]) == 1 and len(rows["emails"]) == 2


@on_postgresql
@pytest.mark.parametrize(
    "endpoint",
    [
        {},
        {"event_types": ["request.raised"]},
        {"event_types": ["request.closed"]},
        {"event_types": []},
        {"event_types": ["request.raised"], "disabled": True},
        {"event_types": ["request.raised"], "of_another": True},
    ],
    ids=["all-types", "raised", "other-type", "no-type", "disabled", "another-supplier"],
)
def test_the_condition_read_with_the_incident_finds_what_the_subscriptions_find(
    endpoint, gaining_supplier, installing_supplier, other_supplier
):
    from django.utils import timezone

    fields = dict(endpoint)
    owner = other_supplier if fields.pop("of_another", False) else installing_supplier
    if fields.pop("disabled", False):
        fields.update(disabled_at=timezone.now(), disabled_reason="failing")
    make_endpoint(owner, **fields)
    suppliers = [gaining_supplier.pk, installing_supplier.pk, None]

    sql, params = webhook_subscribed_sql("request.raised", suppliers)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {sql}", params)  # noqa: S608 (the condition's own SQL)
        [[found]] = cursor.fetchall()

    subscriptions = webhook_subscriptions(event_types=["request.raised"], supplier_ids=suppliers)
    assert found == bool(subscriptions)


@on_postgresql
def test_a_raise_on_postgresql_writes_in_two_statements(
    gaining_user, device, django_assert_num_queries
):
    gaining_user.supplier  # noqa: B018 (loaded as the request's user would be)

    # the rate limits, the Device; a savepoint (a test is a transaction), the incident with
    # whether a code was lodged and whether an endpoint hears of it, the rest; its release
    with django_assert_num_queries(6) as captured:
        incident_raise(actor=gaining_user, device_id=device.device_id, now=NOW)

    written = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("WITH")]
    assert len(written) == 2
