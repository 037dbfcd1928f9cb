"""Writes of the notifications app: the outbox (queue, deliver, retry, sweep) and the addresses
a Supplier receives its emails at. Import from here; the split is by sub-domain only."""

from .outbox import (
    MAX_ATTEMPTS,
    QueueItem,
    TransientDeliveryError,
    notification_deliver,
    notification_queue,
    notification_queue_many,
    notification_retry,
    notification_rows,
    notifications_publish_after_commit,
    notifications_requeue_stale,
    notifications_retry_failed,
    retry_delay_seconds,
)

__all__ = [
    "MAX_ATTEMPTS",
    "QueueItem",
    "TransientDeliveryError",
    "notification_deliver",
    "notification_queue",
    "notification_queue_many",
    "notification_retry",
    "notification_rows",
    "notifications_publish_after_commit",
    "notifications_requeue_stale",
    "notifications_retry_failed",
    "retry_delay_seconds",
]
