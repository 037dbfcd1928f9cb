"""Queries compiled once (ssi_portal/lib/compiled.py): the ORM's own SQL and rows, for new
values each run."""

import datetime as dt

import pytest

from inventory.models import Device
from ssi_portal.lib.compiled import CompiledQuery, CompiledSql
from tests.factories import DeviceFactory

pytestmark = pytest.mark.django_db


def devices_of(supplier_id, status):
    return (
        Device.objects.filter(installing_supplier_id=supplier_id, smi_status=status)
        .order_by("pk")
        .values_list("device_id", "status_effective_date", "updated_at")
    )


DEVICES_OF = CompiledQuery(devices_of, kinds=(int, str))


def test_a_compiled_query_answers_as_the_orm_for_each_new_value(installing_supplier, device):
    other = DeviceFactory(installing_supplier=installing_supplier, smi_status="Pending")

    for supplier_id, status in [
        (installing_supplier.pk, device.smi_status),
        (installing_supplier.pk, "Pending"),
        (installing_supplier.pk + 99, "Pending"),
    ]:
        assert DEVICES_OF.rows(supplier_id, status) == [
            list(row) for row in devices_of(supplier_id, status)
        ]
    assert DEVICES_OF.rows(installing_supplier.pk, "Pending")[0][0] == other.device_id


def test_its_rows_are_converted_as_the_orm_converts_them(device):
    device.status_effective_date = dt.date(2026, 4, 1)
    device.save()

    [row] = DEVICES_OF.rows(device.installing_supplier_id, device.smi_status)

    # Dates and aware times, not the strings SQLite stores.
    assert isinstance(row[1], dt.date) and row[2].tzinfo is not None


def test_it_compiles_once_and_runs_once_a_call(device, django_assert_num_queries):
    query = CompiledQuery(lambda pk: Device.objects.filter(pk=pk).values_list("pk"), kinds=(int,))
    query.rows(device.pk)

    compiled = query._compiled["default"]
    with django_assert_num_queries(1):
        assert query.rows(device.pk) == [[device.pk]]
    assert query._compiled["default"] is compiled


def test_a_value_the_query_does_not_hold_once_is_refused(db):
    twice = CompiledQuery(
        lambda pk: Device.objects.filter(pk=pk, installing_supplier_id=pk).values_list("pk"),
        kinds=(int,),
    )

    with pytest.raises(ValueError, match="holds 2 of a value"):
        twice.rows(1)


def test_a_compiled_query_takes_a_date_however_the_database_is_sent_it(device):
    device.status_effective_date = dt.date(2026, 4, 1)
    device.save()
    on_or_after = CompiledQuery(
        lambda day: Device.objects.filter(status_effective_date__gte=day).values_list("pk"),
        kinds=(dt.date,),
    )

    assert on_or_after.rows(dt.date(2026, 4, 1)) == [[device.pk]]
    assert on_or_after.rows(dt.date(2026, 4, 2)) == []


def test_a_compiled_query_takes_dates_and_times_as_the_orm_sends_them(installing_supplier):
    at = dt.datetime(2027, 2, 3, 10, 0, tzinfo=dt.UTC)
    for step in (dt.timedelta(0), dt.timedelta(microseconds=1), dt.timedelta(hours=1)):
        device = DeviceFactory(installing_supplier=installing_supplier)
        Device.objects.filter(pk=device.pk).update(updated_at=at + step)

    def changed(start, end):
        return (
            Device.objects.filter(updated_at__gte=start, updated_at__lt=end)
            .order_by("pk")
            .values_list("pk", "updated_at")
        )

    query = CompiledQuery(changed, kinds=(dt.datetime, dt.datetime))
    paris = dt.timezone(dt.timedelta(hours=1))
    for start, end in [
        (at, at + dt.timedelta(hours=2)),  # a whole second: no fraction in SQLite's text
        (at + dt.timedelta(microseconds=1), at + dt.timedelta(hours=1)),
        (at.astimezone(paris), (at + dt.timedelta(hours=1, microseconds=1)).astimezone(paris)),
        (at - dt.timedelta(days=1), at),
    ]:
        assert query.rows(start, end) == [list(row) for row in changed(start, end)]
    assert len(query.rows(at, at + dt.timedelta(hours=2))) == 3


def test_a_compiled_statement_of_querysets_is_built_once_and_run_with_new_values(
    installing_supplier, django_assert_num_queries
):
    at = dt.datetime(2027, 2, 3, 10, 0, tzinfo=dt.UTC)
    for step in (dt.timedelta(0), dt.timedelta(hours=1), dt.timedelta(hours=2)):
        device = DeviceFactory(installing_supplier=installing_supplier)
        Device.objects.filter(pk=device.pk).update(updated_at=at + step)
    built = []

    def counts(using, supplier_id, since):
        built.append(using)
        mine = Device.objects.filter(installing_supplier_id=supplier_id)
        parts = [mine.values("pk"), mine.filter(updated_at__gte=since).values("pk")]
        compiled = [part.query.get_compiler(using).as_sql() for part in parts]
        sql = ", ".join(f"(SELECT COUNT(*) FROM ({part}) AS p)" for part, _ in compiled)  # noqa: S608
        return f"SELECT {sql}", [param for _, params in compiled for param in params]

    query = CompiledSql(counts, kinds=(int, dt.datetime), repeated=True)

    assert query.rows(installing_supplier.pk, at) == [[3, 3]]
    with django_assert_num_queries(1):
        assert query.rows(installing_supplier.pk, at + dt.timedelta(minutes=30)) == [[3, 2]]
    assert query.rows(installing_supplier.pk + 99, at) == [[0, 0]]
    assert built == ["default"]
