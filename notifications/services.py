"""Queue and deliver emails. This app renders and delivers what it is handed; it knows no
incident rules."""

import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone

from ssi_portal.lib.email import render_email

from .models import Notification

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


class TransientDeliveryError(Exception):
    """Delivery failed in a way that may pass (mail server down); the caller retries."""


def notification_queue(
    *, source: str, template: str, recipients: Iterable[str], context: dict
) -> list[Notification]:
    """Write one pending row per distinct recipient and queue delivery after commit.

    Call it inside the transaction that writes the event being reported, so the event and its
    emails commit or vanish together. ``context`` must be JSON-serialisable and must never
    hold a secret: it is stored and rendered into the message.
    """
    unique = sorted({r.strip().lower() for r in recipients if r and r.strip()})
    rows = Notification.objects.bulk_create(
        [
            Notification(source=source, template=template, recipient=r, context=context)
            for r in unique
        ]
    )
    if rows and rows[0].pk is None:  # backends that return no ids from bulk_create
        rows = list(
            Notification.objects.filter(source=source, template=template, recipient__in=unique)
        )
    for row in rows:
        _deliver_after_commit(row.pk)
    return rows


def _deliver_after_commit(notification_id: int) -> None:
    """Queue delivery once the transaction commits. ``robust``: a broker that is down must not
    turn a committed change into an error page; the row stays pending for the sweep to re-queue."""
    from .tasks import deliver_notification

    transaction.on_commit(lambda: deliver_notification.delay(notification_id), robust=True)


def notification_deliver(*, notification_id: int) -> bool:
    """Send one pending notification; return whether this call sent it.

    At-most-once per claim: the row moves pending → sending in one conditional UPDATE, and
    only the caller that won it sends, so a task delivered twice does not send twice.
    """
    claimed = Notification.objects.filter(
        pk=notification_id, status=Notification.Status.PENDING
    ).update(status=Notification.Status.SENDING, claimed_at=timezone.now())
    if not claimed:
        return False
    notification = Notification.objects.get(pk=notification_id)
    try:
        message = _build_message(notification)
        message.send()
    except OSError as exc:  # smtplib.SMTPException is an OSError: the server may recover
        _record_failure(notification, exc)
        raise TransientDeliveryError(str(exc)) from exc
    except Exception as exc:
        # A template or data error: retrying will not mend it, so fail visibly at once.
        logger.exception("Notification %s cannot be built or sent", notification.pk)
        _record_failure(notification, exc, final=True)
        return False
    Notification.objects.filter(pk=notification_id).update(
        status=Notification.Status.SENT,
        sent_at=timezone.now(),
        attempts=notification.attempts + 1,
        last_error="",
    )
    return True


def _build_message(notification: Notification) -> EmailMultiAlternatives:
    subject, text, html = render_email(notification.template, notification.context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.recipient],
    )
    message.attach_alternative(html, "text/html")
    return message


def _record_failure(notification: Notification, exc: Exception, *, final: bool = False) -> None:
    attempts = notification.attempts + 1
    failed = final or attempts >= MAX_ATTEMPTS
    status = Notification.Status.FAILED if failed else Notification.Status.PENDING
    logger.warning(
        "Notification %s attempt %s failed: %s", notification.pk, attempts, type(exc).__name__
    )
    Notification.objects.filter(pk=notification.pk).update(
        status=status, attempts=attempts, last_error=f"{type(exc).__name__}: {exc}"[:2000]
    )


def notification_retry(*, notification_id: int) -> bool:
    """Put a failed notification back to pending and queue it again (helpdesk action)."""
    with transaction.atomic():
        reset = Notification.objects.filter(
            pk=notification_id, status=Notification.Status.FAILED
        ).update(status=Notification.Status.PENDING, attempts=0)
        if reset:
            _deliver_after_commit(notification_id)
    return bool(reset)
