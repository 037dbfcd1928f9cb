from django.db import models
from django.db.models import Q
from django.utils import timezone


class Notification(models.Model):
    """One email to one recipient, written in the transaction of the event it reports (an outbox).

    The row, not the task message, is the source of truth: a task only carries its id.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    source = models.CharField(
        max_length=64, help_text="What the email reports, e.g. incident-event:42."
    )
    template = models.CharField(max_length=64)
    recipient = models.EmailField()
    # Whom the recipient reads for, as a label the outbox does not interpret: "supplier:<id>"
    # (accounts.models.supplier_audience) or empty for the DCC helpdesk.
    # notification_audience_idx (audience, created_at) serves every lookup by audience.
    audience = models.CharField(
        max_length=64,
        blank=True,
        help_text="Whom the recipient reads for, e.g. supplier:42; empty for the DCC helpdesk.",
    )
    context = models.JSONField(default=dict)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    next_attempt_at = models.DateTimeField(
        "not before",
        default=timezone.now,
        help_text="A pending row is not sent before this time (backoff after a failure).",
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "recipient", "template"],
                name="notification_once_per_recipient",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "sending", "sent", "failed"]),
                name="notification_status_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "created_at"], name="notification_status_idx"),
            # The sweep: pending rows whose time has come, oldest first.
            models.Index(fields=["status", "next_attempt_at"], name="notification_due_idx"),
            # "Emails sent to us": one organisation's rows, newest first.
            models.Index(fields=["audience", "created_at"], name="notification_audience_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.template} to {self.recipient} ({self.status})"
