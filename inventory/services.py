"""Writes to the Smart Metering Inventory: loading an SMI extract from CSV.

The load streams the file: it holds one chunk of valid rows (``CHUNK_SIZE``), the first
``REPORTED_ISSUES`` rejects and warnings, and one entry per distinct Device ID (to find
duplicates, about 100 bytes each), never the rows themselves.
"""

import codecs
import csv
import datetime as dt
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import IO, TextIO

from django.db import transaction

from .identifiers import (
    IdentifierError,
    device_id_or_none,
    is_valid_mpan,
    is_valid_mprn,
    mpan_check_digit,
    mprn_check_digits,
    parse_device_id,
)
from .models import TYPE_2_DEVICES, Device, DeviceType, SMIStatus, Supplier

SMI_COLUMNS = (
    "device_id",
    "device_type",
    "smi_status",
    "status_effective_date",
    "manufacturer",
    "model",
    "mpxn",
    "comms_hub_id",
    "installing_supplier_user_id",
)
CHUNK_SIZE = 2000
REPORTED_ISSUES = 1000
REJECT_FILE_HEADER = ("line", "device_id", "reason")

# The columns a load compares and overwrites; ``updated_at`` moves only when one of them changes.
_DATA_FIELDS = (
    "device_type",
    "smi_status",
    "status_effective_date",
    "manufacturer",
    "model",
    "mpxn",
    "comms_hub_id",
    "installing_supplier_id",
)
_UPDATE_FIELDS = [
    "device_type",
    "smi_status",
    "status_effective_date",
    "manufacturer",
    "model",
    "mpxn",
    "comms_hub_id",
    "installing_supplier",
    "updated_at",
]
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MPAN = re.compile(r"^[0-9]{13}$")
_MPRN = re.compile(r"^[0-9]{6,10}$")
_TYPES = {value.upper(): value for value in DeviceType.values}
_STATUSES = {value.upper(): value for value in SMIStatus.values}
_TEXT_LIMITS = {"manufacturer": 80, "model": 80}


class SmiLoadError(Exception):
    """The file is refused whole and nothing was written; ``str(error)`` is fit to show."""


@dataclass(frozen=True)
class SmiRowIssue:
    line: int
    device_id: str
    reason: str


@dataclass
class SmiLoadReport:
    """Counts of one load. ``rejects`` and ``warning_notes`` keep the first ``REPORTED_ISSUES``;
    the counts and the reject file cover every row."""

    rows_read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    warnings: int = 0
    rejects: list[SmiRowIssue] = field(default_factory=list)
    warning_notes: list[SmiRowIssue] = field(default_factory=list)

    @property
    def loaded(self) -> int:
        return self.created + self.updated + self.unchanged


def smi_load_csv(
    *,
    source: TextIO | IO[bytes] | str | os.PathLike,
    reject_file: TextIO | str | os.PathLike | None = None,
) -> SmiLoadReport:
    """Upsert the Devices of an SMI extract (CSV with the ``SMI_COLUMNS`` header, any order).

    ``source`` is a path or an open file (bytes are decoded as UTF-8, with or without BOM).
    Invalid rows are rejected with a reason and the rest load; a bad MPAN/MPRN check digit is
    a warning only, as DCC test data often carries one. Raises :class:`SmiLoadError`, writing
    nothing, for a missing file, a wrong header, bytes that are not UTF-8 or broken CSV.
    Re-running the same file leaves the same data. ``reject_file`` (path or open text file)
    receives ``line,device_id,reason`` for every rejected row, written only if the load commits.
    Writes no events and queues no work.
    """
    report = SmiLoadReport()
    with ExitStack() as stack:
        if isinstance(source, str | os.PathLike):
            try:
                source = stack.enter_context(open(source, "rb"))  # noqa: SIM115 (closed by the stack)
            except OSError as exc:
                raise SmiLoadError(f"Cannot read {source}: {exc.strerror}.") from exc
        # Rejects wait in a temporary file (spilling to disk past 1 MB) until the load commits.
        spool = stack.enter_context(
            tempfile.SpooledTemporaryFile(max_size=2**20, mode="w+", newline="", encoding="utf-8")
        )
        rejects_out = csv.writer(spool)
        rejects_out.writerow(REJECT_FILE_HEADER)
        with transaction.atomic():
            _load(_lines(source), report, rejects_out)
            if reject_file is not None:
                # Inside the transaction: if the reject file cannot be written, nothing loads.
                spool.seek(0)
                _write_rejects(spool, reject_file)
    return report


def _write_rejects(spool: IO[str], target: TextIO | str | os.PathLike) -> None:
    if isinstance(target, str | os.PathLike):
        try:
            with open(target, "w", newline="", encoding="utf-8") as out:
                shutil.copyfileobj(spool, out)
        except OSError as exc:
            raise SmiLoadError(f"Cannot write the reject file {target}: {exc.strerror}.") from exc
    else:
        shutil.copyfileobj(spool, target)


def _lines(source: Iterable[str | bytes]) -> Iterator[str]:
    """Decoded lines of a text or binary file, BOM removed, refusing bytes that are not UTF-8."""
    number = 0
    lines = iter(source)
    while True:
        try:
            line = next(lines)
        except StopIteration:
            return
        except UnicodeDecodeError as exc:  # a text file opened by the caller
            raise SmiLoadError(
                f"Line {number + 1} is not valid UTF-8 ({exc.reason}). Save the file as UTF-8 "
                "(with or without BOM) and load it again."
            ) from exc
        number += 1
        if isinstance(line, bytes):
            if number == 1:
                line = line.removeprefix(codecs.BOM_UTF8)
            try:
                line = line.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise SmiLoadError(
                    f"Line {number} is not valid UTF-8 (byte 0x{line[exc.start]:02X} at position "
                    f"{exc.start + 1}). Save the file as UTF-8 (with or without BOM) and load it "
                    "again."
                ) from exc
        elif number == 1:
            line = line.removeprefix("\ufeff")
        yield line


def _read_header(reader) -> list[str]:
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise SmiLoadError(f"Line 1 is not valid CSV: {exc}.") from exc
    if not header:
        raise SmiLoadError(f"The file is empty: its first line must be the header {_expected()}.")
    names = [cell.strip().lower() for cell in header]
    problems = []
    unknown = [
        _column_label(cell, i)
        for i, (cell, name) in enumerate(zip(header, names, strict=True))
        if name not in SMI_COLUMNS
    ]
    if unknown:
        problems.append(f"unexpected column{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}")
    repeated = sorted({name for name in names if name in SMI_COLUMNS and names.count(name) > 1})
    if repeated:
        problems.append(f"repeated column{'s' if len(repeated) > 1 else ''} {', '.join(repeated)}")
    missing = [name for name in SMI_COLUMNS if name not in names]
    if missing:
        problems.append(f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}")
    if problems:
        raise SmiLoadError(f"The header is wrong: {'; '.join(problems)}. {_expected()}")
    return names


def _column_label(cell: str, index: int) -> str:
    return f"'{cell.strip()}'" if cell.strip() else f"an unnamed column (position {index + 1})"


def _expected() -> str:
    return (
        "The header names exactly these columns, in any order and any case: "
        f"{','.join(SMI_COLUMNS)}."
    )


def _load(lines: Iterator[str], report: SmiLoadReport, rejects_out) -> None:
    reader = csv.reader(lines)
    names = _read_header(reader)
    suppliers = _supplier_ids()
    first_line_of: dict[int, int] = {}  # Device ID as an integer → first line it appeared on
    pending: list[Device] = []
    id_at = names.index("device_id")
    last_line = reader.line_num
    while True:
        try:
            row = next(reader, None)
        except csv.Error as exc:
            raise SmiLoadError(f"Line {reader.line_num} is not valid CSV: {exc}.") from exc
        line, last_line = last_line + 1, reader.line_num
        if row is None:
            break
        if not any(cell.strip() for cell in row):
            continue
        report.rows_read += 1
        raw_id = row[id_at].strip() if id_at < len(row) else ""
        if len(row) != len(names):
            _reject(
                report,
                rejects_out,
                line,
                raw_id,
                f"the row has {len(row)} fields; the header has {len(names)}",
            )
            continue
        values = {name: cell.strip() for name, cell in zip(names, row, strict=True)}
        device, reasons, warnings = _device_from(values, suppliers)
        device_id = device_id_or_none(values["device_id"])
        if device_id is not None:
            key = int(device_id.replace("-", ""), 16)
            first = first_line_of.setdefault(key, line)
            if first != line:
                reasons.insert(
                    0,
                    f"device_id: {device_id} already appears on line {first}; "
                    "a Device may appear only once in a file",
                )
        if reasons:
            _reject(report, rejects_out, line, raw_id, "; ".join(reasons))
            continue
        for warning in warnings:
            report.warnings += 1
            if len(report.warning_notes) < REPORTED_ISSUES:
                report.warning_notes.append(SmiRowIssue(line, device.device_id, warning))
        pending.append(device)
        if len(pending) >= CHUNK_SIZE:
            _upsert(pending, report)
            pending.clear()
    _upsert(pending, report)


def _reject(report: SmiLoadReport, rejects_out, line: int, device_id: str, reason: str) -> None:
    report.rejected += 1
    if len(report.rejects) < REPORTED_ISSUES:
        report.rejects.append(SmiRowIssue(line, device_id, reason))
    rejects_out.writerow((line, device_id, reason))


def _supplier_ids() -> dict[str, int]:
    """Supplier pk by canonical EUI-64 User ID (Suppliers are few: SEC Parties)."""
    return {
        device_id_or_none(user_id) or user_id.upper(): pk
        for pk, user_id in Supplier.objects.values_list("pk", "user_id")
    }


def _device_from(
    values: dict[str, str], suppliers: dict[str, int]
) -> tuple[Device | None, list[str], list[str]]:
    """The Device a row describes, with the reasons to reject it and the warnings it raises."""
    reasons: list[str] = []
    warnings: list[str] = []

    def identifier(name: str, *, required: bool) -> str | None:
        if not values[name] and not required:
            return None
        try:
            return parse_device_id(values[name])
        except IdentifierError as exc:
            reasons.append(f"{name}: {exc}")
            return None

    device_id = identifier("device_id", required=True)
    comms_hub_id = identifier("comms_hub_id", required=False)

    device_type = _TYPES.get(values["device_type"].upper())
    if device_type is None:
        reasons.append(
            f"device_type: {_shown(values['device_type'])} is not a Device Type; use "
            f"one of {', '.join(DeviceType.values)}"
        )

    status = _STATUSES.get(values["smi_status"].upper()) if values["smi_status"] else None
    if values["smi_status"] and status is None:
        reasons.append(
            f"smi_status: '{values['smi_status']}' is not an SMI status; use one of "
            f"{', '.join(SMIStatus.values)}"
        )
    elif device_type in TYPE_2_DEVICES and status is not None:
        reasons.append(
            f"smi_status: {device_type} is a Type 2 Device, which has no SMI status; leave it empty"
        )
    elif device_type is not None and device_type not in TYPE_2_DEVICES and status is None:
        reasons.append(
            f"smi_status: empty, but every {device_type} has an SMI status; use one "
            f"of {', '.join(SMIStatus.values)}"
        )

    effective = None
    if values["status_effective_date"]:
        try:
            if not _ISO_DATE.match(values["status_effective_date"]):
                raise ValueError
            effective = dt.date.fromisoformat(values["status_effective_date"])
        except ValueError:
            reasons.append(
                f"status_effective_date: '{values['status_effective_date']}' is not "
                "a date in ISO form YYYY-MM-DD, e.g. 2026-04-01"
            )

    for name, limit in _TEXT_LIMITS.items():
        if len(values[name]) > limit:
            reasons.append(f"{name}: at most {limit} characters (this has {len(values[name])})")

    _check_mpxn(values["mpxn"], device_type, reasons, warnings)

    supplier_id = None
    user_id = identifier("installing_supplier_user_id", required=False)
    if user_id is not None:
        supplier_id = suppliers.get(user_id)
        if supplier_id is None:
            reasons.append(f"installing_supplier_user_id: no Supplier has User ID {user_id}")

    if reasons:
        return None, reasons, warnings
    return (
        Device(
            device_id=device_id,
            device_type=device_type,
            smi_status=status,
            status_effective_date=effective,
            manufacturer=values["manufacturer"],
            model=values["model"],
            mpxn=values["mpxn"],
            comms_hub_id=comms_hub_id or "",
            installing_supplier_id=supplier_id,
        ),
        reasons,
        warnings,
    )


def _shown(value: str) -> str:
    return f"'{value}'" if value else "an empty value"


def _check_mpxn(
    mpxn: str, device_type: str | None, reasons: list[str], warnings: list[str]
) -> None:
    # An empty MPxN is accepted: a pre-notified meter is not yet tied to a meter point.
    if not mpxn or device_type is None:
        return
    if device_type == DeviceType.ESME:
        if not _MPAN.match(mpxn):
            reasons.append(f"mpxn: an ESME's MPAN core has 13 digits; '{mpxn}' does not")
        elif not is_valid_mpan(mpxn):
            warnings.append(
                f"mpxn: MPAN {mpxn} has a bad check digit (expected "
                f"{mpan_check_digit(mpxn[:12])}); loaded anyway"
            )
    elif device_type == DeviceType.GSME:
        if not _MPRN.match(mpxn):
            reasons.append(f"mpxn: a GSME's MPRN has 6 to 10 digits; '{mpxn}' does not")
        elif not is_valid_mprn(mpxn):
            warnings.append(
                f"mpxn: MPRN {mpxn} has bad check digits (expected "
                f"{mprn_check_digits(mpxn[:-2])}); loaded anyway"
            )
    else:
        reasons.append(
            f"mpxn: only meters (ESME, GSME) have an MPxN, not {device_type}; leave it empty"
        )


def _upsert(devices: list[Device], report: SmiLoadReport) -> None:
    """Insert new Devices and overwrite changed ones; rows that match are left untouched.

    The comparison read is not locked: under two concurrent loads of overlapping files the
    counts may be off, but the upsert itself stays correct (last writer wins per row).
    """
    if not devices:
        return
    existing = {
        row[0]: row[1:]
        for row in Device.objects.filter(device_id__in=[d.device_id for d in devices])
        .order_by()
        .values_list("device_id", *_DATA_FIELDS)
    }
    changed = []
    for device in devices:
        before = existing.get(device.device_id)
        if before is None:
            report.created += 1
        elif before == tuple(getattr(device, name) for name in _DATA_FIELDS):
            report.unchanged += 1
            continue
        else:
            report.updated += 1
        changed.append(device)
    if changed:
        Device.objects.bulk_create(
            changed,
            update_conflicts=True,
            unique_fields=["device_id"],
            update_fields=_UPDATE_FIELDS,
        )
