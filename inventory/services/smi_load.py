"""Loading an SMI extract (CSV) into the Devices table.

The file is streamed. Memory holds one chunk of valid rows (``CHUNK_SIZE``), the first
``REPORTED_ISSUES`` rejects, warnings and status changes, and, to find a Device ID repeated in
the file, 12 bytes per hash slot (:class:`_FirstLines`) — never the rows themselves.

Valid rows go to a writer chosen by the database:

- PostgreSQL: ``COPY`` into a temporary staging table, then set-based SQL (:mod:`.smi_copy`);
- any other (SQLite, the embedded default): ``bulk_create`` upserts, chunk by chunk. Slower,
  same results.
"""

import csv
import datetime as dt
import operator
import os
import tempfile
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from itertools import chain
from typing import IO, TextIO

from django.db import connection, transaction

from accounts.models import Supplier
from ssi_portal.lib.csv_lines import RecentLines, csv_fault
from ssi_portal.lib.identifiers import device_id_or_none

from ..models import Device
from .load_files import LoadFileError, decoded_lines, not_utf8, write_rejects
from .smi_copy import CopyWriter
from .smi_rows import (
    CANONICAL_ID,
    ESME,
    GSME,
    KIND,
    MPAN_SUMS,
    MPRN_SUMS,
    REJECT_FILE_HEADER,
    RESERVED_IDS,
    SMI_COLUMNS,
    STATUS_VALUES,
    check_digit_warning,
    device_from,
    fast_date_ok,
    fast_text_ok,
)

CHUNK_SIZE = 2000
REPORTED_ISSUES = 1000

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


class SmiLoadError(LoadFileError):
    """The file is refused whole and nothing was written; ``str(error)`` is fit to show."""


@dataclass(frozen=True)
class SmiRowIssue:
    line: int
    device_id: str
    reason: str


@dataclass(frozen=True)
class SmiStatusChange:
    """A Device already in the inventory whose SMI status the load changed."""

    device_pk: int
    device_id: str
    old_status: str | None
    new_status: str | None


@dataclass
class SmiLoadReport:
    """Counts of one load. ``rejects``, ``warning_notes`` and ``status_change_notes`` keep the
    first ``REPORTED_ISSUES``; the counts, the reject file and ``status_changed_device_pks``
    cover every row.

    ``method`` says how the rows were written: ``copy`` (PostgreSQL staging table and one
    upsert), ``copy-initial`` (PostgreSQL, first load into an empty table: indexes rebuilt
    after the insert) or ``bulk_create`` (other databases).
    """

    rows_read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    warnings: int = 0
    status_changes: int = 0
    method: str = ""
    rejects: list[SmiRowIssue] = field(default_factory=list)
    warning_notes: list[SmiRowIssue] = field(default_factory=list)
    status_change_notes: list[SmiStatusChange] = field(default_factory=list)
    # 8 bytes per Device, whatever the size of the load.
    status_changed_device_pks: array = field(default_factory=lambda: array("q"))
    # New SMI status -> how many Devices moved to it.
    status_changes_to: Counter = field(default_factory=Counter)

    @property
    def loaded(self) -> int:
        return self.created + self.updated + self.unchanged

    def record_status_change(
        self, device_pk: int, device_id: str, old_status: str | None, new_status: str | None
    ) -> None:
        self.status_changes += 1
        self.status_changed_device_pks.append(device_pk)
        self.status_changes_to[new_status] += 1
        if len(self.status_change_notes) < REPORTED_ISSUES:
            self.status_change_notes.append(
                SmiStatusChange(device_pk, device_id, old_status, new_status)
            )


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
    Re-running the same file leaves the same data and reports every row unchanged.
    ``reject_file`` (path or open text file) receives ``line,device_id,reason`` for every
    rejected row, written only if the load commits. The report lists the Devices whose SMI
    status changed. Writes no events and queues no work: acting on the status changes is the
    caller's business (``manage.py load_smi`` closes the requests they overtake).
    """
    report = SmiLoadReport()
    with ExitStack() as stack:
        if isinstance(source, str | os.PathLike):
            try:
                source = stack.enter_context(open(source, "rb"))  # noqa: SIM115 (closed by the stack)
            except OSError as exc:
                raise SmiLoadError(f"Cannot read {source}: {exc.strerror}.") from exc
        expected_rows = _expected_rows(source)
        # Rejects wait in a temporary file (spilling to disk past 1 MB) until the load commits.
        spool = stack.enter_context(
            tempfile.SpooledTemporaryFile(max_size=2**20, mode="w+", newline="", encoding="utf-8")
        )
        rejects_out = csv.writer(spool)
        rejects_out.writerow(REJECT_FILE_HEADER)
        with transaction.atomic():
            _Load(report, rejects_out, expected_rows).run(source)
            if reject_file is not None:
                # Inside the transaction: if the reject file cannot be written, nothing loads.
                spool.seek(0)
                _write_rejects(spool, reject_file)
    return report


def _expected_rows(source) -> int:
    """A guess at the number of rows, from the file size, to size the repeat finder once."""
    try:
        return os.fstat(source.fileno()).st_size // 128
    except (AttributeError, OSError, ValueError):  # not a real file (io.UnsupportedOperation)
        return 0


def _write_rejects(spool: IO[str], target: TextIO | str | os.PathLike) -> None:
    write_rejects(spool, target, error=SmiLoadError)


# --- Reading ------------------------------------------------------------------------------------


def _not_utf8(exc: UnicodeDecodeError, line: int) -> SmiLoadError:
    return not_utf8(exc, line, error=SmiLoadError)


def _decoded_lines(source: Iterable[str | bytes]) -> Iterator[str]:
    return decoded_lines(source, error=SmiLoadError)


def _read_header(lines: Iterator[str]) -> tuple[list[str], int]:
    """The column names in file order, and how many lines the header took."""
    reader = csv.reader(lines)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise SmiLoadError(f"Line 1 is not valid CSV: {exc}.") from exc
    except UnicodeDecodeError as exc:
        raise _not_utf8(exc, reader.line_num + 1) from exc
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
    return names, reader.line_num


def _column_label(cell: str, index: int) -> str:
    return f"'{cell.strip()}'" if cell.strip() else f"an unnamed column (position {index + 1})"


def _expected() -> str:
    return (
        "The header names exactly these columns, in any order and any case: "
        f"{','.join(SMI_COLUMNS)}."
    )


def _copy_available() -> bool:
    """``COPY FROM STDIN`` is PostgreSQL's; other databases take the ORM path."""
    return connection.vendor == "postgresql"


def _supplier_ids() -> dict[str, int]:
    """Supplier pk by canonical EUI-64 User ID (Suppliers are few: SEC Parties)."""
    return {
        device_id_or_none(user_id) or user_id.upper(): pk
        for pk, user_id in Supplier.objects.values_list("pk", "user_id")
    }


# --- Finding repeats ----------------------------------------------------------------------------

_M64 = (1 << 64) - 1
_MIX = 0x9E3779B97F4A7C15  # 2**64 / golden ratio: Fibonacci hashing spreads sequential serials


class _FirstLines:
    """The line on which each Device ID of the file first appeared.

    An open-addressing hash table (linear probing) over two arrays — the Device ID as its
    64-bit integer, and the line — kept at most 60% full: 12 bytes a slot, so 2,000,000
    distinct Devices take 48 MB where a dict of Python ints would take about 200 MB. Key 0
    marks a free slot (00-00-00-00-00-00-00-00 is not a Device ID). The load's hot loop probes
    and fills ``keys`` and ``lines`` inline, keeping ``room`` up to date, and calls
    :meth:`grow` when it runs out.
    """

    MIN_BITS = 16

    def __init__(self, expected: int = 0):
        self._alloc(max(self.MIN_BITS, (expected * 5 // 3).bit_length()))

    def _alloc(self, bits: int) -> None:
        self.shift = 64 - bits
        self.mask = (1 << bits) - 1
        self.keys = array("Q", [0]) * (1 << bits)
        self.lines = array("I", [0]) * (1 << bits)
        self.room = (3 << bits) // 5  # insertions left before the table is 60% full

    def slot(self, key: int) -> int:
        """The slot holding ``key``, or the free slot where it belongs."""
        keys, mask = self.keys, self.mask
        slot = ((key * _MIX) & _M64) >> self.shift
        while (found := keys[slot]) and found != key:
            slot = (slot + 1) & mask
        return slot

    def setdefault(self, key: int, line: int) -> int:
        """Record ``line`` for ``key`` unless it is known; return the first line of ``key``."""
        slot = self.slot(key)
        if self.keys[slot]:
            return self.lines[slot]
        self.keys[slot] = key
        self.lines[slot] = line
        self.room -= 1
        if not self.room:
            self.grow()
        return line

    def grow(self) -> None:
        """Twice the slots; every key moves to its new slot."""
        keys, lines = self.keys, self.lines
        self._alloc(65 - self.shift)
        for key, line in zip(keys, lines, strict=True):
            if key:
                slot = self.slot(key)
                self.keys[slot] = key
                self.lines[slot] = line
                self.room -= 1


# --- The load -----------------------------------------------------------------------------------

_WIDTH = len(SMI_COLUMNS)
# Dates and free-text values repeat across an extract: the fast path remembers the verdict on
# up to this many distinct values of each.
_REMEMBERED = 50_000


def _remembered(cache: dict[str, bool], value: str, check) -> bool:
    ok = check(value)
    if len(cache) < _REMEMBERED:
        cache[value] = ok
    return ok


class _Load:
    """One pass over the file: check each row, hand the valid ones to the writer."""

    def __init__(self, report: SmiLoadReport, rejects_out, expected_rows: int):
        self.report = report
        self.rejects_out = rejects_out
        self.expected_rows = expected_rows
        self.first_lines = _FirstLines(expected_rows)

    def run(self, source) -> None:
        lines = _decoded_lines(source)
        self.names, header_lines = _read_header(lines)
        self.suppliers = _supplier_ids()
        if _copy_available():
            writer = CopyWriter(
                columns=self.names,
                suppliers=self.suppliers,
                report=self.report,
                expected_rows=self.expected_rows,
            )
        else:
            writer = _ModelWriter(columns=self.names, suppliers=self.suppliers, report=self.report)
        with writer as w:
            self._stream(lines, header_lines, w)
            w.finish()

    def _stream(self, lines: Iterator[str], line: int, writer) -> None:
        """Every row goes through this loop, the load's hot path. Most rows take its fast
        branch, which checks a row in canonical form inline (a function call per check would
        cost more than the check) and passes it on exactly as written (``batch``); the others
        get the full check and are passed on as Devices (``devices``). The two agree on every
        row the fast branch takes."""
        order = [self.names.index(name) for name in SMI_COLUMNS]
        pick = None if order == list(range(_WIDTH)) else operator.itemgetter(*order)
        canonical, reserved, kinds, statuses = CANONICAL_ID, RESERVED_IDS, KIND, STATUS_VALUES
        esme, gsme, date_ok, text_ok = ESME, GSME, fast_date_ok, fast_text_ok
        mpan_1, mpan_2, mpan_3, mpan_4 = MPAN_SUMS
        mprn_1, mprn_2, mprn_3 = MPRN_SUMS
        supplier_ids = frozenset(self.suppliers)
        dates: dict[str, bool] = {}
        texts: dict[str, bool] = {}
        table = self.first_lines
        keys, firsts, mask, shift, room = (
            table.keys,
            table.lines,
            table.mask,
            table.shift,
            table.room,
        )
        mix, m64 = _MIX, _M64
        batch: list[str] = []
        devices: list[Device] = []
        fast_rows = 0
        try:
            for text in lines:
                line += 1
                starts = line
                body = text.rstrip("\r\n")
                if '"' in text or "\r" in body:
                    row, extra = self._parse(text, lines, line)
                    line += extra
                else:
                    # Without quotes or stray carriage returns, splitting on commas is
                    # exactly what the csv module would read.
                    row = body.split(",")
                    if len(row) == _WIDTH:
                        device_id, kind_name, status, date, maker, model, mpxn, hub, user = (
                            pick(row) if pick else row
                        )
                        kind = kinds.get(kind_name)
                        if (
                            kind is not None
                            and canonical(device_id)
                            and device_id not in reserved
                            and (status in statuses if kind else not status and not mpxn)
                            and (
                                not mpxn
                                or (
                                    (len(mpxn) == 13 if kind == esme else 6 <= len(mpxn) <= 10)
                                    and kind in (esme, gsme)
                                    and mpxn.isdigit()
                                    and mpxn.isascii()
                                )
                            )
                            and (not hub or (canonical(hub) and hub not in reserved))
                            and (not user or user in supplier_ids)
                            and (not date or dates.get(date) or _remembered(dates, date, date_ok))
                            and (texts.get(maker) or _remembered(texts, maker, text_ok))
                            and (texts.get(model) or _remembered(texts, model, text_ok))
                        ):
                            # First sight of this Device ID? (``_FirstLines``, inline.)
                            key = int(device_id.replace("-", ""), 16)
                            slot = ((key * mix) & m64) >> shift
                            while (found := keys[slot]) and found != key:
                                slot = (slot + 1) & mask
                            if not found:
                                keys[slot] = key
                                firsts[slot] = line
                                room -= 1
                                if not room:
                                    table.room = 0
                                    table.grow()
                                    keys, firsts, mask = table.keys, table.lines, table.mask
                                    shift, room = table.shift, table.room
                                fast_rows += 1
                                if mpxn:
                                    # The check digits (``mpan_check_ok``, ``mprn_check_ok``).
                                    if kind == esme:
                                        sums = (
                                            mpan_1[mpxn[0:3]]
                                            + mpan_2[mpxn[3:6]]
                                            + mpan_3[mpxn[6:9]]
                                            + mpan_4[mpxn[9:12]]
                                        )
                                        bad = sums % 11 % 10 != ord(mpxn[12]) - 48
                                    else:
                                        digits = mpxn[:-2]
                                        sums = (
                                            mprn_1[digits[-3:]]
                                            + mprn_2[digits[-6:-3]]
                                            + mprn_3[digits[:-6]]
                                        )
                                        bad = sums % 11 != int(mpxn[-2:])
                                    if bad:
                                        note = check_digit_warning(kind_name, mpxn)
                                        self._warn(line, device_id, note)
                                batch.append(body)
                                if len(batch) >= CHUNK_SIZE:
                                    writer.write(batch, devices)
                                    batch, devices = [], []
                                continue
                            # A repeat: the full check names it.
                table.room = room
                device = self._check(row, starts)
                keys, firsts, mask = table.keys, table.lines, table.mask
                shift, room = table.shift, table.room
                if device is not None:
                    devices.append(device)
                    if len(devices) >= CHUNK_SIZE:
                        writer.write(batch, devices)
                        batch, devices = [], []
        except UnicodeDecodeError as exc:
            raise _not_utf8(exc, line + 1) from exc
        table.room = room
        writer.write(batch, devices)
        self.report.rows_read += fast_rows

    @staticmethod
    def _parse(text: str, lines: Iterator[str], line: int) -> tuple[list[str], int]:
        """One record read by the csv module (quotes, or fields across lines); returns its
        fields and how many lines beyond the first it took."""
        # strict: a quoted cell left open refuses the file (naming the line it opens on),
        # rather than swallowing every line after it into one cell.
        record = RecentLines(chain([text], lines))
        reader = csv.reader(record.lines, strict=True)
        try:
            row = next(reader)
        except csv.Error as exc:
            at, what = csv_fault(
                exc,
                record.record(reader.line_num, 1),
                line,
                at_line=line - 1 + reader.line_num,
            )
            raise SmiLoadError(f"Line {at} is not valid CSV: {what}.") from exc
        except UnicodeDecodeError as exc:
            raise _not_utf8(exc, line + reader.line_num) from exc
        return row, reader.line_num - 1

    def _check(self, row: list[str], line: int) -> Device | None:
        """The full check of a row: the Device to write, or None (rejected or blank)."""
        if not any(cell.strip() for cell in row):
            return None
        self.report.rows_read += 1
        id_at = self.names.index("device_id")
        raw_id = row[id_at].strip() if id_at < len(row) else ""
        if len(row) != len(self.names):
            self._reject(
                line, raw_id, f"the row has {len(row)} fields; the header has {len(self.names)}"
            )
            return None
        values = {name: cell.strip() for name, cell in zip(self.names, row, strict=True)}
        device, reasons, warnings = device_from(values, self.suppliers)
        device_id = device_id_or_none(values["device_id"])
        if device_id is not None:
            first = self.first_lines.setdefault(int(device_id.replace("-", ""), 16), line)
            if first != line:
                reasons.insert(
                    0,
                    f"device_id: {device_id} already appears on line {first}; "
                    "a Device may appear only once in a file",
                )
        if reasons:
            self._reject(line, raw_id, "; ".join(reasons))
            return None
        for note in warnings:
            self._warn(line, device.device_id, note)
        return device

    def _reject(self, line: int, device_id: str, reason: str) -> None:
        report = self.report
        report.rejected += 1
        if len(report.rejects) < REPORTED_ISSUES:
            report.rejects.append(SmiRowIssue(line, device_id, reason))
        self.rejects_out.writerow((line, device_id, reason))

    def _warn(self, line: int, device_id: str, note: str) -> None:
        report = self.report
        report.warnings += 1
        if len(report.warning_notes) < REPORTED_ISSUES:
            report.warning_notes.append(SmiRowIssue(line, device_id, note))


class _ModelWriter:
    """Writes through the ORM, chunk by chunk (SQLite): read the chunk's Devices,
    ``bulk_create`` the new and changed ones with ``update_conflicts``; rows that match are
    left untouched.

    The comparison read is not locked: under two concurrent loads of overlapping files the
    counts may be off, but the upsert itself stays correct (last writer wins per row).
    """

    def __init__(self, *, columns: list[str], suppliers: dict[str, int], report: SmiLoadReport):
        self._pick = operator.itemgetter(*(columns.index(name) for name in SMI_COLUMNS))
        self._suppliers = suppliers
        self._report = report

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        return None

    def write(self, lines: list[str], devices: list[Device]) -> None:
        devices = [*devices, *map(self._device, lines)]
        if devices:
            self._upsert(devices)

    def finish(self) -> None:
        self._report.method = "bulk_create"

    def _device(self, line: str) -> Device:
        """The Device of a row the fast path accepted (canonical, unquoted)."""
        device_id, device_type, status, date, manufacturer, model, mpxn, hub, user_id = self._pick(
            line.split(",")
        )
        return Device(
            device_id=device_id,
            device_type=device_type,
            smi_status=status or None,
            status_effective_date=dt.date.fromisoformat(date) if date else None,
            manufacturer=manufacturer,
            model=model,
            mpxn=mpxn,
            comms_hub_id=hub,
            installing_supplier_id=self._suppliers[user_id] if user_id else None,
        )

    def _upsert(self, devices: list[Device]) -> None:
        report = self._report
        existing = {
            row[0]: row[1:]
            for row in Device.objects.filter(device_id__in=[d.device_id for d in devices])
            .order_by()
            .values_list("device_id", "pk", *_DATA_FIELDS)
        }
        changed = []
        for device in devices:
            before = existing.get(device.device_id)
            if before is None:
                report.created += 1
            elif before[1:] == tuple(getattr(device, name) for name in _DATA_FIELDS):
                report.unchanged += 1
                continue
            else:
                report.updated += 1
                pk, old_status = before[0], before[2]
                if old_status != device.smi_status:
                    report.record_status_change(pk, device.device_id, old_status, device.smi_status)
            changed.append(device)
        if changed:
            Device.objects.bulk_create(
                changed,
                update_conflicts=True,
                unique_fields=["device_id"],
                update_fields=_UPDATE_FIELDS,
            )
