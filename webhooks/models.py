"""Webhook endpoints a Supplier registers, and the outbox of their deliveries.

The event types are part of the portal's interface with Suppliers' systems: their names are
stable (dotted, ``<resource>.<what happened>``); a new one may be added, none renamed.
Which incident event sends which type, and to which Supplier, is one table in
``incidents.services.webhooks``.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.models import Supplier
from ssi_portal.lib.crypto import key_ring


class WebhookEventType(models.TextChoices):
    REQUEST_RAISED = "request.raised", "A request was raised for us (assigned to us)"
    REQUEST_ANSWERED = "request.answered", "Our request was answered with an install code"
    REQUEST_DISCLAIMED = (
        "request.disclaimed",
        "Our request was answered “not installed by us”",
    )
    REQUEST_CODE_REVEALED = (
        "request.code_revealed",
        "The other party revealed the install code of a request",
    )
    REQUEST_CODE_FAILED = (
        "request.code_failed",
        "The install code we gave did not work (the request is back with us)",
    )
    REQUEST_REASSIGNED = (
        "request.reassigned",
        "The DCC helpdesk assigned a request to us, or our request to another Supplier",
    )
    REQUEST_REMINDED = "request.reminded", "A request assigned to us is due soon"
    REQUEST_BREACHED = "request.breached", "A request's deadline passed without an answer"
    REQUEST_CLOSED = "request.closed", "A request was closed"
    BULK_JOB_FINISHED = "bulk_job.finished", "A bulk upload of ours finished"


class WebhookEndpoint(models.Model):
    """An HTTPS address of a Supplier's system that receives signed webhook deliveries.

    The signing secrets (Standard Webhooks, ``whsec_<base64>``) must be read to sign, so they
    are stored sealed with the install-code key ring, bound to this endpoint. After a rotation
    the previous secret still signs until ``previous_secret_expires_at``: each delivery then
    carries a signature by each, and the receiver may switch at its own pace.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    supplier = models.ForeignKey(
        Supplier, on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.CharField("URL", max_length=2000)
    description = models.CharField(max_length=200, blank=True)
    event_types = models.JSONField(
        default=list, help_text="The event types sent to this endpoint (WebhookEventType)."
    )
    secret_sealed = models.BinaryField(editable=False)
    previous_secret_sealed = models.BinaryField(null=True, blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    rotated_at = models.DateTimeField(null=True, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    failing_since = models.DateTimeField(
        null=True,
        blank=True,
        help_text="The first failed attempt since the last 2xx answer; empty when delivering.",
    )

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(disabled_at__isnull=False) | Q(disabled_reason=""),
                name="webhook_endpoint_reason_only_when_disabled",
            ),
        ]

    def __str__(self) -> str:
        return self.url

    @property
    def is_active(self) -> bool:
        return self.disabled_at is None

    def seal_context(self) -> bytes:
        """Associated data binding a sealed secret to this endpoint."""
        return f"webhook-endpoint:{self.public_id}".encode()

    def seal_secret(self, secret: str) -> bytes:
        return key_ring().seal(secret.encode("ascii"), aad=self.seal_context())

    def open_secret(self, sealed) -> str:
        return key_ring().open(bytes(sealed), aad=self.seal_context()).decode("ascii")

    def signing_secrets(self, *, now) -> list[str]:
        """The secrets that sign a delivery now: the current one, and the previous one until
        it expires."""
        secrets = [self.open_secret(self.secret_sealed)]
        if self.previous_secret_sealed and (
            self.previous_secret_expires_at and now < self.previous_secret_expires_at
        ):
            secrets.append(self.open_secret(self.previous_secret_sealed))
        return secrets


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERING = "delivering", "Delivering"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


class WebhookDelivery(models.Model):
    """One event for one endpoint (an outbox row), written in the transaction of the event.

    The row, not the task message, is the source of truth: a task carries only its id. The
    message id (``webhook-id``) stays the same on every attempt, so a receiver can drop a
    message it has already processed.
    """

    Status = DeliveryStatus

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    message_id = models.CharField(max_length=40, unique=True)
    source = models.CharField(
        max_length=64, help_text="What the delivery reports, e.g. incident-event:42."
    )
    event_type = models.CharField(max_length=32, choices=WebhookEventType.choices)
    payload = models.JSONField(help_text="The body sent: thin, never a code, note or reason.")
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(
        "not before", help_text="A pending delivery is not attempted before this time."
    )
    queued_at = models.DateTimeField(
        help_text="When a task was last published for it: the sweep publishes a due delivery "
        "whose task was published before it fell due, or long ago."
    )
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField("last response code", null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "source", "event_type"], name="webhook_delivery_once"
            ),
            models.CheckConstraint(
                condition=Q(status__in=DeliveryStatus.values), name="webhook_delivery_status_valid"
            ),
        ]
        indexes = [
            # The sweep: pending deliveries whose time has come, oldest first.
            models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due_idx"),
            # An endpoint's page: its deliveries, newest first.
            models.Index(
                fields=["endpoint", "-created_at", "-id"], name="webhook_delivery_recent_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} to {self.endpoint_id} ({self.status})"

    @property
    def reference(self) -> str:
        data = self.payload.get("data", {}) if isinstance(self.payload, dict) else {}
        return data.get("reference") or data.get("filename") or ""
