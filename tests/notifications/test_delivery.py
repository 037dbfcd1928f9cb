"""The outbox: rows written with the event, delivered after commit, at most once per claim,
retried on transient failure up to a cap, then left failed for the helpdesk to retry."""

import smtplib

import pytest
from celery.exceptions import Retry
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications.models import Notification
from notifications.services import (
    MAX_ATTEMPTS,
    TransientDeliveryError,
    notification_deliver,
    notification_queue,
    notification_retry,
)
from notifications.tasks import deliver_notification

pytestmark = pytest.mark.django_db

CONTEXT = {
    "reference": "INC0000042",
    "device_id": "00-DB-12-34-56-78-90-A0",
    "device_type": "ESME",
    "status": "Awaiting installing Supplier",
    "event": "Raised",
    "actor_organisation": "Gaining Energy",
    "raising_supplier": "Gaining Energy",
    "assigned_supplier": "Installing Power",
    "due_at": "Friday 10 April 2026, 23:59",
    "url": "http://testserver/incidents/00000000-0000-0000-0000-000000000042/",
}


class DisconnectingBackend(EmailBackend):
    """A mail server that drops the connection on every send."""

    def send_messages(self, messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


@pytest.fixture
def smtp_down(settings):
    settings.MAILERS = {
        "default": {"BACKEND": f"{DisconnectingBackend.__module__}.DisconnectingBackend"}
    }


def _queue(recipients=("installs@installing.example",)) -> list[Notification]:
    return notification_queue(
        source="incident-event:42",
        template="incident_assigned",
        recipients=recipients,
        context=CONTEXT,
    )


@pytest.fixture
def pending(django_capture_on_commit_callbacks) -> Notification:
    """One pending row whose after-commit delivery was captured and never run."""
    with django_capture_on_commit_callbacks(execute=False):
        (row,) = _queue()
    return row


def _status(row: Notification) -> tuple[str, int]:
    row.refresh_from_db()
    return row.status, row.attempts


def _fail(row: Notification, times: int) -> None:
    for _ in range(times):
        with pytest.raises(TransientDeliveryError):
            notification_deliver(notification_id=row.pk)


# --- Queueing -----------------------------------------------------------------------------------


def test_queueing_writes_one_row_per_distinct_recipient_ignoring_case_and_spaces(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=False):
        rows = _queue(
            [
                "Ops@Installing.example",
                " ops@installing.example ",
                "OPS@INSTALLING.EXAMPLE",
                "installs@installing.example",
                "",
                "   ",
                None,
            ]
        )

    assert sorted(r.recipient for r in rows) == [
        "installs@installing.example",
        "ops@installing.example",
    ]
    assert Notification.objects.count() == 2


def test_queueing_writes_the_rows_in_one_insert(django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=False),
        CaptureQueriesContext(connection) as queries,
    ):
        _queue(["a@one.example", "b@two.example", "c@three.example"])

    inserts = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("INSERT")]
    assert len(inserts) == 1
    assert Notification.objects.filter(status=Notification.Status.PENDING).count() == 3


def test_nothing_is_sent_before_the_transaction_commits(
    django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _queue(["a@one.example", "b@two.example"])

    assert len(callbacks) == 2
    assert mailoutbox == []


def test_after_commit_each_row_is_sent_as_one_email_and_marked_sent(
    django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        rows = _queue(["a@one.example", "b@two.example"])

    assert sorted(m.to[0] for m in mailoutbox) == ["a@one.example", "b@two.example"]
    assert all(len(m.to) == 1 and "INC0000042" in m.subject for m in mailoutbox)
    for row in rows:
        row.refresh_from_db()
        assert (row.status, row.attempts, row.last_error) == ("sent", 1, "")
        assert row.sent_at is not None


def test_every_email_has_a_text_and_an_html_body(django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True):
        _queue()

    (message,) = mailoutbox
    assert CONTEXT["url"] in message.body
    assert [mimetype for _, mimetype in message.alternatives] == ["text/html"]


# --- Claiming -----------------------------------------------------------------------------------


def test_delivering_one_row_twice_sends_it_once(pending, mailoutbox):
    first = notification_deliver(notification_id=pending.pk)
    second = notification_deliver(notification_id=pending.pk)

    assert (first, second) == (True, False)
    assert len(mailoutbox) == 1


def test_the_task_delivered_twice_sends_once(pending, mailoutbox):
    deliver_notification.delay(pending.pk)
    deliver_notification.delay(pending.pk)

    assert len(mailoutbox) == 1


def test_a_row_claimed_by_another_worker_is_not_sent(pending, mailoutbox):
    Notification.objects.filter(pk=pending.pk).update(status=Notification.Status.SENDING)

    assert notification_deliver(notification_id=pending.pk) is False
    assert mailoutbox == []


# --- Failures and retries -----------------------------------------------------------------------


def test_an_smtp_failure_raises_a_transient_error(pending, smtp_down):
    with pytest.raises(TransientDeliveryError, match="unexpectedly closed"):
        notification_deliver(notification_id=pending.pk)


def test_an_smtp_failure_puts_the_row_back_to_pending_with_the_error(pending, smtp_down):
    _fail(pending, 1)

    pending.refresh_from_db()
    assert (pending.status, pending.attempts) == ("pending", 1)
    assert pending.last_error == "SMTPServerDisconnected: Connection unexpectedly closed"


def test_a_row_is_failed_after_the_last_allowed_attempt(pending, smtp_down):
    _fail(pending, MAX_ATTEMPTS - 1)
    assert _status(pending) == ("pending", MAX_ATTEMPTS - 1)

    _fail(pending, 1)

    assert _status(pending) == ("failed", MAX_ATTEMPTS)


def test_a_failed_row_is_not_delivered_again_by_itself(pending, smtp_down):
    _fail(pending, MAX_ATTEMPTS)

    assert notification_deliver(notification_id=pending.pk) is False
    assert _status(pending) == ("failed", MAX_ATTEMPTS)


def test_the_task_asks_celery_to_retry_a_transient_failure_with_backoff(pending, smtp_down):
    with pytest.raises(Retry) as caught:
        deliver_notification.delay(pending.pk)

    assert caught.value.when == 30
    assert _status(pending) == ("pending", 1)


def test_the_task_gives_up_on_its_last_attempt_leaving_the_row_failed(pending, smtp_down):
    # The row has failed as many times as the task has already retried.
    Notification.objects.filter(pk=pending.pk).update(attempts=MAX_ATTEMPTS - 1)

    with pytest.raises(TransientDeliveryError):
        deliver_notification.apply(args=[pending.pk], retries=MAX_ATTEMPTS - 1)

    assert _status(pending) == ("failed", MAX_ATTEMPTS)


def test_a_transient_failure_then_success_sends_once(pending, smtp_down, settings, mailoutbox):
    _fail(pending, 2)
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}

    assert notification_deliver(notification_id=pending.pk) is True
    assert _status(pending) == ("sent", 3)
    assert len(mailoutbox) == 1


def test_retrying_a_failed_row_puts_it_back_and_delivers_it(
    pending, smtp_down, settings, django_capture_on_commit_callbacks, mailoutbox
):
    _fail(pending, MAX_ATTEMPTS)
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}

    with django_capture_on_commit_callbacks(execute=True):
        assert notification_retry(notification_id=pending.pk) is True

    assert _status(pending) == ("sent", 1)
    assert [m.to for m in mailoutbox] == [[pending.recipient]]


@pytest.mark.parametrize("status", ["pending", "sending", "sent"])
def test_only_a_failed_row_can_be_retried(pending, status, django_capture_on_commit_callbacks):
    Notification.objects.filter(pk=pending.pk).update(status=status)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert notification_retry(notification_id=pending.pk) is False

    assert callbacks == []
