"""The outbox: rows written with the event, delivered after commit, at most once per claim,
retried on transient failure up to a cap, then left failed for the helpdesk to retry."""

import datetime as dt
import smtplib

import pytest
import time_machine
from celery.exceptions import Retry
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import supplier_audience
from notifications.models import Notification
from notifications.services import (
    MAX_ATTEMPTS,
    TransientDeliveryError,
    notification_deliver,
    notification_queue,
    notification_queue_many,
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


class FailingBackend(EmailBackend):
    """A mail server that fails every send with ``error``."""

    error: Exception = smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    def send_messages(self, messages):
        raise self.error


@pytest.fixture
def smtp_fails(settings, monkeypatch):
    """Call with an error: the mail server fails every send with it from now on."""

    def fail_with(error: Exception) -> None:
        monkeypatch.setattr(FailingBackend, "error", error)
        settings.MAILERS = {"default": {"BACKEND": f"{__name__}.FailingBackend"}}

    return fail_with


@pytest.fixture
def smtp_down(smtp_fails):
    smtp_fails(smtplib.SMTPServerDisconnected("Connection unexpectedly closed"))


@pytest.fixture
def smtp_back(settings):
    """Call to bring the mail server back."""

    def bring_back() -> None:
        settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}

    return bring_back


def _queue(recipients=("installs@installing.example",), **kwargs) -> list[Notification]:
    return notification_queue(
        source="incident-event:42",
        template="incident_assigned",
        recipients=recipients,
        context=CONTEXT,
        **kwargs,
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
    """``times`` failed attempts that each leave the row pending for a retry."""
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

    assert len(callbacks) == 1  # one callback publishes every row of the call
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


def test_queueing_records_the_organisation_of_the_recipients(
    django_capture_on_commit_callbacks, installing_supplier
):
    supplier = installing_supplier
    with django_capture_on_commit_callbacks(execute=False):
        by_instance = _queue(["a@one.example"], audience=supplier.audience)
        by_id = notification_queue(
            source="incident-event:43",
            template="incident_assigned",
            recipients=["b@one.example"],
            context=CONTEXT,
            audience=supplier_audience(supplier.pk),
        )
        helpdesk = _queue(["helpdesk@dcc.example"])

    assert [r.audience for r in by_instance + by_id + helpdesk] == [
        f"supplier:{supplier.pk}",
        f"supplier:{supplier.pk}",
        "",
    ]


def _items(count: int, audience="") -> list:
    return [
        (
            f"incident-event:{n}",
            "incident_assigned",
            ["a@one.example", "b@one.example"],
            CONTEXT,
            audience,
        )
        for n in range(count)
    ]


def test_queueing_many_events_writes_every_row_in_one_insert_and_one_callback(
    django_capture_on_commit_callbacks,
):
    with (
        django_capture_on_commit_callbacks(execute=False) as callbacks,
        CaptureQueriesContext(connection) as queries,
    ):
        rows = notification_queue_many(_items(300))

    inserts = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("INSERT")]
    assert (len(rows), len(inserts), len(callbacks)) == (600, 1, 1)
    assert Notification.objects.filter(status="pending").count() == 600


def test_queueing_many_publishes_each_row_after_commit(
    django_capture_on_commit_callbacks, published
):
    with django_capture_on_commit_callbacks(execute=True):
        rows = notification_queue_many(_items(3))
        assert published == []

    assert published == [row.pk for row in rows]


def test_queueing_many_writes_an_event_s_email_to_an_address_once(
    django_capture_on_commit_callbacks,
):
    items = [
        (
            "incident-event:1",
            "incident_assigned",
            ["A@one.example", "a@one.example"],
            CONTEXT,
            None,
        ),
        ("incident-event:1", "incident_assigned", ["a@one.example"], CONTEXT, None),
        ("incident-event:1", "incident_updated", ["a@one.example"], CONTEXT, None),
    ]
    with django_capture_on_commit_callbacks(execute=False):
        rows = notification_queue_many(items)

    assert sorted((r.template, r.recipient) for r in rows) == [
        ("incident_assigned", "a@one.example"),
        ("incident_updated", "a@one.example"),
    ]


def test_queueing_nothing_writes_and_queues_nothing(django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=False) as callbacks,
        CaptureQueriesContext(connection) as queries,
    ):
        assert notification_queue_many([("incident-event:1", "x", ["", None], {}, None)]) == []

    assert (callbacks, queries.captured_queries) == ([], [])


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


def test_a_failure_schedules_the_next_attempt_after_the_backoff(pending, smtp_down):
    start = pending.created_at + dt.timedelta(seconds=1)
    with time_machine.travel(start, tick=False):
        _fail(pending, 1)

    pending.refresh_from_db()
    assert pending.next_attempt_at == start + dt.timedelta(seconds=30)


def test_the_backoff_doubles_with_each_failure(pending, smtp_down):
    start = pending.created_at + dt.timedelta(seconds=1)
    waits = []
    with time_machine.travel(start, tick=False) as clock:
        for _ in range(MAX_ATTEMPTS - 1):
            _fail(pending, 1)
            pending.refresh_from_db()
            waits.append((pending.next_attempt_at - timezone.now()).total_seconds())
            clock.move_to(pending.next_attempt_at)

    assert waits == [30, 60, 120, 240]


def test_a_row_waiting_out_its_backoff_is_not_sent_early(pending, smtp_down, smtp_back, mailoutbox):
    start = pending.created_at + dt.timedelta(seconds=1)
    with time_machine.travel(start, tick=False):
        _fail(pending, 1)
    smtp_back()

    early = notification_deliver(notification_id=pending.pk, now=start + dt.timedelta(seconds=28))

    assert early is False
    assert _status(pending) == ("pending", 1)
    assert mailoutbox == []


def test_a_row_is_sent_once_its_backoff_is_over(pending, smtp_down, smtp_back, mailoutbox):
    start = pending.created_at + dt.timedelta(seconds=1)
    with time_machine.travel(start, tick=False):
        _fail(pending, 1)
    smtp_back()

    assert notification_deliver(notification_id=pending.pk, now=start + dt.timedelta(seconds=30))
    assert _status(pending) == ("sent", 2)
    assert len(mailoutbox) == 1


def test_a_row_is_failed_after_the_last_allowed_attempt(pending, smtp_down, no_backoff):
    _fail(pending, MAX_ATTEMPTS - 1)
    assert _status(pending) == ("pending", MAX_ATTEMPTS - 1)

    assert notification_deliver(notification_id=pending.pk) is False  # gives up, no retry

    assert _status(pending) == ("failed", MAX_ATTEMPTS)
    assert pending.last_error == "SMTPServerDisconnected: Connection unexpectedly closed"


def test_a_failed_row_is_not_delivered_again_by_itself(pending, smtp_down, no_backoff):
    _fail(pending, MAX_ATTEMPTS - 1)
    notification_deliver(notification_id=pending.pk)

    assert notification_deliver(notification_id=pending.pk) is False
    assert _status(pending) == ("failed", MAX_ATTEMPTS)


@pytest.mark.parametrize(
    "error",
    [
        smtplib.SMTPDataError(554, b"5.6.0 Message content rejected"),
        smtplib.SMTPRecipientsRefused({"a@one.example": (550, b"5.1.1 No such user")}),
    ],
    ids=["554 on data", "550 recipient"],
)
def test_a_permanent_refusal_fails_the_row_at_once_without_retry(pending, smtp_fails, error):
    smtp_fails(error)

    assert notification_deliver(notification_id=pending.pk) is False

    assert _status(pending) == ("failed", 1)
    assert pending.last_error.startswith(type(error).__name__)


@pytest.mark.parametrize(
    "error",
    [
        smtplib.SMTPDataError(451, b"4.3.0 Try again later"),
        smtplib.SMTPConnectError(554, b"No SMTP service here"),
        smtplib.SMTPRecipientsRefused({"a@one.example": (450, b"4.2.1 Mailbox busy")}),
        ConnectionRefusedError(111, "Connection refused"),
    ],
    ids=["451 on data", "554 greeting", "450 recipient", "connection refused"],
)
def test_a_transient_error_leaves_the_row_pending_for_a_retry(pending, smtp_fails, error):
    smtp_fails(error)

    with pytest.raises(TransientDeliveryError):
        notification_deliver(notification_id=pending.pk)

    assert _status(pending) == ("pending", 1)


def test_the_task_asks_celery_to_retry_a_transient_failure_with_backoff(pending, smtp_down):
    with pytest.raises(Retry) as caught:
        deliver_notification.delay(pending.pk)

    assert caught.value.when == 30
    assert _status(pending) == ("pending", 1)


def test_the_task_retry_countdown_follows_the_attempts_on_the_row(pending, smtp_down):
    Notification.objects.filter(pk=pending.pk).update(attempts=2)

    with pytest.raises(Retry) as caught:
        deliver_notification.delay(pending.pk)

    assert caught.value.when == 120  # third failure: 30 s x 2^2


def test_the_retry_base_is_a_setting(pending, smtp_down, settings):
    settings.SSI_NOTIFICATION_RETRY_BASE_SECONDS = 2

    with pytest.raises(Retry) as caught:
        deliver_notification.delay(pending.pk)

    assert caught.value.when == 2


def test_the_task_gives_up_on_its_last_attempt_leaving_the_row_failed(pending, smtp_down):
    # The row has failed as many times as the task has already retried.
    Notification.objects.filter(pk=pending.pk).update(attempts=MAX_ATTEMPTS - 1)

    result = deliver_notification.apply(args=[pending.pk], retries=MAX_ATTEMPTS - 1)

    assert result.get() is False
    assert _status(pending) == ("failed", MAX_ATTEMPTS)


def test_a_transient_failure_then_success_sends_once(
    pending, smtp_down, smtp_back, no_backoff, mailoutbox
):
    _fail(pending, 2)
    smtp_back()

    assert notification_deliver(notification_id=pending.pk) is True
    assert _status(pending) == ("sent", 3)
    assert len(mailoutbox) == 1


def test_retrying_a_failed_row_puts_it_back_and_delivers_it(
    pending, smtp_down, smtp_back, no_backoff, django_capture_on_commit_callbacks, mailoutbox
):
    _fail(pending, MAX_ATTEMPTS - 1)
    notification_deliver(notification_id=pending.pk)
    smtp_back()

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
