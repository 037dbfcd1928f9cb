"""A filter on a batch's thousands of keys: exactly the rows named, in one parameter on
PostgreSQL whatever their number, and usable to update them."""

import pytest

from inventory.models import Device
from ssi_portal.lib.bulk_sql import any_of
from tests.factories import DeviceFactory

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
