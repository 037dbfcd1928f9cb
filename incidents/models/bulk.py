"""Bulk uploads (raise, answer, lodge) and the result of each of their rows."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.models import Supplier

from .incidents import Incident


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

    # No index of its own: the unique (upload, line) leads with it and answers every read of
    # an upload's rows (and the cascade), one entry a row instead of two.
    upload = models.ForeignKey(
        BulkUpload, on_delete=models.CASCADE, related_name="rows", db_index=False
    )
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
