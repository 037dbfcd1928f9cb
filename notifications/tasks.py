"""Thin tasks: ids in, JSON only, never a secret; the work is in ``notifications.services``."""

from celery import shared_task

from .services import (
    MAX_ATTEMPTS,
    TransientDeliveryError,
    notification_deliver,
    notifications_requeue_stale,
)


# The row counts the attempts and decides when to give up; max_retries is only a backstop
# (a task started by the sweep starts at 0 retries on a row that may have failed before).
@shared_task(bind=True, max_retries=MAX_ATTEMPTS, acks_late=True)
def deliver_notification(self, notification_id: int) -> bool:
    """Deliver one outbox row by id. Safe to run twice: the row is claimed before sending."""
    try:
        return notification_deliver(notification_id=notification_id)
    except TransientDeliveryError as exc:
        # Backoff 30 s, 60 s, 120 s, 240 s (SSI_NOTIFICATION_RETRY_BASE_SECONDS · 2^n), as
        # recorded on the row; the countdown is measured from after that record, so the
        # retry never arrives before the row allows it.
        raise self.retry(exc=exc, countdown=exc.retry_in) from exc


@shared_task(acks_late=True)
def requeue_stale_notifications() -> dict[str, int]:
    """Periodic (CELERY_BEAT_SCHEDULE): publish again rows left pending or stuck sending."""
    return notifications_requeue_stale()
