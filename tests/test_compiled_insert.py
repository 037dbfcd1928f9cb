"""Rows inserted by an INSERT compiled once (ssi_portal/lib/compiled.py): what bulk_create
would have written, the new keys read back."""

import datetime as dt

import pytest

from incidents.models import IncidentEvent
from notifications.models import Notification
from ssi_portal.lib.compiled import CompiledInsert

pytestmark = pytest.mark.django_db

AT = dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC)


def _event(incident, message: str, **more) -> IncidentEvent:
    return IncidentEvent(
        incident=incident, kind="note", actor_supplier=None, message=message, created_at=AT, **more
    )


def _stored(obj) -> dict:
    fresh = type(obj).objects.get(pk=obj.pk)
    return {f.attname: getattr(fresh, f.attname) for f in obj._meta.concrete_fields}


def test_the_rows_are_those_bulk_create_writes_and_get_their_keys(incident, gaining_user):
    insert = CompiledInsert(IncidentEvent)
    mine = [_event(incident, "One.", actor=gaining_user), _event(incident, "Two.")]
    theirs = [_event(incident, "One.", actor=gaining_user), _event(incident, "Two.")]

    insert.insert(mine)
    IncidentEvent.objects.bulk_create(theirs)

    assert all(e.pk and not e._state.adding and e._state.db == "default" for e in mine)
    assert [e.message for e in IncidentEvent.objects.filter(pk__in=[e.pk for e in mine])] == [
        "One.",
        "Two.",
    ]
    for ours, orms in zip(mine, theirs, strict=True):
        assert {**_stored(ours), "id": None} == {**_stored(orms), "id": None}


def test_defaults_and_json_are_written_as_the_orm_writes_them(db):
    row = Notification(
        source="incident-event:1", template="raised", recipient="a@x.example", context={"a": [1]}
    )

    [written] = CompiledInsert(Notification).insert([row])

    stored = Notification.objects.get(pk=written.pk)
    assert stored.context == {"a": [1]} and stored.status == "pending" and stored.attempts == 0
    assert stored.created_at is not None and stored.created_at == row.created_at


def test_the_sql_is_built_once_for_each_number_of_rows(incident, django_assert_num_queries):
    insert = CompiledInsert(IncidentEvent)
    insert.insert([_event(incident, "First.")])
    sql = insert._sql[("default", 1)]

    with django_assert_num_queries(1):
        insert.insert([_event(incident, "Second.")])

    assert insert._sql[("default", 1)] is sql


def test_more_rows_than_it_compiles_for_go_to_bulk_create(incident):
    insert = CompiledInsert(IncidentEvent, most=1)

    written = insert.insert([_event(incident, "One."), _event(incident, "Two.")])

    assert insert._sql == {}
    assert IncidentEvent.objects.filter(pk__in=[e.pk for e in written]).count() == 2
