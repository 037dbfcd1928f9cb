"""Settings of the webhooks (the webhooks app), part of ``base``."""

import environ

env = environ.Env()
# --- Webhooks ----------------------------------------------------------------
# Signed POSTs (Standard Webhooks) to the HTTPS endpoints a Supplier's administrators register,
# written to an outbox in the transaction of each event and delivered by Celery.
# Backoff between attempts: base x 1, 4, 20, 60, 120, 240, 480, 720, then 960 eight times
# (30 s, 2 min, 10 min, 30 min, 1 h, 2 h, 4 h, 6 h, 8 h…): with the 30 s base a delivery is
# tried 17 times over about 3 days and 6 hours before it is left failed.
SSI_WEBHOOK_RETRY_BASE_SECONDS = env.int("SSI_WEBHOOK_RETRY_BASE_SECONDS", default=30)
# An endpoint with no 2xx answer for this long is disabled and its administrators are emailed.
SSI_WEBHOOK_DISABLE_AFTER_DAYS = env.int("SSI_WEBHOOK_DISABLE_AFTER_DAYS", default=3)
# Seconds a receiver has to answer one delivery.
SSI_WEBHOOK_TIMEOUT_SECONDS = env.float("SSI_WEBHOOK_TIMEOUT_SECONDS", default=10.0)
# Endpoints one Supplier may register.
SSI_WEBHOOK_MAX_ENDPOINTS = env.int("SSI_WEBHOOK_MAX_ENDPOINTS", default=10)
# Loopback addresses (127.0.0.0/8, ::1) and plain http, for a receiver started on this machine
# by a test or a developer. Never in production, which refuses to start with it.
SSI_WEBHOOK_ALLOW_LOOPBACK = env.bool("SSI_WEBHOOK_ALLOW_LOOPBACK", default=False)
# The sweep that sends the retries that are due and the deliveries whose task was lost.
WEBHOOK_BEAT_SCHEDULE = {
    "requeue-webhook-deliveries": {
        "task": "webhooks.tasks.requeue_webhook_deliveries",
        "schedule": env.int("SSI_WEBHOOK_SWEEP_EVERY_SECONDS", default=30),
    },
}
