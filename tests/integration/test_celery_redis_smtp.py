"""The outbox end to end: committed rows, a real Celery worker on Redis, a real SMTP server."""

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from incidents.services import incident_raise
from notifications.models import Notification
from notifications.services import notification_deliver, notification_queue
from notifications.tasks import deliver_notification
from tests.support.outbox import ASSIGNED_CONTEXT
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

INSTALLING_CONTACTS = ["installs@installing.example", "ops@installing.example"]


def _row(pk: int) -> Notification:
    return Notification.objects.get(pk=pk)


def test_raising_a_request_emails_each_installing_contact_through_the_worker(
    celery_worker,
    smtp_server,
    gaining_user,
    device,
):
    with transaction.atomic():
        incident = incident_raise(actor=gaining_user, device_id=device.device_id)

    messages = smtp_server.wait_for_messages(len(INSTALLING_CONTACTS))
    assert sorted(to for m in messages for to in m.rcpt_tos) == INSTALLING_CONTACTS
    assert {m.subject for m in messages} == {
        f"[SSI] {incident.reference}: Request for Install Code assigned to you"
    }
    statuses = wait_until(
        lambda: (
            (s := sorted(Notification.objects.values_list("recipient", "status")))
            and {status for _, status in s} == {"sent"}
            and s
        ),
        what="both notifications marked sent",
    )
    assert statuses == [(to, "sent") for to in INSTALLING_CONTACTS]


def test_a_notification_delivered_twice_is_emailed_once(celery_worker, smtp_server):
    row = Notification.objects.create(
        source="incident-event:42",
        template="incident_assigned",
        recipient=INSTALLING_CONTACTS[0],
        context=ASSIGNED_CONTEXT,
    )

    deliver_notification.delay(row.pk)
    deliver_notification.delay(row.pk)

    runs = celery_worker.tasks.wait_for(deliver_notification.name, 2)
    assert sorted(sent for _, sent, _ in runs) == [False, True]  # only one run won the claim
    assert [m.rcpt_tos for m in smtp_server.messages] == [(INSTALLING_CONTACTS[0],)]
    assert _row(row.pk).status == Notification.Status.SENT
    assert _row(row.pk).attempts == 1


def test_a_notification_that_fails_while_the_mail_server_is_down_is_delivered_on_retry(
    celery_worker,
    smtp_server,
):
    smtp_server.stop()
    with transaction.atomic():
        [row] = notification_queue(
            source="incident-event:42",
            template="incident_assigned",
            recipients=INSTALLING_CONTACTS[:1],
            context=ASSIGNED_CONTEXT,
        )

    failed = wait_until(
        lambda: (r := _row(row.pk)).attempts == 1 and r, what="the first delivery attempt to fail"
    )
    assert failed.status == Notification.Status.PENDING
    assert failed.last_error.startswith("ConnectionRefusedError")
    assert failed.sent_at is None

    # The task would retry in 30 s; the test runs the retry itself once the server is back.
    smtp_server.start()
    retry_time = timezone.now() + dt.timedelta(seconds=30)
    assert notification_deliver(notification_id=row.pk, now=retry_time) is True

    delivered = _row(row.pk)
    assert delivered.status == Notification.Status.SENT
    assert delivered.attempts == 2
    assert delivered.last_error == ""
    assert [m.rcpt_tos for m in smtp_server.messages] == [(INSTALLING_CONTACTS[0],)]
