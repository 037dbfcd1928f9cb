"""Bulk files through a real browser and a real Celery worker on Redis: the worklist downloaded,
filled in and uploaded back as it is; the refused rows of a file read on the page, a page at a
time. Each page on the way is checked with axe-core."""

import csv
import io

import pytest
from playwright.sync_api import expect

from conftest import INSTALL_CODE, INSTALL_CODE_WITH_CRC
from incidents.models import BulkStatus, BulkUpload, Incident, IncidentStatus
from incidents.services import incident_raise
from incidents.views import bulk as views_bulk
from inventory.models import SMIStatus
from tests.factories import DeviceFactory
from tests.support.browser import assert_accessible, login

pytestmark = [
    pytest.mark.browser,
    pytest.mark.redis,
    # The job runs in a real worker thread while the live server's thread writes too: SQLite's
    # shared in-memory test database refuses the second writer at once ("database table is
    # locked"), so on SQLite the journey would hang on "Queued" by chance.
    pytest.mark.postgres("a Celery worker writing beside the live server"),
]


def _cells(table) -> list[list[str]]:
    """The text of each cell, row by row, headings first."""
    return [row.locator("th, td").all_inner_texts() for row in table.get_by_role("row").all()]


def _awaiting(gaining_user, installing_supplier, n: int) -> list[Incident]:
    return [
        incident_raise(
            actor=gaining_user,
            device_id=DeviceFactory(installing_supplier=installing_supplier).device_id,
        )
        for _ in range(n)
    ]


def test_an_installing_supplier_answers_by_filling_in_the_worklist_it_downloaded(
    live_server, page, celery_worker, gaining_user, installing_user, installing_supplier, tmp_path
):
    first, second = _awaiting(gaining_user, installing_supplier, 2)
    login(page, live_server, "installing")

    page.get_by_role("link", name="Bulk uploads").click()
    page.get_by_role("link", name="Answer by CSV").click()
    assert_accessible(page)
    with page.expect_download() as download:
        page.get_by_role(
            "link", name="Download the worklist (requests awaiting your answer)"
        ).click()
    worklist = download.value.path().read_bytes()

    # Filled in as a spreadsheet user would: a code in each row's install_code cell, the
    # header, the other columns, their order and the byte-order mark left as they came.
    rows = list(csv.reader(io.StringIO(worklist.decode("utf-8-sig"))))
    header = rows[0]
    codes = {first.reference: INSTALL_CODE_WITH_CRC, second.reference: INSTALL_CODE}
    for row in rows[1:]:
        row[header.index("install_code")] = codes[row[header.index("reference")]]
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    filled = tmp_path / download.value.suggested_filename
    filled.write_bytes(b"\xef\xbb\xbf" + out.getvalue().encode())
    assert header == [
        "reference",
        "device_id",
        "device_type",
        "raised_by",
        "raised_at",
        "due",
        "install_code",
    ]

    page.get_by_label("CSV file").set_input_files(str(filled))
    page.get_by_role("button", name="Upload and process").click()

    expect(page.get_by_role("status").first).to_contain_text(f"{filled.name} uploaded: 2 rows.")
    # The worker processes the file; the page's script notices and shows the results.
    expect(page.locator("#bulk-status")).to_have_text("Done", timeout=20_000)
    expect(page.locator("#bulk-accepted")).to_have_text("2")
    expect(page.locator("#bulk-refused")).to_have_text("0")
    expect(page.get_by_text("being processed")).to_have_count(0)
    assert_accessible(page)
    assert set(Incident.objects.values_list("status", flat=True)) == {IncidentStatus.CODE_PROVIDED}
    assert BulkUpload.objects.get().status == BulkStatus.DONE


def test_a_gaining_supplier_reads_why_rows_were_refused_a_page_at_a_time(
    live_server,
    page,
    celery_worker,
    gaining_user,
    installing_supplier,
    other_supplier,
    tmp_path,
    monkeypatch,
):
    monkeypatch.setattr(views_bulk, "REFUSED_PAGE_SIZE", 3)
    good = DeviceFactory(installing_supplier=installing_supplier)
    commissioned = DeviceFactory(
        installing_supplier=installing_supplier, smi_status=SMIStatus.COMMISSIONED
    )
    elsewhere = DeviceFactory(installing_supplier=installing_supplier, registered=other_supplier)
    csv_file = tmp_path / "jobs.csv"
    csv_file.write_text(
        "device_id,reference\n"
        f"{good.device_id},JOB-1\n"
        "00-DB-12-34-56-78-90-AG,JOB-2\n"
        f"{good.device_id},JOB-3\n"
        f"{commissioned.device_id},JOB-4\n"
        f"{elsewhere.device_id},JOB-5\n"
        "00-DB-99-99-99-99-99-99,JOB-6\n"
    )
    login(page, live_server, "gaining")
    page.goto(f"{live_server.url}/bulk/raise/")

    page.get_by_label("CSV file").set_input_files(str(csv_file))
    page.get_by_role("button", name="Upload and process").click()

    expect(page.locator("#bulk-status")).to_have_text("Done", timeout=20_000)
    expect(page.locator("#bulk-refused")).to_have_text("5")
    refused = page.get_by_role("table", name="Refused rows 1 to 3 of 5, in file order")
    expect(refused).to_be_visible()
    assert _cells(refused) == [
        ["Line", "Device ID", "Why it was refused"],
        [
            "3",
            "00-DB-12-34-56-78-90-AG",
            "A Device ID contains only the hex digits 0-9 and A-F; 'G' is not one.",
        ],
        [
            "4",
            good.device_id,
            f"Device {good.device_id} is also on line 2 of this file; only line 2 is used.",
        ],
        [
            "5",
            commissioned.device_id,
            f"Device {commissioned.device_id} has SMI status Commissioned; an install code can "
            "be requested only for a Device awaiting commissioning (Pending, Whitelisted or "
            "InstalledNotCommissioned).",
        ],
    ]
    reasons = page.get_by_role("table", name="Refused rows by reason")
    expect(reasons).to_contain_text("The row is not in the right format")
    expect(reasons).not_to_contain_text("bad_format")
    assert_accessible(page)

    page.get_by_role("link", name="Next refused rows").click()

    rest = page.get_by_role("table", name="Refused rows 4 to 5 of 5, in file order")
    expect(rest).to_be_visible()
    assert [cells[:2] for cells in _cells(rest)[1:]] == [
        ["6", elsewhere.device_id],
        ["7", "00-DB-99-99-99-99-99-99"],
    ]
    assert _cells(rest)[2][2] == (
        "Device 00-DB-99-99-99-99-99-99 is not in the Smart Metering Inventory."
    )
    expect(page.get_by_role("link", name="Previous refused rows")).to_be_visible()
    assert_accessible(page)
