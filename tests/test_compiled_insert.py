"""Rows inserted by an INSERT compiled once (ssi_portal/lib/compiled.py): what bulk_create
would have written, the new keys read back."""

import datetime as dt
from unittest import mock

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


def _prepared_by_each_field(obj, connection) -> list:
    """The parameters as the ORM prepares them, field by field (``SQLInsertCompiler``)."""
    fields = [f for f in obj._meta.concrete_fields if not f.primary_key]
    return [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]


def _comparable(values: list) -> list:
    """psycopg's wrappers (of bytes, of JSON) compare by identity: by type and content."""
    return [(type(v), v.obj) if hasattr(v, "obj") else v for v in values]


def test_each_value_is_sent_as_its_field_would_prepare_it(incident, gaining_user):
    from django.db import connection

    from incidents.models import Incident

    # Every kind of field the raise writes: text, enums, integers, booleans, keys, dates,
    # the sealed code's bytes, JSON; and values of another type than the field's own.
    fresh = Incident.objects.get(pk=incident.pk)
    fresh.pk = None
    fresh._state.adding = True
    fresh.install_code_sealed = b"\x00sealed"
    fresh.raising_supplier_id = str(fresh.raising_supplier_id)  # a key as text
    rows = [
        fresh,
        _event(incident, "Plain.", actor=gaining_user),
        _event(incident, 42),  # not text: the field makes it so
        Notification(source="s", template="raised", recipient="a@x.example", context={"a": 1}),
    ]

    with mock.patch("django.utils.timezone.now", return_value=AT):  # auto_now_add, alike
        for obj in rows:
            ours = CompiledInsert(type(obj)).params([obj], connection)
            expected = _prepared_by_each_field(obj, connection)
            assert _comparable(ours) == _comparable(expected), type(obj).__name__
    assert "42" in CompiledInsert(IncidentEvent).params([rows[2]], connection)


def test_only_fields_of_djangos_own_plain_classes_skip_their_preparation():
    from django.db import models

    from incidents.models import Incident
    from ssi_portal.lib.compiled import _as_is_type

    class Shouting(models.CharField):
        def get_prep_value(self, value):
            return super().get_prep_value(value).upper()

    meta = Incident._meta
    assert _as_is_type(Shouting(max_length=5)) is None
    assert _as_is_type(models.CharField(max_length=5)) is str
    assert _as_is_type(models.BooleanField()) is bool
    assert _as_is_type(meta.get_field("raising_supplier")) is int  # a key of BigAutoField
    assert _as_is_type(meta.get_field("install_code_sealed")) is None  # bytes: the field's way
    assert _as_is_type(meta.get_field("due_at")) is None  # dates: the field's way
