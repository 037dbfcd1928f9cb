"""Faults, with real parts: a Redis broker, Celery workers and an SMTP server.

Each test ends with every notification sent (or visibly failed after its retries), and with
no email sent twice by the system's own logic.
"""

import datetime as dt
import time
import warnings
from collections import Counter

import pytest
from celery.exceptions import CPendingDeprecationWarning
from django.contrib.auth.models import Permission
from django.db import connection, transaction
from django.urls import reverse

from notifications.models import Notification
from notifications.services import MAX_ATTEMPTS, notification_queue, notifications_requeue_stale
from ssi_portal.celery import app
from tests.factories import DeviceFactory
from tests.support.outbox import ASSIGNED_CONTEXT, time_passes
from tests.support.waiting import wait_until
from tests.support.worker import (
    broker_pointed_at,
    database_url,
    finished_tasks,
    running_worker,
    worker_process,
)

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

INSTALLING_CONTACTS = ["installs@installing.example", "ops@installing.example"]
DELIVER = "notifications.tasks.deliver_notification"
# The sweep's own thresholds (notifications_requeue_stale's defaults), and a little more.
PAST_PENDING_AFTER = dt.timedelta(minutes=2, seconds=1)
PAST_SENDING_AFTER = dt.timedelta(minutes=10, seconds=1)


def statuses() -> Counter:
    return Counter(Notification.objects.values_list("status", flat=True))


def wait_for_statuses(expected: dict[str, int], *, timeout: float = 20.0) -> None:
    """Poll the rows (PostgreSQL only: on SQLite, reading while an in-thread worker writes
    can make its write fail with "table is locked"; wait on the worker's runs there)."""
    wait_until(
        lambda: statuses() == Counter(expected),
        timeout=timeout,
        what=f"notifications {expected} (now {dict(statuses())})",
    )


def assert_one_email_per_notification(smtp_server) -> None:
    """Every sent row reached its recipient exactly once, and nothing else was accepted."""
    accepted = Counter((m.rcpt_tos, m.subject) for m in smtp_server.messages)
    assert all(count == 1 for count in accepted.values()), accepted
    assert len(accepted) == Notification.objects.filter(status="sent").count()


def queue(recipients, source="incident-event:42") -> list[int]:
    with transaction.atomic():
        rows = notification_queue(
            source=source,
            template="incident_assigned",
            recipients=recipients,
            context={**ASSIGNED_CONTEXT, "reference": source.split(":")[1]},
        )
    return [row.pk for row in rows]


def quiet_about_cancelling_on_connection_loss() -> None:
    """A worker that loses the broker warns that Celery 6 will cancel running late-ack tasks by
    default; the settings keep them running on purpose (see "Notification delivery" in
    base.py). Called once the worker runs: its start puts Celery's own "always show" filter
    first (celery/app/log.py), ahead of any mark. The test's warnings context undoes it."""
    warnings.filterwarnings(
        "ignore",
        message=r"\s*In Celery 5.1 we introduced an optional breaking change",
        category=CPendingDeprecationWarning,
    )


# --- The broker goes away -----------------------------------------------------------------------


def test_requests_raised_while_the_broker_is_down_are_emailed_once_it_is_back(
    throwaway_redis, smtp_server, client, gaining_user, installing_supplier
):
    devices = [DeviceFactory(installing_supplier=installing_supplier) for _ in range(3)]
    client.force_login(gaining_user)

    with running_worker(app, throwaway_redis.url) as worker:
        quiet_about_cancelling_on_connection_loss()
        throwaway_redis.kill()
        for device in devices:
            started = time.monotonic()
            response = client.post(reverse("incidents:raise"), {"device_id": device.device_id})
            # The request is committed and answered at once; no error page.
            assert response.status_code == 302
            assert time.monotonic() - started < 3

        assert statuses() == {"pending": 6}
        assert smtp_server.messages == []

        throwaway_redis.start()  # same port, empty: whatever it held died with it
        time_passes(PAST_PENDING_AFTER)
        assert notifications_requeue_stale()["pending"] == 6

        worker.tasks.wait_for(DELIVER, 6)
        assert statuses() == {"sent": 6}
        # Nothing more is published by a second sweep, so nothing more can be sent.
        time_passes(PAST_PENDING_AFTER)
        assert notifications_requeue_stale() == {"pending": 0, "sending": 0, "failed": 0}
        assert len(worker.tasks.of(DELIVER)) == 6

    recipients = sorted(to for m in smtp_server.messages for to in m.rcpt_tos)
    assert recipients == sorted(INSTALLING_CONTACTS * 3)
    assert_one_email_per_notification(smtp_server)


# --- A worker dies mid-send ---------------------------------------------------------------------


@pytest.mark.postgres("a worker in another process reads the test database")
def test_a_notification_whose_worker_was_killed_mid_send_is_sent_once(
    throwaway_redis, smtp_server, tmp_path
):
    log = tmp_path / "worker.log"
    worker = {
        "broker_url": throwaway_redis.url,
        "database": database_url(connection.settings_dict),
        "smtp_host": smtp_server.host,
        "smtp_port": smtp_server.port,
        "log": log,
    }
    held = smtp_server.stall_next()

    with broker_pointed_at(app, throwaway_redis.url):
        interrupted, waiting = queue(INSTALLING_CONTACTS)

        with worker_process(**worker) as first:
            assert held.wait(timeout=20), log.read_text()
            # The message is on the wire and the server has not answered: kill -9 now.
            assert Notification.objects.get(pk=interrupted).status == "sending"
            first.kill()
            first.wait(timeout=10)
        killed_at = time.monotonic()

        assert smtp_server.messages == []
        assert statuses() == {"sending": 1, "pending": 1}  # one stuck, one still queued

        # Ten minutes on, nothing has moved: the sweep gives the stuck row back and publishes
        # the waiting one again.
        time_passes(PAST_SENDING_AFTER)
        assert notifications_requeue_stale() == {"pending": 1, "sending": 1, "failed": 0}

        # A new worker gets four messages for two rows: the waiting row's own, the killed
        # worker's (handed back by Redis once unacknowledged past the visibility timeout)
        # and one from the sweep for each row. Only two can win a claim.
        time.sleep(max(0.0, 1.2 - (time.monotonic() - killed_at)))
        with worker_process(**worker, visibility_timeout=1):
            wait_for_statuses({"sent": 2})
            runs = wait_until(
                lambda: len(r := finished_tasks(log, DELIVER)) >= 4 and r,
                what="four delivery tasks to finish",
            )

    assert sorted(runs) == ["False", "False", "True", "True"]
    row = Notification.objects.get(pk=interrupted)
    assert (row.status, row.attempts) == ("sent", 2)  # the interrupted attempt counts
    assert sorted(to for m in smtp_server.messages for to in m.rcpt_tos) == INSTALLING_CONTACTS
    assert_one_email_per_notification(smtp_server)


# --- The mail server refuses, then recovers -----------------------------------------------------


@pytest.fixture
def quick_retries(settings):
    # Backoff of 0 s: the retries happen at once instead of after 30 s, 60 s, ...
    settings.SSI_NOTIFICATION_RETRY_BASE_SECONDS = 0


def test_a_notification_refused_for_a_while_is_sent_once_the_server_accepts(
    celery_worker, smtp_server, quick_retries
):
    refusals = 2
    smtp_server.refuse_next(refusals, "451 4.3.0 Mail server busy, try again later")

    (pk,) = queue(INSTALLING_CONTACTS[:1])

    runs = celery_worker.tasks.wait_for(DELIVER, refusals + 1)
    assert [state for _, _, state in runs] == ["RETRY"] * refusals + ["SUCCESS"]
    row = Notification.objects.get(pk=pk)
    assert (row.status, row.attempts, row.last_error) == ("sent", refusals + 1, "")
    assert len(smtp_server.refused) == refusals
    assert [m.rcpt_tos for m in smtp_server.messages] == [(INSTALLING_CONTACTS[0],)]


def test_a_notification_always_refused_fails_visibly_and_the_helpdesk_retry_sends_it(
    celery_worker, smtp_server, quick_retries, client, helpdesk_user
):
    smtp_server.refuse_all("421 4.3.2 Service not available, try later")

    (pk,) = queue(INSTALLING_CONTACTS[:1])

    celery_worker.tasks.wait_for(DELIVER, MAX_ATTEMPTS)
    row = Notification.objects.get(pk=pk)
    assert (row.status, row.attempts) == ("failed", MAX_ATTEMPTS)
    assert "421" in row.last_error and "Service not available" in row.last_error
    assert len(smtp_server.refused) == MAX_ATTEMPTS
    assert smtp_server.messages == []

    # The helpdesk sees it among the failed emails and retries it once the server is back.
    helpdesk_user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_notification", "change_notification"])
    )
    client.force_login(helpdesk_user)
    changelist = reverse("admin:notifications_notification_changelist")
    assert INSTALLING_CONTACTS[0] in client.get(changelist + "?status__exact=failed").text
    smtp_server.accept_all()
    response = client.post(changelist, {"action": "retry", "_selected_action": [pk]})
    assert response.status_code == 302

    celery_worker.tasks.wait_for(DELIVER, MAX_ATTEMPTS + 1)
    row = Notification.objects.get(pk=pk)
    assert (row.status, row.attempts) == ("sent", 1)
    assert [m.rcpt_tos for m in smtp_server.messages] == [(INSTALLING_CONTACTS[0],)]
