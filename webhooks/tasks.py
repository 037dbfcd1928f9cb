"""Thin tasks: ids in, JSON only, never a secret; the work is in ``webhooks.services``."""

from celery import shared_task

from .services import webhook_deliver, webhooks_requeue


# No Celery retry: the row records when the next attempt is due, and the sweep publishes it
# then (a countdown of hours would outlive the broker's visibility timeout and run twice).
@shared_task(acks_late=True)
def deliver_webhook(delivery_id: int) -> str:
    """Attempt one delivery by id. Safe to run twice: the row is claimed before sending."""
    return webhook_deliver(delivery_id=delivery_id)


@shared_task(acks_late=True)
def requeue_webhook_deliveries() -> dict[str, int]:
    """Periodic (CELERY_BEAT_SCHEDULE): publish the retries that are due and the deliveries
    whose task was lost or whose worker died."""
    return webhooks_requeue()
