"""A bulk raise through a real browser: the upload form, the progress page updating itself
(its script polls the JSON status) and the results, each page checked with axe-core."""

import pytest
from playwright.sync_api import expect

from incidents.models import BulkUpload
from incidents.services.bulk.jobs import bulk_upload_process
from tests.factories import DeviceFactory
from tests.support.browser import assert_accessible, login


@pytest.mark.browser
def test_a_gaining_supplier_uploads_a_file_and_watches_it_processed(
    live_server, page, gaining_user, installing_supplier, tmp_path, monkeypatch
):
    devices = [DeviceFactory(installing_supplier=installing_supplier) for _ in range(3)]
    csv_file = tmp_path / "jobs.csv"
    csv_file.write_text(
        "device_id,reference\n"
        + "".join(f"{d.device_id},JOB-{n}\n" for n, d in enumerate(devices))
        + "not-a-device,JOB-X\n"
    )
    # Hold the task back, as a busy worker would, so the page is seen while the file waits.
    monkeypatch.setattr("incidents.services.bulk.jobs.publish_after_commit", lambda *a, **k: None)
    login(page, live_server, "gaining")

    page.get_by_role("link", name="Bulk uploads").click()
    page.get_by_role("link", name="Raise by CSV").click()
    assert_accessible(page)
    page.get_by_label("CSV file").set_input_files(str(csv_file))
    page.get_by_role("button", name="Upload and process").click()

    expect(page.get_by_role("status").first).to_contain_text("jobs.csv uploaded: 4 rows")
    expect(page.locator("#bulk-status")).to_have_text("Queued")
    assert_accessible(page)

    bulk_upload_process(upload_id=BulkUpload.objects.get().pk)

    # The page's script notices and shows the results without anyone reloading it.
    expect(page.locator("#bulk-status")).to_have_text("Done", timeout=15_000)
    expect(page.locator("#bulk-accepted")).to_have_text("3")
    expect(page.locator("#bulk-refused")).to_have_text("1")
    expect(page.get_by_role("link", name="Download the results (CSV)")).to_be_visible()
    assert_accessible(page)

    # The results file: one row per line of the upload, the refusal explained.
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the results (CSV)").click()
    results = download.value.path().read_text(encoding="utf-8-sig").splitlines()
    assert len(results) == 1 + 4
    assert sum(",accepted," in row for row in results) == 3
    refused = next(row for row in results if "not-a-device" in row)
    assert ",refused,bad_format," in refused


@pytest.mark.browser
def test_a_refused_file_is_explained_on_the_form(live_server, page, gaining_user, tmp_path):
    csv_file = tmp_path / "wrong.csv"
    csv_file.write_text("devcie_id\n00-DB-12-34-56-78-90-A0\n")
    login(page, live_server, "gaining")
    page.goto(f"{live_server.url}/bulk/raise/")

    page.get_by_label("CSV file").set_input_files(str(csv_file))
    page.get_by_role("button", name="Upload and process").click()

    expect(page.get_by_role("alert")).to_contain_text(
        "Line 1 must be the header device_id,reference"
    )
    expect(page.locator("[data-error-summary]")).to_be_focused()
    assert_accessible(page)
