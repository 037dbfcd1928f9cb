import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from inventory.models import Device, Supplier


class IncidentStatus(models.TextChoices):
    AWAITING_INSTALLER = "awaiting_installer", "Awaiting installing Supplier"
    WITH_HELPDESK = "with_helpdesk", "With DCC helpdesk"
    CODE_PROVIDED = "code_provided", "Install code provided"
    CLOSED = "closed", "Closed"


OPEN_STATUSES = (
    IncidentStatus.AWAITING_INSTALLER,
    IncidentStatus.WITH_HELPDESK,
    IncidentStatus.CODE_PROVIDED,
)

# The one table of allowed transitions. Services check it before every change of status.
TRANSITIONS: dict[str, frozenset[str]] = {
    IncidentStatus.AWAITING_INSTALLER: frozenset(
        {
            IncidentStatus.CODE_PROVIDED,
            IncidentStatus.WITH_HELPDESK,
            IncidentStatus.AWAITING_INSTALLER,
            IncidentStatus.CLOSED,
        }
    ),
    IncidentStatus.WITH_HELPDESK: frozenset(
        {IncidentStatus.AWAITING_INSTALLER, IncidentStatus.CLOSED}
    ),
    IncidentStatus.CODE_PROVIDED: frozenset(
        {IncidentStatus.AWAITING_INSTALLER, IncidentStatus.CLOSED}
    ),
    IncidentStatus.CLOSED: frozenset(),
}


class CloseOutcome(models.TextChoices):
    CODE_WORKED = "code_worked", "The install code worked"
    NO_LONGER_NEEDED = "no_longer_needed", "No longer needed"


class Incident(models.Model):
    """A Request for Install Code raised by a gaining Supplier for one Device."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="incidents")
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="raised_incidents",
    )
    raising_supplier = models.ForeignKey(
        Supplier,
        on_delete=models.PROTECT,
        related_name="raised_incidents",
    )
    assigned_supplier = models.ForeignKey(
        Supplier,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_incidents",
        help_text="Empty while the incident waits on the DCC helpdesk.",
    )
    status = models.CharField(max_length=24, choices=IncidentStatus.choices)
    due_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="End of the fifth Working Day after the assigned Supplier was notified; "
        "empty while the clock is paused with the helpdesk.",
    )
    notified_at = models.DateTimeField(null=True, blank=True)
    install_code_sealed = models.BinaryField(null=True, blank=True, editable=False)
    code_provided_by = models.ForeignKey(
        Supplier,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    code_provided_at = models.DateTimeField(null=True, blank=True)
    close_outcome = models.CharField(max_length=24, choices=CloseOutcome.choices, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # Two concurrent raises for one Device cannot both commit.
            models.UniqueConstraint(
                fields=["device"],
                condition=Q(status__in=OPEN_STATUSES),
                name="incident_one_open_per_device",
            ),
            models.CheckConstraint(
                condition=Q(status__in=IncidentStatus.values),
                name="incident_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status=IncidentStatus.AWAITING_INSTALLER)
                | Q(assigned_supplier__isnull=False, due_at__isnull=False),
                name="incident_awaiting_has_assignee_and_deadline",
            ),
            models.CheckConstraint(
                condition=~Q(status=IncidentStatus.CODE_PROVIDED)
                | Q(install_code_sealed__isnull=False),
                name="incident_code_provided_has_code",
            ),
            models.CheckConstraint(
                condition=Q(status=IncidentStatus.CLOSED, closed_at__isnull=False)
                | (~Q(status=IncidentStatus.CLOSED) & Q(closed_at__isnull=True)),
                name="incident_closed_iff_closed_at",
            ),
        ]
        indexes = [
            models.Index(
                fields=["raising_supplier", "status", "-created_at"], name="inc_raiser_idx"
            ),
            models.Index(
                fields=["assigned_supplier", "status", "-created_at"], name="inc_assignee_idx"
            ),
            models.Index(fields=["status", "due_at"], name="inc_status_due_idx"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return reference_for(self.pk)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def has_install_code(self) -> bool:
        return self.install_code_sealed is not None

    def seal_context(self) -> bytes:
        """Associated data binding a sealed install code to this incident and Device."""
        return f"incident:{self.public_id}:{self.device_id}".encode()


def reference_for(pk: int | None) -> str:
    return f"INC{pk:07d}" if pk else "INC (new)"


def pk_from_reference(value: str) -> int | None:
    value = value.strip().upper()
    if value.startswith("INC") and value[3:].isdigit():
        return int(value[3:])
    return None


class EventKind(models.TextChoices):
    RAISED = "raised", "Raised"
    CODE_PROVIDED = "code_provided", "Install code provided"
    NOT_INSTALLED = "not_installed", "Installing Supplier did not install the Device"
    CODE_REVEALED = "code_revealed", "Install code revealed"
    CODE_FAILED = "code_failed", "Install code did not work"
    REASSIGNED = "reassigned", "Reassigned"
    NOTE = "note", "Note"
    CLOSED = "closed", "Closed"


class IncidentEvent(models.Model):
    """One change to an incident (or a note): the audit trail, timeline and notification source."""

    Kind = EventKind

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="events")
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
        return f"{self.get_kind_display()} on {self.incident_id}"

    @property
    def actor_organisation(self) -> str:
        if self.actor_id is None:
            return "SSI Portal"
        if self.actor_supplier_id:
            return self.actor_supplier.name
        return "DCC helpdesk"
