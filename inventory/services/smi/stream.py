"""The pass over an SMI extract: each row checked, the valid ones handed to a writer.

Memory holds one chunk of valid rows (``CHUNK_SIZE``) and, to find a Device ID repeated in the
file, 12 bytes per hash slot (:class:`FirstLines`) — never the rows themselves.
"""

import csv
import operator
from array import array
from collections.abc import Iterator
from itertools import chain

from ssi_portal.lib.csv_lines import RecentLines, csv_fault
from ssi_portal.lib.identifiers import device_id_or_none

from ...identifiers import mpan_check_ok, mprn_check_ok
from ...models import Device
from ..load_files import not_utf8
from .report import REPORTED_ISSUES, SmiLoadError, SmiLoadReport, SmiRowIssue
from .rows import (
    CANONICAL_ID,
    ESME,
    GSME,
    KIND,
    RESERVED_IDS,
    SMI_COLUMNS,
    STATUS_VALUES,
    check_digit_warning,
    device_from,
    fast_date_ok,
    fast_text_ok,
)

CHUNK_SIZE = 2000

# --- Finding repeats ----------------------------------------------------------------------------

_M64 = (1 << 64) - 1
_MIX = 0x9E3779B97F4A7C15  # 2**64 / golden ratio: Fibonacci hashing spreads sequential serials


class FirstLines:
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


class RowStream:
    """One pass over the file: check each row, hand the valid ones to the writer.

    ``names``: the file's columns in file order; ``suppliers``: the pk of each Supplier by its
    canonical User ID; rejected rows go to ``rejects_out`` (a CSV writer) and the report.
    """

    def __init__(
        self,
        report: SmiLoadReport,
        rejects_out,
        *,
        names: list[str],
        suppliers: dict[str, int],
        expected_rows: int,
    ):
        self.report = report
        self.rejects_out = rejects_out
        self.names = names
        self.suppliers = suppliers
        self.first_lines = FirstLines(expected_rows)

    def stream(self, lines: Iterator[str], line: int, writer) -> None:
        """Every row goes through this loop, the load's hot path. Most rows take its fast
        branch, which checks a row in canonical form inline (a function call per check would
        cost more than the check) and passes it on exactly as written (``batch``); the others
        get the full check and are passed on as Devices (``devices``). The two agree on every
        row the fast branch takes."""
        order = [self.names.index(name) for name in SMI_COLUMNS]
        pick = None if order == list(range(_WIDTH)) else operator.itemgetter(*order)
        canonical, reserved, kinds, statuses = CANONICAL_ID, RESERVED_IDS, KIND, STATUS_VALUES
        esme, gsme, date_ok, text_ok = ESME, GSME, fast_date_ok, fast_text_ok
        mpan_ok, mprn_ok = mpan_check_ok, mprn_check_ok
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
                            # First sight of this Device ID? (``FirstLines``, inline.)
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
                                    bad = not (mpan_ok(mpxn) if kind == esme else mprn_ok(mpxn))
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
            raise not_utf8(exc, line + 1, error=SmiLoadError) from exc
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
            raise not_utf8(exc, line + reader.line_num, error=SmiLoadError) from exc
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
