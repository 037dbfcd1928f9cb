"""What the three kinds of bulk upload share: the result of a row, the refusals they all use,
and the contract between the processing loop (:mod:`.jobs`) and the handler of each kind.

A handler works a chunk of rows in two steps. ``parse`` reads one row in Python alone (format,
duplicates within the file) and returns a refused :class:`RowResult` or a :class:`Parsed` row.
``apply`` then does the chunk's database work in a few set-based queries, inside the chunk's
transaction, and returns a result for every parsed row. If ``apply`` hits an IntegrityError
(a concurrent change, e.g. a single raise for the same Device), the loop runs it again row by
row in savepoints and asks ``conflict`` for the result of a row that still fails.
"""

import datetime as dt
from dataclasses import dataclass
from typing import NamedTuple

from incidents.models import BulkOutcome, BulkResult, BulkRow, BulkUpload
from incidents.services.bulk.files import MAX_CELL, SourceRow
from incidents.services.common import IncidentError, looks_like_install_code
from notifications.services import QueueItem

MAX_REFERENCE = 64
# Refusals of a row on its own, before any other row counts: such a row is never the first
# of a key, so a later row with the same key is judged on its own.
PARSE_REFUSALS = ("bad_format", "bad_install_code")


class RowResult(NamedTuple):
    """A :class:`BulkRow` to insert (a tuple, not a model instance: there are 100,000)."""

    upload_id: int
    line: int
    device_id: str
    reference: str
    result: str
    outcome: str
    reason_code: str
    message: str
    incident_id: int | None


RESULT_FIELDS = RowResult._fields

# Every reason code a bulk row may be refused with, in plain English for the results page; the
# codes themselves are for machines, in the results file. Each row's own message says more.
REFUSAL_REASONS = {
    "bad_format": "The row is not in the right format",
    "bad_install_code": "The install code is not valid",
    "duplicate_in_file": "Repeats an earlier row of the file",
    "conflict": "Stopped by a change made at the same moment",
    "not_in_smi": "The Device is not in the Smart Metering Inventory",
    "ineligible_type": "The Device is of a type without an install code",
    "ineligible_status": "The Device is not awaiting commissioning",
    "own_device": "Your organisation installed the Device",
    "already_open": "The Device already has an open request",
    "not_registered": "Your organisation is not registered for the Device's meter point",
    "registration_unknown": "No registration is known for the Device's meter point",
    "no_meter_point": "The Device has no meter point to check the registration of",
    "rate_limited": "Over your organisation's limit on raising requests",
    "not_assigned_to_you": "No request assigned to your organisation matches",
    "not_awaiting_answer": "The request is not awaiting your answer",
    "not_prenotified_by_you": "Your organisation did not pre-notify the Device",
}


def refusal_reason(code: str) -> str:
    """The plain English of a reason code (its words, should a new code lack an entry)."""
    return REFUSAL_REASONS.get(code) or code.replace("_", " ").capitalize()


@dataclass(slots=True)
class Parsed:
    line: int
    key: str  # canonical Device ID, or INC reference (answer files)
    reference: str = ""  # the Supplier's own reference (raise files)
    code: bytes | None = None  # the install code (answer and lodge files); never logged
    not_installed: bool = False
    incident_pk: int | None = None  # the request named by reference (answer files)


class StaleRead(Exception):
    """A chunk applied while the chunk before was committing read what that chunk changed
    before it was committed, and must be done again (:mod:`.chunks`)."""


class RowHandler:
    """Base of the handler of one kind of upload."""

    # Whether a cell that is not a Device ID may be shown back in the results: not in files
    # that hold install codes, where a mistyped or misplaced cell may be one.
    echo_bad_cells = False

    def __init__(self, upload: BulkUpload):
        self.upload = upload
        self.supplier = upload.supplier
        self.actor = upload.uploaded_by
        # Canonical key -> the line of the first row with it that parsed, for
        # duplicate_in_file.
        self.seen: dict[str, int] = {}

    def resume(self) -> None:
        """Rebuild what earlier runs on this upload learned from the rows they wrote."""
        rows = (
            BulkRow.objects.filter(upload=self.upload)
            .exclude(device_id="")
            .exclude(reason_code__in=PARSE_REFUSALS)
        )
        for key, line in rows.order_by("line").values_list("device_id", "line").iterator(5000):
            self.seen.setdefault(key, line)

    def parse(self, row: SourceRow) -> "Parsed | RowResult":
        raise NotImplementedError

    def apply(self, parsed: list[Parsed], *, now: dt.datetime) -> list[RowResult]:
        raise NotImplementedError

    def recheck(self, *, now: dt.datetime) -> None:
        """Raise :class:`StaleRead` if the chunk just applied, read before the chunk before it
        had committed, would have gone otherwise now that it has (by default, never)."""

    def conflict(self, parsed: Parsed) -> RowResult:
        return self.refused(
            parsed.line,
            parsed.key,
            "conflict",
            "A change made at the same moment stopped this row; upload it again.",
            reference=parsed.reference,
        )

    def digest(self, upload: BulkUpload) -> list[QueueItem]:
        """The emails of the finished upload (one per organisation concerned)."""
        return []

    def log_security_events(self, upload: BulkUpload, *, now: dt.datetime) -> None:
        """Record in the security log what the finished upload showed of concern (none)."""

    # --- Helpers for handlers ----------------------------------------------------------------

    def accepted(
        self,
        line: int,
        key: str,
        outcome: BulkOutcome,
        message: str,
        *,
        incident_id: int | None = None,
        reference: str = "",
    ) -> RowResult:
        return RowResult(
            self.upload.pk,
            line,
            key,
            reference,
            BulkResult.ACCEPTED,
            outcome,
            "",
            message,
            incident_id,
        )

    def refused(
        self,
        line: int,
        key: str,
        reason_code: str,
        message: str,
        *,
        reference: str = "",
        incident_id: int | None = None,
    ) -> RowResult:
        return RowResult(
            self.upload.pk,
            line,
            key,
            reference,
            BulkResult.REFUSED,
            "",
            reason_code,
            message,
            incident_id,
        )

    def refused_by(self, line: int, key: str, error: IncidentError, **kwargs) -> RowResult:
        return self.refused(line, key, error.code, error.message, **kwargs)

    def duplicate(self, line: int, key: str, *, what: str, reference: str = "") -> RowResult | None:
        """The refusal of a key already seen on an earlier line of the file, or None (and the
        key is remembered). Every later line with the key is refused, whatever became of the
        first, so the result does not depend on where a resumed run started."""
        first = self.seen.setdefault(key, line)
        if first == line:
            return None
        return self.refused(
            line,
            key,
            "duplicate_in_file",
            f"{what} {key} is also on line {first} of this file; only line {first} is used.",
            reference=reference,
        )

    def shown(self, cell: str) -> str:
        """A cell that did not parse, as it may be kept and shown in the results."""
        cell = cell.strip()
        if not self.echo_bad_cells or looks_like_install_code(cell):
            return ""
        return cell[:MAX_REFERENCE]

    def bad_columns(self, row: SourceRow) -> RowResult | None:
        """Refuse a row its reader could not read (its ``fault``), with more filled cells
        than the header has columns, or with a huge cell."""
        if row.fault:
            return self.refused(row.line, "", "bad_format", row.fault)
        if row.overflow:
            return self.refused(
                row.line,
                "",
                "bad_format",
                f"Line {row.line} has more filled columns than the header, which has {row.width}.",
            )
        if any(len(cell) > MAX_CELL for cell in row.cells):
            return self.refused(
                row.line,
                "",
                "bad_format",
                f"Line {row.line} has a cell longer than {MAX_CELL} characters.",
            )
        return None


def cell(row: SourceRow, index: int) -> str:
    return row.cells[index].strip() if len(row.cells) > index else ""
