"""With the broker unreachable, a change still commits and the page still answers; the emails
wait as pending rows for the sweep. (No Redis needed: the broker is a port nobody listens on.)"""

import logging
import time
from datetime import timedelta

import pytest
from django.urls import reverse

from incidents.models import Incident
from notifications.models import Notification
from notifications.services import notification_queue, notifications_requeue_stale
from ssi_portal.celery import app
from tests.support.mail import free_port
from tests.support.outbox import ASSIGNED_CONTEXT, make_notification
from tests.support.worker import broker_pointed_at

pytestmark = pytest.mark.django_db

# A dead broker must cost about a second per after-commit callback, never a hung request.
PATIENCE_SECONDS = 3


@pytest.fixture
def broker_unreachable():
    with broker_pointed_at(app, f"redis://127.0.0.1:{free_port()}/0"):
        yield


def test_raising_a_request_commits_and_answers_with_the_emails_left_pending(
    broker_unreachable, client, gaining_user, device, django_capture_on_commit_callbacks
):
    client.force_login(gaining_user)
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(reverse("incidents:raise"), {"device_id": device.device_id})
    elapsed = time.monotonic() - started

    assert response.status_code == 302
    assert elapsed < PATIENCE_SECONDS
    assert len(callbacks) >= 1  # publishing was tried, and failed quietly
    assert Incident.objects.filter(device=device).exists()
    assert sorted(Notification.objects.values_list("recipient", "status", "attempts")) == [
        ("installs@installing.example", "pending", 0),
        ("ops@installing.example", "pending", 0),
    ]


def test_publishing_a_batch_gives_up_at_the_first_failure(
    broker_unreachable, django_capture_on_commit_callbacks, caplog
):
    recipients = [f"contact{n}@installing.example" for n in range(50)]
    started = time.monotonic()
    with (
        caplog.at_level(logging.WARNING, logger="notifications"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        notification_queue(
            source="incident-event:1",
            template="incident_assigned",
            recipients=recipients,
            context=ASSIGNED_CONTEXT,
        )

    assert time.monotonic() - started < PATIENCE_SECONDS
    assert "50 of 50 notification(s) left pending for the sweep" in caplog.text
    assert Notification.objects.filter(status="pending").count() == 50


def test_the_sweep_with_the_broker_down_leaves_the_rows_for_its_next_run(
    broker_unreachable, django_capture_on_commit_callbacks
):
    stale = make_notification(age=timedelta(minutes=3))

    with django_capture_on_commit_callbacks(execute=True):
        counts = notifications_requeue_stale()

    assert counts["pending"] == 1
    stale.refresh_from_db()
    assert (stale.status, stale.attempts) == ("pending", 0)
