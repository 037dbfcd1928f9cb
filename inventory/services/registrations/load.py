"""Loading the registration services' extract: the Supplier registered for each meter point.

A CSV with the header ``mpxn,supplier,effective_from,effective_to`` (any order, any case):
``supplier`` is the Supplier's MPID for an MPAN core (13 digits) and its gas short code for an
MPRN (6 to 10 digits); ``effective_to`` (the last day, inclusive) is empty while the
registration lasts. A registration is keyed by its MPxN and ``effective_from``: loading a row
again updates that registration, and a later registration of the same MPxN starts a new row
(the history stays, and a future-dated change of Supplier takes effect on its day).

The file is streamed: Python checks each row and passes it on as it goes, so memory holds one
chunk whatever the file's size. On PostgreSQL the rows go with ``COPY`` into a temporary
staging table, elsewhere with ``executemany``; one set of SQL statements then finds the rows
the file repeats, joins the rest with the stored registrations to keep only those that are new
or differ, and upserts those (``INSERT … ON CONFLICT DO UPDATE``): unchanged registrations are
neither rewritten nor locked. The whole load is one transaction: a refused file writes
nothing.
"""

import csv
import datetime as dt
import functools
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import IO, TextIO

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Supplier
from ssi_portal.lib.csv_lines import RecentLines, csv_fault

from ...identifiers import mpan_check_ok, mprn_check_ok
from ..load_files import (
    LoadFileError,
    decoded_lines,
    header_expected,
    no_header,
    not_utf8,
    write_rejects,
)
from .staging import StagingWriter, staged_rows_apply, staging_create

REGISTRATION_COLUMNS = ("mpxn", "supplier", "effective_from", "effective_to")
REGISTRATION_REJECT_HEADER = ("line", "mpxn", "reason")
REPORTED_ISSUES = 1000
CHUNK_SIZE = 5000

_DIGITS = re.compile(r"[0-9]+").fullmatch
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}").fullmatch


class RegistrationLoadError(LoadFileError):
    """The file is refused whole and nothing was written; ``str(error)`` is fit to show."""


@dataclass(frozen=True)
class RegistrationRowIssue:
    line: int
    mpxn: str
    reason: str


@dataclass
class RegistrationLoadReport:
    """Counts of one load; ``rejects`` and ``warning_notes`` keep the first
    ``REPORTED_ISSUES``, the counts and the reject file cover every row."""

    rows_read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    warnings: int = 0
    rejects: list[RegistrationRowIssue] = field(default_factory=list)
    warning_notes: list[RegistrationRowIssue] = field(default_factory=list)

    @property
    def loaded(self) -> int:
        return self.created + self.updated + self.unchanged


def registrations_load_csv(
    *,
    source: TextIO | IO[bytes] | str | os.PathLike,
    reject_file: TextIO | str | os.PathLike | None = None,
    now: dt.datetime | None = None,
) -> RegistrationLoadReport:
    """Upsert the registrations of an extract (see the module's docstring for the format).

    Invalid rows are rejected with their line and reason and the rest load; a bad MPAN/MPRN
    check digit is a warning only (DOMAIN.md). A row that repeats the MPxN and
    ``effective_from`` of an earlier row is rejected, naming that row. Raises
    :class:`RegistrationLoadError`, writing nothing, for a missing file, a wrong header, bytes
    that are not UTF-8 or broken CSV. ``reject_file`` receives ``line,mpxn,reason`` for every
    rejected row, written only if the load commits. Writes no events: the caller acts on the
    new registrations (``manage.py load_registrations`` cancels the requests whose raiser is
    no longer registered).
    """
    report = RegistrationLoadReport()
    with ExitStack() as stack:
        if isinstance(source, str | os.PathLike):
            try:
                source = stack.enter_context(open(source, "rb"))  # noqa: SIM115 (closed by the stack)
            except OSError as exc:
                raise RegistrationLoadError(f"Cannot read {source}: {exc.strerror}.") from exc
        spool = stack.enter_context(
            tempfile.SpooledTemporaryFile(max_size=2**20, mode="w+", newline="", encoding="utf-8")
        )
        rejects_out = csv.writer(spool)
        rejects_out.writerow(REGISTRATION_REJECT_HEADER)
        with transaction.atomic():
            _Load(report, rejects_out, now or timezone.now()).run(source)
            if reject_file is not None:
                spool.seek(0)
                write_rejects(spool, reject_file, error=RegistrationLoadError)
    return report


class _Load:
    def __init__(self, report: RegistrationLoadReport, rejects_out, now: dt.datetime):
        self.report = report
        self.rejects_out = rejects_out
        self.now = now
        self.mpids: dict[str, int] = {}
        self.gas_codes: dict[str, int] = {}
        for pk, mpid, gas in Supplier.objects.values_list("pk", "mpid", "gas_short_code"):
            if mpid:
                self.mpids[mpid.upper()] = pk
            if gas:
                self.gas_codes[gas.upper()] = pk

    def run(self, source) -> None:
        lines = RecentLines(decoded_lines(source, error=RegistrationLoadError))
        # strict: a stray quote or an unterminated quoted cell refuses the file, rather than
        # swallowing the lines after it into one cell.
        reader = csv.reader(lines.lines, strict=True)
        order = self._header(reader)
        with connection.cursor() as cursor:
            staging_create(cursor)
            with StagingWriter(cursor) as writer:
                for chunk in self._rows(reader, lines, order):
                    writer.write(chunk)
            staged_rows_apply(
                cursor, writer.rows, report=self.report, reject=self._reject, now=self.now
            )

    # --- Reading ------------------------------------------------------------------------------

    def _header(self, reader) -> list[int]:
        try:
            header = next(reader, None)
        except csv.Error as exc:
            raise RegistrationLoadError(f"Line 1 is not valid CSV: {exc}.") from exc
        except UnicodeDecodeError as exc:
            raise not_utf8(exc, 1, error=RegistrationLoadError) from exc
        if refusal := no_header(header, REGISTRATION_COLUMNS):
            raise RegistrationLoadError(refusal)
        names = [cell.strip().lower() for cell in header]
        problems = []
        unknown = [
            f"'{cell.strip()}'"
            for cell in header
            if cell.strip().lower() not in REGISTRATION_COLUMNS
        ]
        if unknown:
            problems.append(
                f"unexpected column{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}"
            )
        repeated = sorted({n for n in names if n in REGISTRATION_COLUMNS and names.count(n) > 1})
        if repeated:
            problems.append(
                f"repeated column{'s' if len(repeated) > 1 else ''} {', '.join(repeated)}"
            )
        missing = [n for n in REGISTRATION_COLUMNS if n not in names]
        if missing:
            problems.append(f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}")
        if problems:
            raise RegistrationLoadError(
                f"The header is wrong: {'; '.join(problems)}. "
                + header_expected(REGISTRATION_COLUMNS)
            )
        return [names.index(name) for name in REGISTRATION_COLUMNS]

    def _rows(self, reader, lines: RecentLines, order: list[int]) -> Iterator[list[tuple]]:
        """Checked rows as ``(line, mpxn, supplier_pk, effective_from, effective_to)``,
        ISO dates as text, in chunks; rejects and warnings go to the report as they come.
        ``line`` is the physical line a row starts on (a quoted cell may span lines)."""
        i_mpxn, i_supplier, i_from, i_to = order
        width = len(order)
        chunk: list[tuple] = []
        end = reader.line_num
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                record = lines.record(reader.line_num, end + 1)
                at, what = csv_fault(exc, record, end + 1, at_line=reader.line_num)
                raise RegistrationLoadError(
                    f"Line {at} is not valid CSV: {what}. Nothing was loaded."
                ) from exc
            except UnicodeDecodeError as exc:
                raise not_utf8(exc, reader.line_num + 1, error=RegistrationLoadError) from exc
            line, end = end + 1, reader.line_num
            if not row or row == [""]:
                continue  # blank line
            self.report.rows_read += 1
            if len(row) != width:
                self._reject(
                    line,
                    row[i_mpxn] if len(row) > i_mpxn else "",
                    f"has {len(row)} cells; the header names {width} "
                    f"({','.join(REGISTRATION_COLUMNS)})",
                )
                continue
            checked = self._check(line, row[i_mpxn], row[i_supplier], row[i_from], row[i_to])
            if checked is not None:
                chunk.append(checked)
                if len(chunk) >= CHUNK_SIZE:
                    yield chunk
                    chunk = []
        if chunk:
            yield chunk

    def _check(self, line: int, mpxn: str, code: str, start: str, end: str) -> tuple | None:
        mpxn, code, start, end = mpxn.strip(), code.strip().upper(), start.strip(), end.strip()
        reasons = []
        digits = mpxn.isascii() and bool(_DIGITS(mpxn))
        electricity = digits and len(mpxn) == 13
        gas = digits and 6 <= len(mpxn) <= 10
        supplier = None
        if not (electricity or gas):
            shown = f"'{mpxn}'" if mpxn else "an empty value"
            reasons.append(
                f"mpxn: an MPAN core has 13 digits and an MPRN 6 to 10; {shown} is neither"
            )
        elif not code:
            what = "MPID" if electricity else "gas short code"
            reasons.append(f"supplier: empty; give the registered Supplier's {what}")
        else:
            supplier = (self.mpids if electricity else self.gas_codes).get(code)
            if supplier is None:
                what = "MPID" if electricity else "gas short code"
                reasons.append(f"supplier: no Supplier in the portal has the {what} '{code}'")
        start_day = _date(start)
        if start_day is None:
            shown = f"'{start}'" if start else "empty"
            reasons.append(f"effective_from: {shown} is not a date written YYYY-MM-DD")
        end_day = None
        if end:
            end_day = _date(end)
            if end_day is None:
                reasons.append(f"effective_to: '{end}' is not a date written YYYY-MM-DD")
            elif start_day is not None and end_day < start_day:
                reasons.append(
                    f"effective_to: {end} is before effective_from {start}; a registration "
                    "ends on or after the day it starts"
                )
        if reasons:
            self._reject(line, mpxn, "; ".join(reasons))
            return None
        if electricity and not mpan_check_ok(mpxn):
            self._warn(line, mpxn, f"mpxn: MPAN {mpxn} has a bad check digit; loaded anyway")
        elif gas and not mprn_check_ok(mpxn):
            self._warn(line, mpxn, f"mpxn: MPRN {mpxn} has bad check digits; loaded anyway")
        return (line, mpxn, supplier, start, end or None)

    def _reject(self, line: int, mpxn: str, reason: str) -> None:
        report = self.report
        report.rejected += 1
        if len(report.rejects) < REPORTED_ISSUES:
            report.rejects.append(RegistrationRowIssue(line, mpxn, reason))
        self.rejects_out.writerow([line, mpxn, reason])

    def _warn(self, line: int, mpxn: str, note: str) -> None:
        report = self.report
        report.warnings += 1
        if len(report.warning_notes) < REPORTED_ISSUES:
            report.warning_notes.append(RegistrationRowIssue(line, mpxn, note))


# A registration file holds millions of rows but a few thousand distinct dates.
@functools.lru_cache(maxsize=65_536)
def _date(value: str) -> dt.date | None:
    if not _ISO_DATE(value) or not value.isascii():
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None
