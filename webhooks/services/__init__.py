"""Writes of the webhooks app. Import from here; the split is by concern: ``endpoints`` (a
Supplier's endpoints and their secrets), ``queueing`` (deliveries written with the events they
report), ``delivery`` (sending, retrying, the sweep)."""

from .delivery import (
    MAX_ATTEMPTS,
    body_of,
    retry_delay,
    signed_headers,
    webhook_deliver,
    webhook_redeliver,
    webhooks_requeue,
)
from .endpoints import (
    WebhookError,
    secret_new,
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_disable,
    webhook_endpoint_enable,
    webhook_endpoint_rotate,
    webhook_endpoint_update,
)
from .queueing import (
    Subscriptions,
    WebhookItem,
    webhook_deliveries_queue,
    webhook_subscribed_sql,
    webhook_subscriptions,
)

__all__ = [
    "MAX_ATTEMPTS",
    "Subscriptions",
    "WebhookError",
    "WebhookItem",
    "body_of",
    "retry_delay",
    "secret_new",
    "signed_headers",
    "webhook_deliver",
    "webhook_deliveries_queue",
    "webhook_endpoint_create",
    "webhook_endpoint_delete",
    "webhook_endpoint_disable",
    "webhook_endpoint_enable",
    "webhook_endpoint_rotate",
    "webhook_endpoint_update",
    "webhook_redeliver",
    "webhook_subscribed_sql",
    "webhook_subscriptions",
    "webhooks_requeue",
]
