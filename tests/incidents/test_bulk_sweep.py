"""Uploads that nothing is processing: published again by the sweep; stopped after repeated
deaths or once the uploader lost the role, and never processed twice."""

import datetime as dt

import pytest

from incidents.models import BulkStatus, BulkUpload, Incident
from incidents.services.bulk.jobs import bulk_uploads_requeue_stale
from incidents.tasks import requeue_stale_bulk_uploads
from tests.support.bulk import NOW, RAISE_HEADER, csv_bytes, process, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(gaining_user, device):
    """An upload whose task was never published (the broker was down at commit)."""
    return upload(gaining_user, "raise", csv_bytes(RAISE_HEADER, device.device_id))


def test_an_upload_left_queued_is_published_again_and_processed(
    queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert bulk_uploads_requeue_stale(now=NOW + dt.timedelta(minutes=3)) == 1

    queued.refresh_from_db()
    assert queued.status == BulkStatus.DONE
    assert Incident.objects.count() == 1


def test_a_recent_upload_is_left_to_its_own_task(queued):
    assert bulk_uploads_requeue_stale(now=NOW + dt.timedelta(minutes=1)) == 0


def test_the_sweep_run_twice_publishes_an_upload_once_a_while(queued):
    later = NOW + dt.timedelta(minutes=3)

    assert bulk_uploads_requeue_stale(now=later) == 1
    assert bulk_uploads_requeue_stale(now=later + dt.timedelta(seconds=30)) == 0


def test_an_upload_stuck_processing_is_published_again_after_ten_minutes(queued):
    BulkUpload.objects.filter(pk=queued.pk).update(status=BulkStatus.PROCESSING)

    assert bulk_uploads_requeue_stale(now=NOW + dt.timedelta(minutes=9)) == 0
    assert bulk_uploads_requeue_stale(now=NOW + dt.timedelta(minutes=11)) == 1


def test_finished_and_refused_uploads_are_never_published_again(gaining_user, queued):
    process(queued)
    upload(gaining_user, "raise", b"")

    assert bulk_uploads_requeue_stale(now=NOW + dt.timedelta(days=1)) == 0


def test_an_upload_whose_runs_keep_dying_is_stopped_with_a_message(queued, settings):
    settings.SSI_BULK_MAX_ATTEMPTS = 2
    BulkUpload.objects.filter(pk=queued.pk).update(status=BulkStatus.PROCESSING, attempts=2)

    stopped = process(queued)

    assert stopped.status == BulkStatus.FAILED
    assert stopped.error.startswith("Processing stopped after 2 attempts that did not finish.")
    assert stopped.payload_sealed is None
    assert not Incident.objects.exists()


def test_an_upload_stopped_after_one_attempt_and_one_row_says_so_in_the_singular(queued, settings):
    settings.SSI_BULK_MAX_ATTEMPTS = 1
    BulkUpload.objects.filter(pk=queued.pk).update(
        status=BulkStatus.PROCESSING, attempts=1, total_rows=2, processed_rows=1, refused_rows=1
    )

    stopped = process(queued)

    assert stopped.error == (
        "Processing stopped after 1 attempt that did not finish. The first row has its result; "
        "the rest were not processed. Contact the DCC helpdesk."
    )


def test_an_upload_stopped_before_any_row_says_no_row_was_processed(queued, settings):
    settings.SSI_BULK_MAX_ATTEMPTS = 2
    BulkUpload.objects.filter(pk=queued.pk).update(status=BulkStatus.PROCESSING, attempts=2)

    assert process(queued).error == (
        "Processing stopped after 2 attempts that did not finish. No row was processed. "
        "Contact the DCC helpdesk."
    )


def test_the_sweep_is_a_thin_periodic_task(settings, queued):
    entry = settings.CELERY_BEAT_SCHEDULE["requeue-stale-bulk-uploads"]

    assert entry["task"] == requeue_stale_bulk_uploads.name
    assert requeue_stale_bulk_uploads() == 1  # uploaded at NOW, long ago
    assert requeue_stale_bulk_uploads() == 0


def test_an_upload_whose_uploader_lost_the_role_is_stopped_before_its_rows(gaining_user, queued):
    gaining_user.can_raise = False
    gaining_user.save()

    stopped = process(queued)

    assert stopped.status == BulkStatus.FAILED
    assert "no longer holds the role" in stopped.error
    assert not Incident.objects.exists()
