"""Incidents: the request for an install code, its statuses and its transitions."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.models import Supplier
from inventory.models import Device


class IncidentStatus(models.TextChoices):
    AWAITING_INSTALLER = "awaiting_installer", "Awaiting installing Supplier"
    WITH_HELPDESK = "with_helpdesk", "With DCC helpdesk"
    CODE_PROVIDED = "code_provided", "Install code provided"
    CLOSED = "closed", "Closed"


# How a sentence says an incident's state, after its reference: "INC0000008 is closed". The
# labels are headings and badges ("With DCC helpdesk"), not words for the middle of a sentence.
STATUS_PHRASES = {
    IncidentStatus.AWAITING_INSTALLER: "is awaiting the installing Supplier's answer",
    IncidentStatus.WITH_HELPDESK: "is with the DCC helpdesk",
    IncidentStatus.CODE_PROVIDED: "has been answered with the install code",
    IncidentStatus.CLOSED: "is closed",
}

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
    """Why the raising Supplier closed its request (the choices of the close form)."""

    CODE_WORKED = "code_worked", "The install code worked"
    NO_LONGER_NEEDED = "no_longer_needed", "No longer needed"


class PortalCloseOutcome(models.TextChoices):
    """Why the portal closed a request itself: an SMI load showed its Device past the need for
    an install code, or the registration data no longer names its raiser. Kept apart from
    :class:`CloseOutcome` so the close form and ``incident_close`` never offer them to a
    raiser."""

    DEVICE_COMMISSIONED = "device_commissioned", "Closed: the Device was commissioned"
    DEVICE_LEFT_SMI = (
        "device_left_smi",
        "Cancelled: the Device was decommissioned, withdrawn or suspended",
    )
    REGISTRATION_MOVED = (
        "registration_moved",
        "Cancelled: the meter point's registration moved to another Supplier",
    )


class RaiseChannel(models.TextChoices):
    FORM = "form", "One at a time"
    BULK = "bulk", "Bulk upload"


class Incident(models.Model):
    """A Request for Install Code raised by a gaining Supplier for one Device."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="incidents")
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="raised_incidents",
    )
    # The two Suppliers have no index of their own: the lists' indexes (Meta.indexes) lead
    # with each, and answer a lookup by it as well; one more index would be one more for
    # every write of a request to keep up (27 of them: the sweeps' cost is that upkeep).
    raising_supplier = models.ForeignKey(
        Supplier,
        on_delete=models.PROTECT,
        related_name="raised_incidents",
        db_index=False,
    )
    assigned_supplier = models.ForeignKey(
        Supplier,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_incidents",
        help_text="Empty while the incident waits on the DCC helpdesk.",
        db_index=False,
    )
    status = models.CharField(max_length=24, choices=IncidentStatus.choices)
    channel = models.CharField(
        "Raised",
        max_length=8,
        choices=RaiseChannel.choices,
        default=RaiseChannel.FORM,
        db_default=RaiseChannel.FORM,
    )
    registration_mpxn = models.CharField(
        "Registered meter point",
        max_length=13,
        blank=True,
        default="",
        db_default="",
        help_text="The meter point the raiser was registered for when it raised the request; "
        "the request is cancelled if that registration moves to another Supplier. Empty when "
        "the raise was not checked against registration data.",
    )
    raiser_reference = models.CharField(
        "Raiser's own reference",
        max_length=64,
        blank=True,
        default="",
        db_default="",
        help_text="The raising Supplier's own reference for the request (the reference column "
        "of a bulk raise file); shown to that Supplier alone, and found by its list's search.",
    )
    due_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="End of the fifth Working Day after the assigned Supplier was notified; "
        "empty while the clock is paused with the helpdesk.",
    )
    notified_at = models.DateTimeField(null=True, blank=True)
    install_code_sealed = models.BinaryField(null=True, blank=True, editable=False)
    # Indexed only where set (inc_code_provider_idx): a request is raised without it, and
    # the index serves only a Supplier's deletion, which looks for the Supplier's own id.
    code_provided_by = models.ForeignKey(
        Supplier,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    code_provided_at = models.DateTimeField(null=True, blank=True)
    close_outcome = models.CharField(
        max_length=24, choices=[*CloseOutcome.choices, *PortalCloseOutcome.choices], blank=True
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(
        null=True, blank=True, help_text="When the assigned Supplier was reminded of the deadline."
    )
    breached_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the current deadline was found breached and escalated.",
    )

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
            models.Index(fields=["status", "due_at"], name="inc_status_due_idx"),
            # The sweeps read only running clocks: small partial indexes on the deadline. The
            # id rides along: a day's deadlines are one instant (the end of the day), so that
            # a batch, in (due_at, id) order, is the first rows of the index, not a sort of
            # every request due that day (25,000 read to lock the first 5,000).
            models.Index(
                fields=["due_at", "id"],
                condition=Q(status="awaiting_installer", breached_at__isnull=True),
                name="inc_escalation_idx",
            ),
            models.Index(
                fields=["due_at", "id"],
                condition=Q(status="awaiting_installer", reminded_at__isnull=True),
                name="inc_reminder_idx",
            ),
            # The digests read the requests of a sweep by the stamp it wrote
            # (incidents.services.digests): a range of the stamps, not every stamped request
            # there has ever been.
            models.Index(
                fields=["breached_at"],
                condition=Q(breached_at__isnull=False),
                name="inc_breach_stamp_idx",
            ),
            models.Index(
                fields=["reminded_at"],
                condition=Q(reminded_at__isnull=False),
                name="inc_reminder_stamp_idx",
            ),
            # The lists, newest first, read page by page from a (created_at, id) cursor: a
            # Supplier's two lists; the helpdesk's change list, whole, by status or breached.
            models.Index(
                fields=["assigned_supplier", "-created_at", "-id"], name="inc_assignee_recent_idx"
            ),
            models.Index(
                fields=["raising_supplier", "-created_at", "-id"], name="inc_raiser_recent_idx"
            ),
            models.Index(fields=["-created_at", "-id"], name="inc_recent_idx"),
            models.Index(fields=["status", "-created_at", "-id"], name="inc_status_recent_idx"),
            models.Index(
                fields=["-created_at", "-id"],
                condition=Q(breached_at__isnull=False),
                name="inc_breached_recent_idx",
            ),
            # "Overdue" on a Supplier's list and its home-page figures: running clocks only.
            # created_at and id ride along so that a page of overdue requests is chosen from
            # the index alone, without visiting every overdue row.
            models.Index(
                fields=["assigned_supplier", "due_at", "created_at", "id"],
                condition=Q(status="awaiting_installer"),
                name="inc_assignee_awaiting_idx",
            ),
            models.Index(
                fields=["raising_supplier", "due_at", "created_at", "id"],
                condition=Q(status="awaiting_installer"),
                name="inc_raiser_awaiting_idx",
            ),
            # A Supplier's lists in their other orders
            # (incidents.selectors.incidents.LIST_ORDERS), one index range scan per segment:
            # by status, each status newest first (also the status filters and the home-page
            # figures); by deadline, the running clocks (above) and then the others newest
            # first. Oldest first reads the newest-first indexes backwards.
            models.Index(
                fields=["raising_supplier", "status", "-created_at", "-id"],
                name="inc_raiser_status_idx",
            ),
            models.Index(
                fields=["assigned_supplier", "status", "-created_at", "-id"],
                name="inc_assignee_status_idx",
            ),
            models.Index(
                fields=["raising_supplier", "-created_at", "-id"],
                condition=~Q(status="awaiting_installer"),
                name="inc_raiser_noclock_idx",
            ),
            models.Index(
                fields=["assigned_supplier", "-created_at", "-id"],
                condition=~Q(status="awaiting_installer"),
                name="inc_assignee_noclock_idx",
            ),
            # The per-user rate limit counts a user's recent raises through the form.
            models.Index(
                fields=["raised_by", "created_at"],
                condition=Q(channel="form"),
                name="inc_user_form_raises_idx",
            ),
            # A raiser's search of its list by its own reference: only rows that have one.
            models.Index(
                fields=["raising_supplier", "raiser_reference"],
                condition=~Q(raiser_reference=""),
                name="inc_raiser_reference_idx",
            ),
            # The API's "changed since" reads of each side, oldest change first, page by page
            # from an (updated_at, id) cursor.
            models.Index(
                fields=["raising_supplier", "updated_at", "id"], name="inc_raiser_updated_idx"
            ),
            models.Index(
                fields=["assigned_supplier", "updated_at", "id"], name="inc_assignee_updated_idx"
            ),
            models.Index(
                fields=["code_provided_by"],
                condition=Q(code_provided_by__isnull=False),
                name="inc_code_provider_idx",
            ),
            # The registration sweep reads the open requests that a registration entitled.
            models.Index(
                fields=["registration_mpxn"],
                condition=Q(status__in=OPEN_STATUSES) & ~Q(registration_mpxn=""),
                name="inc_open_registered_idx",
            ),
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
    def status_phrase(self) -> str:
        """The state in the middle of a sentence, after the reference (``STATUS_PHRASES``)."""
        return STATUS_PHRASES[self.status]

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
