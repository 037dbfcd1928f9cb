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
    code_provided_by = models.ForeignKey(
        Supplier,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
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
            # The sweeps read only running clocks: small partial indexes on the deadline.
            models.Index(
                fields=["due_at"],
                condition=Q(status="awaiting_installer", breached_at__isnull=True),
                name="inc_escalation_idx",
            ),
            models.Index(
                fields=["due_at"],
                condition=Q(status="awaiting_installer", reminded_at__isnull=True),
                name="inc_reminder_idx",
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
        return f"{self.get_kind_display()} on {reference_for(self.incident_id)}"

    @property
    def actor_organisation(self) -> str:
        if self.actor_id is None:
            return "SSI Portal"
        if self.actor_supplier_id:
            return self.actor_supplier.name
        return "DCC helpdesk"


class AssignmentOutcome(models.TextChoices):
    CODE_PROVIDED = "code_provided", "Answered with the install code"
    NOT_INSTALLED = "not_installed", "Answered: not installed by us"
    REASSIGNED = "reassigned", "Reassigned by the helpdesk"
    # Also when the portal closes the request after an SMI change: like the raiser's
    # withdrawal, it ends the clock without an answer and without the Supplier's fault.
    WITHDRAWN = "withdrawn", "Closed before an answer (by the raiser, or after an SMI change)"


ANSWERED_OUTCOMES = (AssignmentOutcome.CODE_PROVIDED, AssignmentOutcome.NOT_INSTALLED)


class Assignment(models.Model):
    """One run of the five-Working-Day clock: a Supplier's obligation to answer an incident.

    A new row starts each time a Supplier is notified (raised, reassigned, code did not work);
    it ends with an answer, a reassignment or the raiser closing. The compliance figures are
    computed from these rows.
    """

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="assignments")
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="assignments")
    notified_at = models.DateTimeField()
    due_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=AssignmentOutcome.choices, blank=True)
    answered_late = models.BooleanField(null=True, blank=True)
    answer_working_days = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Working Days from notification to the answer."
    )
    breached_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["notified_at", "id"]
        indexes = [
            models.Index(fields=["supplier", "notified_at"], name="assignment_supplier_idx"),
            models.Index(fields=["notified_at"], name="assignment_notified_idx"),
            # A Supplier's "Disclaimed by us" list, and its read-only view of each of them.
            models.Index(
                fields=["supplier", "incident"],
                condition=Q(outcome="not_installed"),
                name="assignment_disclaimed_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["incident"],
                condition=Q(ended_at__isnull=True),
                name="assignment_one_running_per_incident",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True, outcome="")
                | Q(ended_at__isnull=False) & ~Q(outcome=""),
                name="assignment_ended_has_outcome",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.supplier} on incident {self.incident_id}"


class NonWorkingDay(models.Model):
    """An extra day that is not a Working Day (added by the DCC helpdesk)."""

    date = models.DateField(unique=True)
    description = models.CharField(max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%d %B %Y}: {self.description}"


# --- Bulk uploads and lodged codes ---------------------------------------------------------------


class BulkKind(models.TextChoices):
    RAISE = "raise", "Bulk raise"
    ANSWER = "answer", "Bulk answer"
    LODGE = "lodge", "Lodged install codes"


class BulkStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    PROCESSING = "processing", "Processing"
    DONE = "done", "Done"
    REFUSED = "refused", "Refused"
    # A run kept dying on this file (SSI_BULK_MAX_ATTEMPTS): its rows so far stand, the rest
    # were not processed.
    FAILED = "failed", "Stopped"


class RaiseTally(models.Model):
    """How many requests a Supplier raised in one short interval: the per-Supplier rate limit
    sums the intervals of its window (a few dozen rows) instead of counting up to hundreds of
    thousands of incidents on every raise. Written in the raise's own transaction."""

    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="+")
    bucket = models.DateTimeField(help_text="Start of the interval (UTC).")
    count = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["supplier", "bucket"], name="raise_tally_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.supplier_id} @ {self.bucket:%Y-%m-%d %H:%M:%S}: {self.count}"


class BulkUpload(models.Model):
    """A CSV file a Supplier uploaded to raise, answer or lodge in bulk, and its progress.

    The file is kept only sealed (answer and lodge files hold install codes) and only until
    it is processed. The counters are written in the transaction of each chunk of rows, so
    they are exact after a crash and the processing resumes where it stopped.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=8, choices=BulkKind.choices)
    supplier = models.ForeignKey(
        Supplier, on_delete=models.PROTECT, related_name="bulk_uploads", db_index=False
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bulk_uploads"
    )
    filename = models.CharField(max_length=255)
    content_sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField(help_text="Bytes.")
    payload_sealed = models.BinaryField(
        null=True, blank=True, editable=False, help_text="The file, sealed; emptied once done."
    )
    status = models.CharField(max_length=10, choices=BulkStatus.choices)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    accepted_rows = models.PositiveIntegerField(default=0)
    refused_rows = models.PositiveIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(
        default=0, help_text="Runs that started on this file, continuations not counted."
    )
    error = models.TextField(blank=True, help_text="Why the whole file was refused or stopped.")
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(help_text="Last progress; the stale sweep reads it.")
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["supplier", "-created_at"], name="bulk_upload_supplier_idx"),
            # The stale sweep: unfinished uploads only.
            models.Index(
                fields=["updated_at"],
                condition=Q(status__in=["queued", "processing"]),
                name="bulk_upload_unfinished_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=BulkKind.values), name="bulk_upload_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=BulkStatus.values), name="bulk_upload_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(processed_rows__lte=models.F("total_rows"))
                & Q(processed_rows=models.F("accepted_rows") + models.F("refused_rows")),
                name="bulk_upload_counts_add_up",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.filename} ({self.get_status_display()})"

    @property
    def is_running(self) -> bool:
        return self.status in (BulkStatus.QUEUED, BulkStatus.PROCESSING)

    @property
    def percent(self) -> int:
        if not self.total_rows:
            return 100 if not self.is_running else 0
        return self.processed_rows * 100 // self.total_rows

    def seal_context(self) -> bytes:
        return f"bulk-upload:{self.public_id}".encode()


class BulkResult(models.TextChoices):
    ACCEPTED = "accepted", "Accepted"
    REFUSED = "refused", "Refused"


class BulkOutcome(models.TextChoices):
    """What an accepted row did (empty for a refused row, whose ``reason_code`` says why)."""

    RAISED = "raised", "Raised and assigned"
    SENT_TO_HELPDESK = "sent_to_helpdesk", "Raised and sent to the DCC helpdesk"
    ANSWERED_FROM_LODGED = "answered_from_lodged", "Raised and answered from a lodged code"
    CODE_PROVIDED = "code_provided", "Answered with the install code"
    NOT_INSTALLED = "not_installed", "Answered: not installed by us"
    LODGED = "lodged", "Install code lodged"


class BulkRow(models.Model):
    """The result of one row of a bulk upload: what it created, or why it was refused."""

    upload = models.ForeignKey(BulkUpload, on_delete=models.CASCADE, related_name="rows")
    line = models.PositiveIntegerField(help_text="Line of the file the row starts on.")
    device_id = models.CharField(
        max_length=64,
        blank=True,
        help_text="The Device ID (or INC reference) as read, canonical when it parsed.",
    )
    reference = models.CharField(max_length=64, blank=True, help_text="The Supplier's own.")
    result = models.CharField(max_length=8, choices=BulkResult.choices)
    outcome = models.CharField(max_length=24, choices=BulkOutcome.choices, blank=True)
    reason_code = models.CharField(max_length=32, blank=True)
    message = models.TextField(blank=True)
    incident = models.ForeignKey(
        Incident, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["upload", "line"]
        constraints = [
            models.UniqueConstraint(fields=["upload", "line"], name="bulk_row_one_per_line"),
            models.CheckConstraint(
                condition=Q(result=BulkResult.ACCEPTED, reason_code="") & ~Q(outcome="")
                | Q(result=BulkResult.REFUSED, outcome="") & ~Q(reason_code=""),
                name="bulk_row_result_explained",
            ),
        ]

    def __str__(self) -> str:
        return f"Line {self.line}: {self.result}"


class LodgedCode(models.Model):
    """An install code the installing Supplier lodged in advance for a Device it pre-notified.

    A request later raised for the Device is answered at once from it (and the code moves
    into the incident). Purged when the Device is commissioned, leaves the SMI, or after
    ``SSI_LODGED_CODE_RETENTION_DAYS``.
    """

    device = models.OneToOneField(Device, on_delete=models.CASCADE, related_name="lodged_code")
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="lodged_codes")
    code_sealed = models.BinaryField(editable=False)
    lodged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    lodged_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"Lodged code for Device {self.device_id}"

    @staticmethod
    def seal_context_for(device_id: str) -> bytes:
        """Associated data binding a lodged code to its Device (canonical Device ID)."""
        return f"lodged:{device_id}".encode()
