"""Every column of an SMI extract is written to its Device field and compared on a re-load, by
whichever writer the database takes (the ORM's upsert, or PostgreSQL's COPY and set-based SQL):
the one list of Device columns of the load."""

import io

import pytest

from inventory.models import Device
from inventory.services import SMI_COLUMNS, smi_load_csv
from tests.inventory.test_smi_load import GOOD_MPAN, HEADER, row

pytestmark = pytest.mark.django_db

CHANGES = {
    "device_type": "GSME",
    "smi_status": "Pending",
    "status_effective_date": "2026-03-03",
    "manufacturer": "Other Meters",
    "model": "AM-3",
    "mpxn": GOOD_MPAN,
    "comms_hub_id": "00-DB-12-00-00-00-00-02",
    "installing_supplier_user_id": "SUPPLIER",
}


def load(line: str):
    return smi_load_csv(source=io.StringIO(f"{HEADER}\n{line}\n"))


def stored() -> dict:
    return Device.objects.values().get()


def test_every_column_but_the_device_id_can_change():
    assert set(CHANGES) == set(SMI_COLUMNS) - {"device_id"}


@pytest.mark.parametrize("column", list(CHANGES))
def test_a_change_to_any_one_column_is_an_update_of_the_device(column, installing_supplier):
    load(row(mpxn=""))
    before = stored()
    value = CHANGES[column]
    if value == "SUPPLIER":
        value = installing_supplier.user_id

    report = load(row(**({"mpxn": ""} | {column: value})))

    assert (report.created, report.updated, report.unchanged, report.rejected) == (0, 1, 0, 0)
    after = stored()
    changed = {name for name in after if after[name] != before[name]} - {"updated_at"}
    field = "installing_supplier_id" if column == "installing_supplier_user_id" else column
    assert changed == {field}


def test_a_row_loaded_again_unchanged_is_not_written(installing_supplier):
    line = row(installing_supplier_user_id=installing_supplier.user_id)
    load(line)
    before = stored()

    report = load(line)

    assert (report.created, report.updated, report.unchanged) == (0, 0, 1)
    assert stored() == before
