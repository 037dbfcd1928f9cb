from celery import shared_task

from .services import MAX_ATTEMPTS, TransientDeliveryError, notification_deliver


@shared_task(bind=True, max_retries=MAX_ATTEMPTS - 1, acks_late=True)
def deliver_notification(self, notification_id: int) -> bool:
    """Deliver one outbox row by id. Safe to run twice: the row is claimed before sending."""
    try:
        return notification_deliver(notification_id=notification_id)
    except TransientDeliveryError as exc:
        # Exponential backoff: 30 s, 60 s, 120 s, 240 s.
        raise self.retry(exc=exc, countdown=30 * 2**self.request.retries) from exc
