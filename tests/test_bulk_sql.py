"""A filter on a batch's thousands of keys: exactly the rows named, in one parameter on
PostgreSQL whatever their number, and usable to update them; and the batch writes, which
give back the new rows' keys in order and write the values as the ORM would."""

import datetime as dt

import pytest

from inventory.models import Device
from ssi_portal.lib.bulk_sql import RowMaker, any_of, in_values, insert_rows, update_rows
from tests.factories import DeviceFactory, SupplierFactory

pytestmark = pytest.mark.django_db


def test_any_of_finds_exactly_the_rows_named():
    first, _, third = DeviceFactory.create_batch(3)
    found = Device.objects.filter(any_of("pk", [third.pk, first.pk, 10**12], "bigint"))
    assert sorted(found.values_list("pk", flat=True)) == [first.pk, third.pk]


def test_any_of_matches_text_keys():
    first, second = DeviceFactory.create_batch(2)
    found = Device.objects.filter(any_of("device_id", [second.device_id, "nothing"], "text"))
    assert list(found.values_list("pk", flat=True)) == [second.pk]


def test_any_of_updates_only_the_rows_named():
    first, second = DeviceFactory.create_batch(2)
    assert Device.objects.filter(any_of("pk", [second.pk], "bigint")).update(model="B2") == 1
    assert Device.objects.get(pk=first.pk).model != "B2"


@pytest.mark.postgres("the array parameter")
@pytest.mark.parametrize("count", [3, 5000])
def test_any_of_sends_its_keys_as_one_array_parameter(count):
    sql, params = Device.objects.filter(
        any_of("pk", range(count), "bigint")
    ).query.sql_with_params()
    assert 'WHERE "inventory_device"."id" = ANY((%s::bigint[]))' in sql
    assert params == (list(range(count)),)


@pytest.mark.postgres("the array parameter")
def test_any_of_refuses_a_type_it_does_not_know():
    with pytest.raises(ValueError, match="Unexpected SQL type"):
        any_of("pk", [1], "bigint); DROP TABLE x; --")


def test_in_values_finds_exactly_the_rows_named_by_key_or_by_text():
    first, second, third = DeviceFactory.create_batch(3)

    by_key = Device.objects.filter(in_values("pk", [third.pk, first.pk, 10**12], "bigint"))
    by_text = Device.objects.filter(in_values("device_id", [second.device_id, "x"], "text"))

    assert sorted(by_key.values_list("pk", flat=True)) == [first.pk, third.pk]
    assert list(by_text.values_list("pk", flat=True)) == [second.pk]


def test_in_values_matches_text_with_a_comma_whole():
    named = DeviceFactory(model="B1,B2")
    DeviceFactory(model="B1")

    found = Device.objects.filter(in_values("model", ["B1,B2"], "text"))

    assert list(found.values_list("pk", flat=True)) == [named.pk]


@pytest.mark.postgres("the joined parameter")
def test_in_values_sends_thousands_of_keys_as_one_parameter():
    sql, params = Device.objects.filter(
        in_values("pk", range(5000), "bigint")
    ).query.sql_with_params()
    assert "string_to_array(%s, ',')::bigint[]" in sql
    assert params == (",".join(map(str, range(5000))),)


@pytest.mark.postgres("the joined parameter")
def test_in_values_refuses_a_key_that_is_not_an_integer():
    with pytest.raises(TypeError):
        in_values("pk", ["1) OR (1=1"], "bigint")


# --- Writing a batch's rows ---------------------------------------------------------------------

WHEN = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)
DEVICES = RowMaker(Device)


def _device_row(device_id: str, supplier_id: int, *, on: dt.date) -> tuple:
    return DEVICES(
        device_id=device_id,
        device_type="ESME",
        smi_status="InstalledNotCommissioned",
        status_effective_date=on,
        installing_supplier_id=supplier_id,
        updated_at=WHEN,
    )


def test_insert_rows_gives_the_new_keys_in_the_order_of_the_rows():
    supplier = SupplierFactory()
    DeviceFactory()  # the table is not empty: the keys follow the rows already there
    ids_of = ["00-DB-12-00-00-00-0A-03", "00-DB-12-00-00-00-0A-01", "00-DB-12-00-00-00-0A-02"]
    rows = [_device_row(d, supplier.pk, on=dt.date(2026, 1, n)) for n, d in enumerate(ids_of, 1)]

    ids = insert_rows(Device, DEVICES.fields, rows, with_ids=True)

    written = Device.objects.in_bulk(ids)
    assert [written[pk].device_id for pk in ids] == ids_of
    assert [written[pk].status_effective_date.day for pk in ids] == [1, 2, 3]
    assert {(d.updated_at, d.installing_supplier_id) for d in written.values()} == {
        (WHEN, supplier.pk)
    }


def test_update_rows_sets_each_rows_own_values_and_the_shared_ones_only_on_those_rows():
    first, second, untouched = DeviceFactory.create_batch(3)

    update_rows(
        Device,
        ["model"],
        [(first.pk, "M-1"), (second.pk, "M-2")],
        smi_status="Commissioned",
        updated_at=WHEN,
    )

    got = Device.objects.in_bulk([first.pk, second.pk, untouched.pk])
    assert (got[first.pk].model, got[second.pk].model) == ("M-1", "M-2")
    assert {got[first.pk].smi_status, got[second.pk].smi_status} == {"Commissioned"}
    assert got[first.pk].updated_at == WHEN
    assert (got[untouched.pk].model, got[untouched.pk].smi_status) == (
        untouched.model,
        untouched.smi_status,
    )
