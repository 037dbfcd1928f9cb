"""Incident events: one row per change to an incident (or a note)."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.models import Supplier

from .incidents import Incident, IncidentStatus, reference_for


class EventKind(models.TextChoices):
    RAISED = "raised", "Raised"
    CODE_PROVIDED = "code_provided", "Install code provided"
    NOT_INSTALLED = "not_installed", "Installing Supplier did not install the Device"
    CODE_REVEALED = "code_revealed", "Install code revealed"
    CODE_FAILED = "code_failed", "Install code did not work"
    REASSIGNED = "reassigned", "Reassigned"
    REMINDED = "reminded", "Reminder sent"
    BREACHED = "breached", "Deadline breached"
    NOTE = "note", "Note"
    CLOSED = "closed", "Closed"


class IncidentEvent(models.Model):
    """One change to an incident (or a note): the audit trail, timeline and notification source."""

    Kind = EventKind

    # No index of its own: event_incident_idx (Meta.indexes) leads with it and answers every
    # read by incident, the timeline's and the cascade's; one more would be one more entry
    # for every event written (a bulk upload writes 100,000).
    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="events", db_index=False
    )
    kind = models.CharField(max_length=24, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_supplier = models.ForeignKey(
        Supplier,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The actor's organisation at the time; empty for the helpdesk or the system.",
    )
    from_status = models.CharField(max_length=24, choices=IncidentStatus.choices, blank=True)
    to_status = models.CharField(max_length=24, choices=IncidentStatus.choices, blank=True)
    message = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["incident", "created_at"], name="event_incident_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=EventKind.values),
                name="event_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {reference_for(self.incident_id)}"

    @property
    def actor_organisation(self) -> str:
        if self.actor_id is None:
            return "SSI Portal"
        if self.actor_supplier_id:
            return self.actor_supplier.name
        return "DCC helpdesk"
