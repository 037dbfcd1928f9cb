"""An upload committed while the broker is unreachable waits, queued, for the sweep, exactly as
an email does: both go through the one after-commit publisher (``ssi_portal.lib.publish``).
(No Redis needed: the broker is a port nobody listens on.)"""

import datetime as dt
import logging
import time

import pytest

from incidents.models import BulkStatus, Incident
from incidents.services.bulk.jobs import bulk_uploads_requeue_stale
from ssi_portal.celery import app
from tests.support.bulk import NOW, RAISE_HEADER, csv_bytes, upload
from tests.support.mail import free_port
from tests.support.worker import broker_pointed_at

pytestmark = pytest.mark.django_db

# A dead broker must cost about a second per after-commit callback, never a hung request.
PATIENCE_SECONDS = 3


@pytest.fixture
def broker_unreachable():
    with broker_pointed_at(app, f"redis://127.0.0.1:{free_port()}/0"):
        yield


def test_an_upload_made_while_the_broker_is_down_stays_queued_for_the_sweep(
    broker_unreachable, gaining_user, device, django_capture_on_commit_callbacks, caplog
):
    started = time.monotonic()
    with (
        caplog.at_level(logging.WARNING, logger="incidents"),
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        queued = upload(gaining_user, "raise", csv_bytes(RAISE_HEADER, device.device_id))

    assert time.monotonic() - started < PATIENCE_SECONDS
    assert len(callbacks) == 1  # publishing was tried, and failed quietly
    queued.refresh_from_db()
    assert queued.status == BulkStatus.QUEUED
    assert f"bulk upload {queued.pk} left pending for the sweep" in caplog.text


def test_the_sweep_with_the_broker_down_leaves_the_upload_for_its_next_run(
    broker_unreachable, gaining_user, device, django_capture_on_commit_callbacks, caplog
):
    queued = upload(gaining_user, "raise", csv_bytes(RAISE_HEADER, device.device_id))

    with (
        caplog.at_level(logging.WARNING, logger="incidents"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert bulk_uploads_requeue_stale(now=NOW + dt.timedelta(minutes=3)) == 1

    queued.refresh_from_db()
    assert queued.status == BulkStatus.QUEUED
    assert not Incident.objects.exists()
    assert "left pending for the sweep" in caplog.text
