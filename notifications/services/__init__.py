"""Writes of the notifications app: the outbox (queue, deliver, retry, sweep) and the addresses
a Supplier receives its emails at. Import from here; the split is by sub-domain only."""

from .contacts import ContactError, supplier_contact_add, supplier_contact_remove
from .outbox import (
    MAX_ATTEMPTS,
    QueueItem,
    TransientDeliveryError,
    notification_deliver,
    notification_queue,
    notification_queue_many,
    notification_retry,
    notifications_requeue_stale,
    notifications_retry_failed,
    retry_delay_seconds,
)

__all__ = [
    "MAX_ATTEMPTS",
    "ContactError",
    "QueueItem",
    "TransientDeliveryError",
    "notification_deliver",
    "notification_queue",
    "notification_queue_many",
    "notification_retry",
    "notifications_requeue_stale",
    "notifications_retry_failed",
    "retry_delay_seconds",
    "supplier_contact_add",
    "supplier_contact_remove",
]
