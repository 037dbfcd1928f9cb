"""A slice of the portal, served by gunicorn and a Celery worker on one route to the database:
raising through the form and the lists of both sides, a bulk file processed by the worker
(``COPY`` included) and its results, the CSV exports, a resumed bulk file and the deadline
sweep. ``test_pgbouncer.py`` runs it behind PgBouncer in transaction mode, ``test_db_pool.py``
through Django's psycopg pool; each gives the ``portal`` fixture (a ``ServedPortal``).

The test process sets up and checks through its own, direct connection; everything the slice
does, the served processes do through the route under test.
"""

import csv
import io

from django.db.models import Count

from incidents.models import (
    BulkRow,
    BulkStatus,
    BulkUpload,
    EventKind,
    Incident,
    IncidentEvent,
    IncidentStatus,
)
from incidents.services import incident_raise
from incidents.services.bulk.jobs import bulk_upload_create, bulk_upload_process
from inventory.models import Device, DeviceType, SMIStatus
from notifications.models import Notification
from ssi_portal.celery import app
from tests.factories.inventory import DEFAULT_MPXN, PASSWORD
from tests.support.bulk import NOW, RAISE_HEADER, csv_bytes
from tests.support.waiting import wait_until
from tests.support.worker import broker_pointed_at

# More rows than one chunk of bulk processing (2,000) and of a CSV stream (2,000): the second
# chunk is where a cursor left on another server connection would be missed.
ROWS = 2_500


def many_devices(count: int, installer) -> list[str]:
    """``count`` eligible Devices pre-notified by ``installer``, on the meter point the
    registration data gives the gaining Supplier; their Device IDs, in order."""
    ids = []
    for n in range(1, count + 1):
        digits = f"{0x00DB990000000000 + n:016X}"
        ids.append("-".join(digits[i : i + 2] for i in range(0, 16, 2)))
    Device.objects.bulk_create(
        [
            Device(
                device_id=device_id,
                device_type=DeviceType.ESME,
                smi_status=SMIStatus.INSTALLED_NOT_COMMISSIONED,
                mpxn=DEFAULT_MPXN,
                installing_supplier=installer,
            )
            for device_id in ids
        ],
        batch_size=1000,
    )
    return ids


def signed_in(portal, user):
    client = portal.client()
    answer = client.login(user.username, PASSWORD)
    assert answer.status == 302, answer.body[-2000:]
    return client


def csv_rows(body: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))[1:]


def assert_one_result_per_row(upload: BulkUpload, rows: int) -> None:
    lines = BulkRow.objects.filter(upload=upload).values("line").annotate(n=Count("id"))
    assert sorted(row["line"] for row in lines) == list(range(2, rows + 2))
    assert {row["n"] for row in lines} == {1}


def assert_raised_once_each(count: int) -> None:
    assert Incident.objects.count() == count
    raised = IncidentEvent.objects.filter(kind=EventKind.RAISED)
    assert raised.count() == count
    assert raised.values("incident").distinct().count() == count


class PortalSlice:
    def test_a_request_raised_through_the_form_is_listed_on_both_sides_and_emailed(
        self, portal, gaining_user, installing_user, device
    ):
        raiser = signed_in(portal, gaining_user)

        answer = raiser.submit("/incidents/new/", {"device_id": device.device_id})

        assert answer.status == 302, answer.body[-2000:]
        incident = Incident.objects.get()
        assert answer.headers["Location"] == f"/incidents/{incident.public_id}/"
        assert incident.reference in raiser.request("GET", answer.headers["Location"]).body
        assert device.device_id in raiser.request("GET", "/incidents/raised/").body
        installer = signed_in(portal, installing_user)
        assert incident.reference in installer.request("GET", "/incidents/assigned/").body
        emails = Notification.objects.filter(status=Notification.Status.SENT)
        wanted = Notification.objects.count()
        wait_until(lambda: emails.count() == wanted > 0, what="the emails sent by the worker")
        portal.assert_routed()

    def test_a_bulk_raise_uploaded_through_the_form_gets_one_result_per_row_from_the_worker(
        self, portal, gaining_user, installing_supplier
    ):
        ids = many_devices(ROWS, installing_supplier)
        data = csv_bytes(RAISE_HEADER, *(f"{d},JOB-{n}" for n, d in enumerate(ids)), "zz")
        raiser = signed_in(portal, gaining_user)

        answer = raiser.submit("/bulk/raise/", {}, files={"file": ("jobs.csv", data)})

        assert answer.status == 302, answer.body[-2000:]
        upload = BulkUpload.objects.get()
        wait_until(
            lambda: BulkUpload.objects.get().status == BulkStatus.DONE,
            timeout=120,
            interval=0.5,
            what="the upload processed",
        )
        upload.refresh_from_db()
        assert (upload.accepted_rows, upload.refused_rows) == (ROWS, 1)
        assert_one_result_per_row(upload, ROWS + 1)
        assert_raised_once_each(ROWS)
        results = raiser.request("GET", f"/bulk/{upload.public_id}/results.csv")
        assert results.status == 200
        assert [int(row[0]) for row in csv_rows(results.body)] == list(range(2, ROWS + 3))
        portal.assert_routed()

    def test_the_exports_stream_every_request_once(
        self, portal, gaining_user, installing_user, installing_supplier
    ):
        ids = many_devices(ROWS, installing_supplier)
        data = csv_bytes(RAISE_HEADER, *ids)
        # Raised here, directly (the test settings run the task in this process).
        bulk_upload_create(actor=gaining_user, kind="raise", file=io.BytesIO(data), filename="x")
        assert Incident.objects.count() == ROWS
        references = sorted(i.reference for i in Incident.objects.all())

        raised = signed_in(portal, gaining_user).request("GET", "/incidents/raised/export.csv")
        worklist = signed_in(portal, installing_user).request(
            "GET", "/incidents/assigned/export.csv"
        )

        assert raised.status == worklist.status == 200
        assert sorted(row[0] for row in csv_rows(raised.body)) == references
        assert sorted(row[0] for row in csv_rows(worklist.body)) == references
        portal.assert_routed()

    def test_a_bulk_file_a_run_left_unfinished_is_resumed_by_the_worker_without_a_row_twice(
        self, portal, gaining_user, installing_supplier
    ):
        ids = many_devices(ROWS, installing_supplier)
        data = csv_bytes(RAISE_HEADER, *ids, *ids[:3])  # three rows repeat earlier ones
        with broker_pointed_at(app, "memory://"):  # its first task is never delivered
            upload = bulk_upload_create(
                actor=gaining_user, kind="raise", file=io.BytesIO(data), filename="x"
            )
        # A first run here does one chunk and runs out of time: its continuation goes to the
        # worker, which resumes from the rows written (reading back what the run learned).
        with broker_pointed_at(app, portal_broker()):
            outcome = bulk_upload_process(upload_id=upload.pk, chunk_size=1000, time_budget=0)
        assert outcome == "continued"

        wait_until(
            lambda: BulkUpload.objects.get().status == BulkStatus.DONE,
            timeout=120,
            interval=0.5,
            what="the upload resumed and done",
        )
        upload.refresh_from_db()
        assert (upload.accepted_rows, upload.refused_rows) == (ROWS, 3)
        assert_one_result_per_row(upload, ROWS + 3)
        assert set(
            BulkRow.objects.filter(upload=upload, line__gt=ROWS + 1).values_list(
                "reason_code", flat=True
            )
        ) == {"duplicate_in_file"}
        assert_raised_once_each(ROWS)
        portal.assert_routed()

    def test_the_deadline_sweep_run_twice_by_the_worker_escalates_each_overdue_request_once(
        self, portal, gaining_user, installing_supplier
    ):
        ids = many_devices(3, installing_supplier)
        for device_id in ids:  # raised in April: long overdue
            incident_raise(actor=gaining_user, device_id=device_id, now=NOW)
        before = len(portal.finished("incidents.tasks.escalate_overdue_incidents"))

        with broker_pointed_at(app, portal_broker()):
            from incidents.tasks import escalate_overdue_incidents

            escalate_overdue_incidents.delay()
            escalate_overdue_incidents.delay()

        runs = wait_until(
            lambda: (
                (runs := portal.finished("incidents.tasks.escalate_overdue_incidents")[before:])
                and len(runs) == 2
                and runs
            ),
            timeout=60,
            what="two sweeps",
        )
        assert sorted(runs) == ["0", "3"]
        breached = IncidentEvent.objects.filter(kind=EventKind.BREACHED)
        assert breached.count() == 3
        assert breached.values("incident").distinct().count() == 3
        assert not Incident.objects.filter(breached_at__isnull=True).exists()
        assert set(Incident.objects.values_list("status", flat=True)) == {
            IncidentStatus.AWAITING_INSTALLER
        }
        portal.assert_routed()


def portal_broker() -> str:
    from conftest import REDIS_URL

    return REDIS_URL
