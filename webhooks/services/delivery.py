"""Delivering the outbox: one signed POST per attempt, retries with a growing backoff, and an
endpoint disabled after days without a 2xx answer.

At least once, and never again after a recorded 2xx:

- A task claims its row with one conditional UPDATE (pending → delivering, only when due) and
  sends only if that changed one row, so a task run twice, a sweep racing a slow queue or a
  click on Redeliver never sends one attempt twice.
- A 2xx answer moves the row to ``delivered`` in the UPDATE that records it; nothing claims a
  delivered row again (only an administrator's explicit Redeliver puts it back).
- The one way a receiver sees a message twice: the worker dies after the receiver answered
  but before the answer was recorded. The sweep then finds the row still ``delivering`` and
  sends it again — better twice than never. The ``webhook-id`` header is the same on every
  attempt, so a receiver drops a message it has processed already.
"""

import datetime as dt
import json
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from ssi_portal.lib.outbound import OutboundError, post

from ..models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from .endpoints import endpoint_disable_for_failures
from .queueing import deliveries_publish

logger = logging.getLogger(__name__)

Status = DeliveryStatus
# Multiples of SSI_WEBHOOK_RETRY_BASE_SECONDS between attempts (30 s, 2 min, 10 min, 30 min,
# 1 h, 2 h, 4 h, 6 h, then 8 h): 17 attempts over about 3 days and 6 hours at the default.
RETRY_FACTORS = (1, 4, 20, 60, 120, 240, 480, 720, *(960,) * 8)
MAX_ATTEMPTS = len(RETRY_FACTORS) + 1
# A retry may arrive a moment before the time the row records.
CLAIM_LEEWAY = dt.timedelta(seconds=1)
SWEEP_BATCH_SIZE = 5000
USER_AGENT = "SSI-Portal-Webhooks/1"


def retry_delay(attempts: int) -> dt.timedelta:
    """The wait after the ``attempts``-th failed attempt."""
    factor = RETRY_FACTORS[min(attempts, len(RETRY_FACTORS)) - 1]
    return dt.timedelta(seconds=settings.SSI_WEBHOOK_RETRY_BASE_SECONDS * factor)


def body_of(payload: dict) -> bytes:
    """The bytes sent (and signed): the same on every attempt."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def signed_headers(
    message_id: str, body: bytes, secrets: list[str], *, now: dt.datetime
) -> dict[str, str]:
    """The Standard Webhooks headers, signed with each secret valid now (space-separated)."""
    sent_at = now.astimezone(dt.UTC)
    text = body.decode()
    signatures = " ".join(
        Webhook(secret).sign(msg_id=message_id, timestamp=sent_at, data=text) for secret in secrets
    )
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(sent_at.timestamp())),
        "webhook-signature": signatures,
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
    }


def webhook_deliver(*, delivery_id: int, now: dt.datetime | None = None) -> str:
    """Attempt one pending delivery whose time has come. Returns what happened:
    ``delivered``, ``retrying``, ``failed`` or ``nothing`` (not pending, not due, or claimed
    by another run)."""
    now = now or timezone.now()
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id, status=Status.PENDING, next_attempt_at__lte=now + CLAIM_LEEWAY
    ).update(status=Status.DELIVERING, attempts=F("attempts") + 1, last_attempt_at=now)
    if not claimed:
        return "nothing"
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    endpoint = delivery.endpoint
    if not endpoint.is_active:
        _record(delivery, Status.FAILED, error="Not sent: the endpoint is disabled.")
        return "failed"
    body = body_of(delivery.payload)
    try:
        headers = signed_headers(
            delivery.message_id, body, endpoint.signing_secrets(now=now), now=now
        )
        code = post(
            endpoint.url,
            body,
            headers,
            timeout=settings.SSI_WEBHOOK_TIMEOUT_SECONDS,
            allow_loopback=settings.SSI_WEBHOOK_ALLOW_LOOPBACK,
        )
    except OutboundError as exc:
        return _failed(delivery, exc.message, code=None, now=now)
    if 200 <= code < 300:
        _record(delivery, Status.DELIVERED, code=code, delivered_at=timezone.now())
        WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=False).update(
            failing_since=None
        )
        logger.info("Webhook delivery %s delivered (%s)", delivery.pk, code)
        return "delivered"
    error = f"HTTP {code}" + (": redirects are not followed" if 300 <= code < 400 else "")
    return _failed(delivery, error, code=code, now=now)


def _record(delivery: WebhookDelivery, status: str, *, code=None, error="", **fields) -> None:
    WebhookDelivery.objects.filter(pk=delivery.pk, status=Status.DELIVERING).update(
        status=status, last_status_code=code, last_error=error[:300], **fields
    )


def _failed(delivery: WebhookDelivery, error: str, *, code: int | None, now: dt.datetime) -> str:
    attempts = delivery.attempts
    if attempts >= MAX_ATTEMPTS:
        _record(delivery, Status.FAILED, code=code, error=error)
        outcome = "failed"
    else:
        wait = retry_delay(attempts)
        _record(delivery, Status.PENDING, code=code, error=error, next_attempt_at=now + wait)
        outcome = "retrying"
    logger.warning(
        "Webhook delivery %s attempt %s failed (%s)%s",
        delivery.pk,
        attempts,
        error,
        "; giving up" if outcome == "failed" else "; will retry",
    )
    endpoint_failing(delivery.endpoint_id, now=now)
    return outcome


def endpoint_failing(endpoint_id: int, *, now: dt.datetime) -> bool:
    """Note a failed attempt of the endpoint; disable it once it has had no 2xx answer for
    ``SSI_WEBHOOK_DISABLE_AFTER_DAYS``. Returns whether this call disabled it."""
    WebhookEndpoint.objects.filter(pk=endpoint_id, failing_since__isnull=True).update(
        failing_since=now
    )
    cutoff = now - dt.timedelta(days=settings.SSI_WEBHOOK_DISABLE_AFTER_DAYS)
    return endpoint_disable_for_failures(endpoint_id=endpoint_id, failing_before=cutoff, now=now)


# --- Redelivery ---------------------------------------------------------------------------------


def webhook_redeliver(*, delivery: WebhookDelivery, now: dt.datetime | None = None) -> bool:
    """Queue a delivery again as a new series of attempts, whatever its state but being
    delivered right now; a delivered one is sent again only through this. The caller checks
    who may. Returns False when it was being delivered (left alone)."""
    now = now or timezone.now()
    with transaction.atomic():
        changed = (
            WebhookDelivery.objects.filter(pk=delivery.pk)
            .exclude(status=Status.DELIVERING)
            .update(
                status=Status.PENDING,
                attempts=0,
                next_attempt_at=now,
                queued_at=now,
                delivered_at=None,
            )
        )
        if changed:
            deliveries_publish([delivery.pk])
    return bool(changed)


# --- The sweep ----------------------------------------------------------------------------------


def webhooks_requeue(
    *,
    now: dt.datetime | None = None,
    lost_after: dt.timedelta = dt.timedelta(minutes=2),
    delivering_after: dt.timedelta = dt.timedelta(minutes=10),
    batch_size: int = SWEEP_BATCH_SIZE,
) -> dict[str, int]:
    """Publish the deliveries that are due; run it every 30 s or so.

    - ``delivering`` for longer than ``delivering_after`` (well past the task time limit):
      the worker died mid-attempt. Pending again, due now (failed at the cap). At least
      once: the receiver may have had the message.
    - ``pending`` and due, whose task was published before it fell due (a retry's) or more
      than ``lost_after`` ago (a task lost with a broker that was down): published again,
      and stamped so that the next run leaves them alone a while.

    Safe to run twice or to overlap: a task published twice is claimed once. Returns
    {"interrupted": n, "published": n}.
    """
    now = now or timezone.now()
    interrupted = WebhookDelivery.objects.filter(
        status=Status.DELIVERING, last_attempt_at__lt=now - delivering_after
    ).update(
        status=Case(
            When(attempts__gte=MAX_ATTEMPTS, then=Value(Status.FAILED)),
            default=Value(Status.PENDING),
        ),
        next_attempt_at=now,
        last_error="Interrupted: the attempt's result was never recorded (it may have arrived).",
    )
    with transaction.atomic():
        due = list(
            WebhookDelivery.objects.filter(status=Status.PENDING, next_attempt_at__lte=now)
            .filter(Q(queued_at__lt=F("next_attempt_at")) | Q(queued_at__lt=now - lost_after))
            .select_for_update(skip_locked=True)
            .order_by("next_attempt_at")
            .values_list("pk", flat=True)[:batch_size]
        )
        WebhookDelivery.objects.filter(pk__in=due).update(queued_at=now)
        deliveries_publish(due)
    counts = {"interrupted": interrupted, "published": len(due)}
    if interrupted:
        logger.warning("Webhook sweep: %s", counts)
    return counts
