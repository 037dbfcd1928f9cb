"""Streams in key order, a chunk a query: every row once, whatever the chunk boundaries and
the ties in the first key column, with no cursor held between two queries."""

import datetime as dt

import pytest

from inventory.models import Device
from ssi_portal.lib.keyset import keyset_stream
from tests.factories import DeviceFactory

pytestmark = pytest.mark.django_db

NOON = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def devices():
    made = DeviceFactory.create_batch(7)
    # Three share one time: the id alone orders them, across a chunk boundary.
    times = [NOON, NOON, NOON, NOON - dt.timedelta(hours=1), NOON + dt.timedelta(hours=1)]
    times += [NOON - dt.timedelta(days=1), NOON + dt.timedelta(days=1)]
    for device, at in zip(made, times, strict=True):
        Device.objects.filter(pk=device.pk).update(updated_at=at)
    return made


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 50])
def test_a_stream_reads_every_row_once_newest_first_across_ties_and_chunks(devices, chunk):
    expected = list(Device.objects.order_by("-updated_at", "-id").values_list("device_id"))

    streamed = list(
        keyset_stream(Device.objects.all(), ("-updated_at", "-id"), ("device_id",), chunk=chunk)
    )

    assert streamed == expected


def test_a_stream_reads_in_an_ascending_key_and_keeps_only_the_fields_asked_for(devices):
    expected = sorted(d.device_id for d in devices)

    streamed = list(keyset_stream(Device.objects.all(), ("device_id",), ("pk",), chunk=2))

    assert [Device.objects.get(pk=pk).device_id for (pk,) in streamed] == expected


def test_a_stream_reads_only_the_rows_of_its_queryset(devices):
    wanted = Device.objects.filter(updated_at=NOON)

    streamed = list(keyset_stream(wanted, ("updated_at", "id"), ("id",), chunk=2))

    assert [pk for (pk,) in streamed] == sorted(d.pk for d in devices[:3])


def test_a_stream_asks_one_query_per_chunk_and_one_more_after_a_full_last_chunk(
    devices, django_assert_num_queries
):
    with django_assert_num_queries(3):  # 3 + 3 + 1: a short page is the last
        assert len(list(keyset_stream(Device.objects.all(), ("id",), ("id",), chunk=3))) == 7
    with django_assert_num_queries(2):  # 7, then an empty page says it is the end
        assert len(list(keyset_stream(Device.objects.all(), ("id",), ("id",), chunk=7))) == 7


def test_a_key_running_both_ways_is_refused():
    with pytest.raises(ValueError, match="runs one way"):
        next(keyset_stream(Device.objects.all(), ("-updated_at", "id"), ("id",), chunk=2))
