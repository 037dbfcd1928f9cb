"""An SMI delta (a file a small share of the size of the stored table) on PostgreSQL: it
changes exactly the Devices it names, and the two ways of comparing it with the table (the
unique index per row, or one pass over the table) give the same result."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory.models import Device
from inventory.services import smi_load_csv
from inventory.services.smi import copy_writer
from tests.inventory.test_smi_load import HEADER, row
from tests.inventory.test_smi_load_postgres import devices, trial

pytestmark = [pytest.mark.django_db, pytest.mark.postgres("the planner and the table's storage")]

STORED = [f"00-DB-12-34-56-78-91-{n:02X}" for n in range(20)]
NEW_ID = "00-DB-12-34-56-78-92-00"


@pytest.fixture
def extract(tmp_path):
    count = iter(range(1000))

    def write(*rows):
        path = tmp_path / f"smi{next(count)}.csv"
        path.write_text("\r\n".join([HEADER, *rows, ""]))
        return path

    return write


@pytest.fixture
def stored(extract, installing_supplier):
    """Twenty Devices in the inventory, counted by the planner (as after a first load)."""
    user_id = installing_supplier.user_id
    smi_load_csv(
        source=extract(
            *(row(device_id=device_id, installing_supplier_user_id=user_id) for device_id in STORED)
        )
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE inventory_device")
    return user_id


@pytest.fixture
def delta(extract, stored, other_supplier):
    """Four rows against the twenty: a new status, a new model, another Supplier, a new
    Device."""
    return extract(
        row(
            device_id=STORED[3],
            smi_status="Commissioned",
            status_effective_date="2026-04-10",
            installing_supplier_user_id=stored,
        ),
        row(device_id=STORED[7], model="AM-3", installing_supplier_user_id=stored),
        row(device_id=STORED[11], installing_supplier_user_id=other_supplier.user_id),
        row(device_id=NEW_ID, smi_status="Pending"),
    )


def stamps():
    return dict(Device.objects.values_list("device_id", "updated_at"))


def compared_through_the_index(queries) -> bool:
    return any("set_config('enable_hashjoin', 'off'" in q["sql"] for q in queries)


def test_a_delta_changes_exactly_the_devices_it_names(delta, other_supplier):
    before = {d["device_id"]: d for d in devices()}
    stamped = stamps()

    report = smi_load_csv(source=delta)

    after = {d["device_id"]: d for d in devices()}
    assert (report.created, report.updated, report.unchanged) == (1, 3, 0)
    assert after[STORED[3]] == {
        **before[STORED[3]],
        "smi_status": "Commissioned",
        "status_effective_date": after[STORED[3]]["status_effective_date"],
    }
    assert str(after[STORED[3]]["status_effective_date"]) == "2026-04-10"
    assert after[STORED[7]] == {**before[STORED[7]], "model": "AM-3"}
    assert after[STORED[11]] == {
        **before[STORED[11]],
        "installing_supplier_id": other_supplier.pk,
    }
    assert after[NEW_ID]["smi_status"] == "Pending"
    untouched = set(STORED) - {STORED[3], STORED[7], STORED[11]}
    assert {d: after[d] for d in untouched} == {d: before[d] for d in untouched}
    now = stamps()
    assert all(now[d] == stamped[d] for d in untouched)
    assert all(now[d] > stamped[d] for d in (STORED[3], STORED[7], STORED[11]))
    assert [(c.device_id, c.old_status, c.new_status) for c in report.status_change_notes] == [
        (STORED[3], "InstalledNotCommissioned", "Commissioned")
    ]
    assert list(report.status_changed_device_pks) == [Device.objects.get(device_id=STORED[3]).pk]


def test_a_delta_is_compared_through_the_unique_index(delta):
    with CaptureQueriesContext(connection) as queries:
        smi_load_csv(source=delta)

    assert compared_through_the_index(queries)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('enable_hashjoin'), current_setting('enable_mergejoin')"
        )
        assert cursor.fetchone() == ("on", "on")


def test_a_full_extract_is_compared_as_the_planner_chooses(extract, stored):
    full = extract(*(row(device_id=device_id) for device_id in STORED))

    with CaptureQueriesContext(connection) as queries:
        report = smi_load_csv(source=full)

    assert not compared_through_the_index(queries)
    assert report.updated == 20  # the Supplier is gone from every row


@pytest.mark.parametrize("share", [0, 10**6])
def test_both_ways_of_comparing_give_the_same_result(delta, monkeypatch, share):
    by_default = trial(delta, monkeypatch, orm=False)
    monkeypatch.setattr(copy_writer, "DELTA_SHARE", share)

    assert trial(delta, monkeypatch, orm=False) == by_default
    assert by_default[0]["counts"] == (4, 1, 3, 0, 0, 0, 1)


def test_the_devices_table_keeps_room_on_its_pages_through_a_first_load(extract, monkeypatch):
    monkeypatch.setattr(copy_writer, "BULK_MIN_ROWS", 0)

    report = smi_load_csv(source=extract(row()))

    assert report.method == "copy-initial"
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE oid = 'inventory_device'::regclass")
        assert cursor.fetchone()[0] == ["fillfactor=90"]
