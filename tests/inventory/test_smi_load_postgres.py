"""The PostgreSQL path of the SMI load (COPY, then set-based SQL) gives exactly what the ORM
path gives: the same counts, rejects, warnings and status changes, and the same Devices."""

import psycopg
import pytest
from django.db import connection, transaction

from inventory.models import Device
from inventory.services import SmiLoadError, smi_load_csv
from inventory.services.smi import copy_writer, load, stream
from tests.inventory.test_smi_load import DEVICE_ID, GOOD_MPRN, HEADER, OTHER_ID, row

pytestmark = [pytest.mark.django_db, pytest.mark.postgres("COPY and set-based upserts")]

THIRD_ID = "00-DB-12-34-56-78-90-A2"
NEW_ID = "00-DB-12-34-56-78-90-B0"


@pytest.fixture
def extract(tmp_path):
    """Write an SMI extract (header first) and return its path."""
    count = iter(range(1000))

    def write(*rows, tail: bytes = b""):
        path = tmp_path / f"smi{next(count)}.csv"
        path.write_bytes("\r\n".join([HEADER, *rows, ""]).encode() + tail)
        return path

    return write


@pytest.fixture
def base(extract, installing_supplier):
    """Three Devices already in the inventory."""
    user_id = installing_supplier.user_id
    smi_load_csv(
        source=extract(
            row(installing_supplier_user_id=user_id),
            row(device_id=OTHER_ID, device_type="GSME", mpxn=GOOD_MPRN),
            row(device_id=THIRD_ID, smi_status="Pending", installing_supplier_user_id=user_id),
        )
    )


@pytest.fixture
def every_kind_of_row(extract, installing_supplier, other_supplier):
    """Unchanged, changed and new rows, rows in pasted spellings, quoted and multi-line
    cells, warnings and rejects."""
    return extract(
        row(installing_supplier_user_id=installing_supplier.user_id),  # unchanged
        row(device_id=OTHER_ID, device_type="GSME", mpxn="3938424499"),  # warning: MPRN
        row(
            device_id=THIRD_ID.lower().replace("-", ""),  # pasted spelling, full check
            smi_status="commissioned",
            status_effective_date="2026-04-10",
            installing_supplier_user_id=other_supplier.user_id,
        ),
        row(device_id=NEW_ID, manufacturer="Meters, Inc.", mpxn="1312345678901"),
        row(device_id="00-DB-12-34-56-78-90-B1", model="MODEL").replace(
            "MODEL", '"Line one\nline two"'
        ),
        row(
            device_id="00-DB-12-34-56-78-90-B2",
            device_type="IHD",
            smi_status="",
            status_effective_date="",
            mpxn="",
            comms_hub_id="",
        ),
        row(device_id="00-DB-12-34-56-78-90-B3", installing_supplier_user_id=" "),
        row(device_id=NEW_ID, smi_status="Pending"),  # repeat of line 5
        row(
            device_id="00-DB-12-34-56-78-90-B4",
            installing_supplier_user_id="90-B3-D5-FF-00-00-00-99",
        ),
        row(device_id="00-DB-12-34-56-78-90-B5", status_effective_date="2026-02-30"),
        row(device_id="00-DB-12-34-56-78-90-B6", device_type="PPMID"),  # PPMID with an MPAN
        "00-DB-12-34-56-78-90-B7,ESME",
    )


def outcome(report):
    return {
        "counts": (
            report.rows_read,
            report.created,
            report.updated,
            report.unchanged,
            report.rejected,
            report.warnings,
            report.status_changes,
        ),
        "rejects": report.rejects,
        "warnings": report.warning_notes,
        "status changes": sorted(report.status_change_notes, key=lambda c: c.device_id),
    }


def devices():
    return list(Device.objects.order_by("device_id").values(*_COMPARED))


_COMPARED = [
    field.attname
    for field in Device._meta.concrete_fields
    if field.attname not in ("id", "updated_at")
]


def trial(path, monkeypatch, *, orm: bool):
    """Load ``path`` by one path or the other, note what happened, and undo it."""
    with monkeypatch.context() as patched:
        if orm:
            patched.setattr(load, "copy_available", lambda: False)
        with transaction.atomic():
            report = smi_load_csv(source=path)
            seen = outcome(report), devices(), report.method
            transaction.set_rollback(True)
    return seen


def indexes_and_constraints():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'inventory_device' "
            "UNION ALL SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'inventory_device'::regclass ORDER BY 1"
        )
        return cursor.fetchall()


def test_postgresql_loads_through_copy(base, extract):
    report = smi_load_csv(source=extract(row(device_id=NEW_ID)))

    assert (report.method, report.created) == ("copy", 1)


def test_copy_and_the_orm_agree_on_a_file_with_every_kind_of_row(
    base, every_kind_of_row, monkeypatch
):
    by_copy = trial(every_kind_of_row, monkeypatch, orm=False)
    by_orm = trial(every_kind_of_row, monkeypatch, orm=True)

    assert (by_copy[2], by_orm[2]) == ("copy", "bulk_create")
    assert by_copy[:2] == by_orm[:2]
    assert by_copy[0]["counts"] == (12, 4, 2, 1, 5, 2, 1)


def test_the_first_load_into_an_empty_table_agrees_with_the_orm(
    every_kind_of_row, installing_supplier, other_supplier, monkeypatch
):
    monkeypatch.setattr(copy_writer, "BULK_MIN_ROWS", 0)

    by_copy = trial(every_kind_of_row, monkeypatch, orm=False)
    by_orm = trial(every_kind_of_row, monkeypatch, orm=True)

    assert by_copy[2] == "copy-initial"
    assert by_copy[:2] == by_orm[:2]
    assert by_copy[0]["counts"] == (12, 7, 0, 0, 5, 2, 0)


def test_the_first_load_rebuilds_every_index_and_constraint_as_it_was(extract, monkeypatch):
    monkeypatch.setattr(copy_writer, "BULK_MIN_ROWS", 0)
    before = indexes_and_constraints()

    report = smi_load_csv(source=extract(row(), row(device_id=OTHER_ID)))

    assert report.method == "copy-initial"
    assert indexes_and_constraints() == before
    with pytest.raises(Exception, match="device_id"), transaction.atomic():
        Device.objects.create(device_id=DEVICE_ID, device_type="ESME")


def test_a_refused_file_writes_nothing_and_leaves_the_indexes(extract, monkeypatch):
    monkeypatch.setattr(copy_writer, "BULK_MIN_ROWS", 0)
    monkeypatch.setattr(stream, "CHUNK_SIZE", 2)  # rows reach the server before the error
    before = indexes_and_constraints()
    good = [row(device_id=f"00-DB-12-34-56-78-90-C{n}") for n in range(5)]

    with pytest.raises(SmiLoadError, match="Line 7 is not valid UTF-8"):
        smi_load_csv(source=extract(*good, tail=b"\xc9\r\n"))

    assert not Device.objects.exists()
    assert indexes_and_constraints() == before


def test_a_refused_file_writes_nothing_into_a_table_with_devices(base, extract, monkeypatch):
    monkeypatch.setattr(stream, "CHUNK_SIZE", 2)
    before = devices()

    with pytest.raises(SmiLoadError, match="Line 4 is not valid CSV: new-line character"):
        smi_load_csv(
            source=extract(row(device_id=NEW_ID, smi_status="Pending"), row(), row() + "\rx")
        )

    assert devices() == before


def test_status_changes_name_the_device_and_both_statuses(base, extract, installing_supplier):
    user_id = installing_supplier.user_id
    report = smi_load_csv(
        source=extract(
            row(smi_status="Commissioned", installing_supplier_user_id=user_id),
            row(device_id=OTHER_ID, device_type="GSME", mpxn=GOOD_MPRN, model="AM-3"),
            row(device_id=THIRD_ID, smi_status="Withdrawn", installing_supplier_user_id=user_id),
        )
    )

    changes = {(c.device_id, c.old_status, c.new_status) for c in report.status_change_notes}
    assert changes == {
        (DEVICE_ID, "InstalledNotCommissioned", "Commissioned"),
        (THIRD_ID, "Pending", "Withdrawn"),
    }
    assert sorted(report.status_changed_device_pks) == sorted(
        Device.objects.filter(device_id__in=[DEVICE_ID, THIRD_ID]).values_list("pk", flat=True)
    )
    assert report.status_changes_to == {"Commissioned": 1, "Withdrawn": 1}
    assert (report.updated, report.status_changes) == (3, 2)


def test_a_second_identical_load_writes_nothing_at_all(every_kind_of_row, other_supplier):
    smi_load_csv(source=every_kind_of_row)
    stamps = list(Device.objects.order_by("device_id").values_list("device_id", "updated_at"))

    again = smi_load_csv(source=every_kind_of_row)

    assert (again.created, again.updated, again.unchanged, again.status_changes) == (0, 0, 7, 0)
    assert list(Device.objects.order_by("device_id").values_list("device_id", "updated_at")) == (
        stamps
    )


def test_only_a_changed_device_gets_a_new_updated_at(base, extract, installing_supplier):
    stamps = dict(Device.objects.values_list("device_id", "updated_at"))
    user_id = installing_supplier.user_id

    smi_load_csv(
        source=extract(
            row(installing_supplier_user_id=user_id),
            row(device_id=OTHER_ID, device_type="GSME", mpxn=GOOD_MPRN, model="AM-3"),
        )
    )

    now = dict(Device.objects.values_list("device_id", "updated_at"))
    assert now[DEVICE_ID] == stamps[DEVICE_ID]
    assert now[OTHER_ID] > stamps[OTHER_ID]
    assert now[THIRD_ID] == stamps[THIRD_ID]


def test_a_first_load_that_cannot_lock_the_table_at_once_loads_the_ordinary_way(
    extract, monkeypatch
):
    monkeypatch.setattr(copy_writer, "BULK_MIN_ROWS", 0)
    settings = connection.settings_dict
    reader = psycopg.connect(
        dbname=settings["NAME"],
        host=settings["HOST"],
        port=settings["PORT"] or None,
        user=settings["USER"],
        password=settings["PASSWORD"] or None,
    )
    try:
        reader.execute("SELECT FROM inventory_device")  # holds a lock until rollback

        report = smi_load_csv(source=extract(row(), row(device_id=OTHER_ID)))
    finally:
        reader.close()

    assert (report.method, report.created) == ("copy", 2)
