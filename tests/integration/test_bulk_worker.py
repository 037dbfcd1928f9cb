"""A bulk upload end to end: the upload page, the task through the real Redis broker and a real
worker, the progress page showing it done, and the digest delivered by the real SMTP server."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from incidents.models import BulkStatus, BulkUpload, Incident
from incidents.services.bulk.jobs import bulk_upload_create
from incidents.tasks import process_bulk_upload
from tests.factories import DeviceFactory
from tests.support.bulk import RAISE_HEADER, csv_bytes
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def test_a_bulk_raise_is_processed_by_the_worker_and_its_page_shows_it_done(
    celery_worker, smtp_server, client, gaining_user, installing_supplier
):
    devices = [DeviceFactory(installing_supplier=installing_supplier) for _ in range(3)]
    data = csv_bytes(RAISE_HEADER, *(f"{d.device_id},JOB-{n}" for n, d in enumerate(devices)), "zz")
    client.force_login(gaining_user)

    response = client.post(
        reverse("incidents:bulk_raise"), {"file": SimpleUploadedFile("jobs.csv", data)}
    )

    assert response.status_code == 302
    upload = BulkUpload.objects.get()
    [(args, outcome, state)] = celery_worker.tasks.wait_for(process_bulk_upload.name, 1)
    assert (args, outcome, state) == ((upload.pk,), "done", "SUCCESS")
    upload.refresh_from_db()
    assert (upload.status, upload.accepted_rows, upload.refused_rows) == (BulkStatus.DONE, 3, 1)
    assert Incident.objects.count() == 3

    page = client.get(response["Location"]).content.decode()
    assert '<dd class="col-sm-9" id="bulk-status">Done</dd>' in page
    assert 'id="results-link"' in page

    contacts = sorted(installing_supplier.contact_emails)
    messages = smtp_server.wait_for_messages(len(contacts))
    assert sorted(to for m in messages for to in m.rcpt_tos) == contacts
    assert {m.subject.strip() for m in messages} == {  # a long subject comes folded
        "[SSI] Gaining Energy raised 3 Requests for Install Code for your Devices"
    }


def test_a_bulk_upload_published_twice_is_processed_once(
    celery_worker, gaining_user, installing_supplier
):
    device = DeviceFactory(installing_supplier=installing_supplier)

    upload = bulk_upload_create(
        actor=gaining_user,
        kind="raise",
        file=io.BytesIO(csv_bytes("device_id", device.device_id)),
        filename="one.csv",
    )
    process_bulk_upload.delay(upload.pk)  # a duplicate message, e.g. the sweep's

    runs = celery_worker.tasks.wait_for(process_bulk_upload.name, 2)
    assert sorted(outcome for _, outcome, _ in runs) == ["done", "nothing"]
    assert Incident.objects.count() == 1
    wait_until(lambda: BulkUpload.objects.get().status == BulkStatus.DONE, what="the upload done")
