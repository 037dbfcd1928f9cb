"""A bulk raise through a real browser: the upload form, the progress page updating itself
(its script polls the JSON status) while the file waits and then is processed, and the
results, each page checked with axe-core.

The file is processed by a real Celery worker, started once the page shows it queued. That
worker writes beside the live server, which needs PostgreSQL (SQLite's shared in-memory test
database refuses the second writer); on SQLite the same journey runs the task message the
upload published, read from an in-memory broker, as the worker would.
"""

import pytest
from playwright.sync_api import expect

from incidents.models import BulkUpload
from incidents.tasks import process_bulk_upload
from ssi_portal.celery import app
from tests.factories import DeviceFactory
from tests.support.browser import assert_accessible, login
from tests.support.worker import broker_pointed_at, published_tasks


def _upload_a_file_and_see_it_queued(page, live_server, installing_supplier, tmp_path):
    devices = [DeviceFactory(installing_supplier=installing_supplier) for _ in range(3)]
    csv_file = tmp_path / "jobs.csv"
    csv_file.write_text(
        "device_id,reference\n"
        + "".join(f"{d.device_id},JOB-{n}\n" for n, d in enumerate(devices))
        + "not-a-device,JOB-X\n"
    )
    login(page, live_server, "gaining")

    page.get_by_role("link", name="Bulk uploads").click()
    page.get_by_role("link", name="Raise by CSV").click()
    assert_accessible(page)
    page.get_by_label("CSV file").set_input_files(str(csv_file))
    page.get_by_role("button", name="Upload and process").click()

    expect(page.get_by_role("status").first).to_contain_text("jobs.csv uploaded: 4 rows")
    expect(page.locator("#bulk-status")).to_have_text("Queued")
    assert_accessible(page)


def _see_it_processed_and_download_the_results(page):
    # The page's script notices and shows the results without anyone reloading it.
    expect(page.locator("#bulk-status")).to_have_text("Done", timeout=20_000)
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
@pytest.mark.redis
@pytest.mark.postgres("a Celery worker writing beside the live server")
def test_a_gaining_supplier_uploads_a_file_and_watches_it_processed(
    live_server, page, worker_started_later, gaining_user, installing_supplier, tmp_path
):
    # No worker yet, as when every worker is busy: the file waits in the broker's queue.
    _upload_a_file_and_see_it_queued(page, live_server, installing_supplier, tmp_path)
    expect(page.locator("#bulk-status")).to_have_text("Queued")

    worker = worker_started_later()

    _see_it_processed_and_download_the_results(page)
    [(args, _, state)] = worker.tasks.of(process_bulk_upload.name)
    assert (args, state) == ((BulkUpload.objects.get().pk,), "SUCCESS")


@pytest.mark.browser
def test_an_uploaded_file_waits_queued_until_its_task_runs(
    live_server, page, gaining_user, installing_supplier, tmp_path
):
    # The upload publishes its task to a broker that nothing consumes.
    with broker_pointed_at(app, "memory://localhost/"):
        published_tasks(app)  # what earlier tests may have left there
        _upload_a_file_and_see_it_queued(page, live_server, installing_supplier, tmp_path)
        [(task, args, kwargs)] = published_tasks(app)

    assert (task, args) == (process_bulk_upload.name, [BulkUpload.objects.get().pk])
    expect(page.locator("#bulk-status")).to_have_text("Queued")
    # Run here, in the test's thread, the very message a worker would have taken.
    process_bulk_upload.apply(args=args, kwargs=kwargs).get()

    _see_it_processed_and_download_the_results(page)


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
