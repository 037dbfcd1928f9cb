"""The batch form of the event door writes the same events and emails as one call per
incident, in a number of queries that does not grow with the batch."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.models import Incident, IncidentEvent
from incidents.services import incident_raise
from incidents.services.events import change_of, record_event, record_events
from notifications.models import Notification
from tests.factories import DeviceFactory

NOW = dt.datetime(2026, 4, 3, 9, 0, tzinfo=dt.UTC)
Kind = IncidentEvent.Kind


@pytest.fixture
def raise_many(gaining_user, installing_supplier):
    def make(n):
        ids = [
            incident_raise(
                actor=gaining_user,
                device_id=DeviceFactory(installing_supplier=installing_supplier).device_id,
            ).pk
            for _ in range(n)
        ]
        Notification.objects.all().delete()
        return list(
            Incident.objects.filter(pk__in=ids)
            .select_related("device", "raising_supplier", "assigned_supplier", "raised_by")
            .prefetch_related("assigned_supplier__contacts")
            .order_by("pk")
        )

    return make


def _written():
    """What was written, by incident rather than by event id."""
    events = {
        e.pk: e for e in IncidentEvent.objects.filter(kind=Kind.NOTE, created_at=NOW).order_by("pk")
    }
    rows = sorted(
        (
            e.incident_id,
            e.kind,
            e.actor_id,
            e.actor_supplier_id,
            e.from_status,
            e.to_status,
            e.message,
        )
        for e in events.values()
    )
    emails = sorted(
        (
            events[int(n.source.split(":")[1])].incident_id,
            n.template,
            n.recipient,
            n.audience,
            tuple(sorted(n.context.items())),
        )
        for n in Notification.objects.all()
    )
    return rows, emails


def _clear():
    IncidentEvent.objects.filter(kind=Kind.NOTE).delete()
    Notification.objects.all().delete()


def test_a_batch_writes_the_events_and_emails_of_one_call_per_incident(raise_many, installing_user):
    incidents = raise_many(3)
    for incident in incidents:
        record_event(
            incident, Kind.NOTE, actor=installing_user, from_status="", message="Booked.", now=NOW
        )
    one_by_one = _written()
    _clear()

    record_events(
        [
            change_of(incident, Kind.NOTE, actor=installing_user, from_status="", message="Booked.")
            for incident in incidents
        ],
        now=NOW,
    )

    assert _written() == one_by_one
    assert len(one_by_one[0]) == 3 and one_by_one[1]  # the raiser hears of each note


@pytest.mark.parametrize("size", [2, 12])
def test_a_batch_costs_the_same_few_queries_whatever_its_size(
    raise_many, installing_user, django_assert_max_num_queries, size
):
    incidents = raise_many(size)
    changes = [
        change_of(incident, Kind.NOTE, actor=installing_user, from_status="", message="Booked.")
        for incident in incidents
    ]

    with django_assert_max_num_queries(2):  # the events, then their emails
        record_events(changes, now=NOW)

    assert IncidentEvent.objects.filter(kind=Kind.NOTE).count() == size


def test_a_batch_without_emails_writes_its_events_only(raise_many, installing_user):
    incidents = raise_many(4)
    changes = [
        change_of(incident, Kind.NOTE, actor=installing_user, from_status="", message="Booked.")
        for incident in incidents
    ]

    with CaptureQueriesContext(connection) as queries:
        record_events(changes, now=NOW, emails=False)

    assert IncidentEvent.objects.filter(kind=Kind.NOTE).count() == 4
    assert not Notification.objects.exists()
    assert len(queries) <= 2  # (a sequence read and one COPY on PostgreSQL)


def test_every_kind_of_event_has_a_recipe():
    from incidents.services.recipes import RECIPES

    assert set(RECIPES) == set(Kind.values)


def test_an_event_cannot_record_a_status_move_its_recipe_does_not_make(incident, gaining_user):
    # The request awaits the installing Supplier: a "code provided" event cannot say so.
    with pytest.raises(ValueError, match="code_provided"):
        change_of(incident, Kind.CODE_PROVIDED, actor=gaining_user, from_status="x", message="")
