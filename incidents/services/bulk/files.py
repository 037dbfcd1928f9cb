"""The CSV files of bulk uploads: the checks that refuse a file whole, and reading its rows.

Accepted: UTF-8 text with or without a byte-order mark (Excel's "CSV UTF-8"), comma- or
semicolon-separated (Excel writes semicolons where the decimal separator is a comma), quoted
the Excel way, any line ending. Everything else is refused whole, with a message that says
what is wrong and how to fix it, before any row is processed.
"""

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from django.conf import settings

from incidents.models import BulkKind
from incidents.services.common import looks_like_install_code
from ssi_portal.lib.csv_lines import LINE_BREAK, csv_fault, line_at
from ssi_portal.lib.text import count_of

# The header each kind of file must start with (case and spaces around names do not matter).
HEADERS: dict[str, tuple[tuple[str, ...], ...]] = {
    BulkKind.RAISE: (("device_id", "reference"), ("device_id",)),
    BulkKind.ANSWER: (("device_id_or_reference", "install_code"),),
    BulkKind.LODGE: (("device_id", "install_code"),),
}
# An answer file may also be the worklist with its install_code column filled in: any order,
# other columns ignored. The request is named by the first of these columns that is filled.
ANSWER_KEY_COLUMNS = ("device_id_or_reference", "reference", "device_id")
ANSWER_CODE_COLUMN = "install_code"
# Longest cell read from a row; anything longer is refused as a bad row, not kept.
MAX_CELL = 256
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MAGIC = (
    (b"PK\x03\x04", "an Excel workbook (.xlsx) or another zipped file"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an Excel 97-2003 workbook (.xls)"),
    (b"%PDF", "a PDF document"),
)
SAVE_AS = 'In Excel, choose File > Save As > "CSV UTF-8 (Comma delimited) (*.csv)".'


class BulkFileError(Exception):
    """The file cannot be processed at all; ``message`` says why, fit to show the user, and
    ``code`` the reason for machines (the API): ``bad_file`` unless a limit refused it."""

    def __init__(self, message: str, code: str = "bad_file"):
        super().__init__(message)
        self.message, self.code = message, code


@dataclass(frozen=True, slots=True)
class SourceRow:
    """A row as its handler reads it: the cells of its kind's columns in the order of
    :data:`HEADERS`, whatever the order of the file's own columns."""

    line: int  # the physical line of the file the row starts on (the header is line 1)
    cells: list[str]
    width: int = 2  # the columns the header names
    overflow: bool = False  # a cell is filled beyond the header's columns
    fault: str = ""  # why the row cannot be read at all (a JSON line that is not an object)


@dataclass(frozen=True, slots=True)
class Layout:
    """Where a file keeps each column of its kind: for each, the indexes of the file's
    columns that may hold it, the first filled one read."""

    picks: tuple[tuple[int, ...], ...]
    width: int

    def row(self, line: int, cells: list[str]) -> SourceRow:
        picked = []
        for indexes in self.picks:
            value = ""
            for index in indexes:
                if index < len(cells) and cells[index].strip():
                    value = cells[index]
                    break
            picked.append(value)
        overflow = any(cell.strip() for cell in cells[self.width :])
        return SourceRow(line, picked, self.width, overflow)


_AS_WRITTEN = Layout(picks=((0,), (1,)), width=2)


@dataclass(frozen=True)
class CheckedFile:
    layout: Layout
    rows: int


def header_text(kind: str) -> str:
    """The header of a kind of file as people should write it, e.g. ``device_id,reference``."""
    return ",".join(HEADERS[kind][0])


def read_limited(file: BinaryIO, limit: int) -> bytes:
    """At most ``limit + 1`` bytes: enough to know a file is too large without reading it all."""
    return file.read(limit + 1)


def check_file(data: bytes, kind: str) -> CheckedFile:
    """Refuse a file that is not a CSV of this kind within the limits; count its rows.

    Raises :class:`BulkFileError`. Blank rows (Excel leaves some at the end) are not counted.
    """
    check_size(data)
    text = decode_text(data)
    lines = _reader(text)
    header = next(lines, None)
    layout = _check_header(header[1] if header else [], kind)
    rows = 0
    for _ in lines:
        rows += 1
    if rows == 0:
        raise BulkFileError("The file has a header but no rows under it.")
    check_rows(rows)
    return CheckedFile(layout=layout, rows=rows)


def check_size(data: bytes) -> None:
    """Refuse an empty file, or one over ``SSI_BULK_MAX_BYTES``."""
    max_bytes = settings.SSI_BULK_MAX_BYTES
    if not data:
        raise BulkFileError("The file is empty.")
    if len(data) > max_bytes:
        raise BulkFileError(
            f"The file is larger than {max_bytes / 1_048_576:.0f} MB, the limit for one upload. "
            "Split it into smaller files.",
            "file_too_large",
        )


def check_rows(rows: int) -> None:
    """Refuse a file of more than ``SSI_BULK_MAX_ROWS`` rows."""
    max_rows = settings.SSI_BULK_MAX_ROWS
    if rows > max_rows:
        raise BulkFileError(
            f"The file has {count_of(rows, 'row')}; the limit is {count_of(max_rows, 'row')} "
            "a file. Split it into smaller files and upload each.",
            "too_many_rows",
        )


def read_rows(data: bytes, kind: str) -> Iterator[SourceRow]:
    """The rows under the header of a file that passed :func:`check_file`, blank rows skipped."""
    lines = _reader(decode_text(data))
    _, header = next(lines)
    layout = _check_header(header, kind)
    for line, cells in lines:
        yield layout.row(line, cells)


def decode_text(data: bytes, *, what: str = "CSV") -> str:
    """The text of a file of ``what`` (``CSV``, or ``JSON lines``): UTF-8, with or without a
    byte-order mark, without control characters; the hints of how to save it from Excel are
    for CSV files only."""
    excel = what == "CSV"
    hint = f" {SAVE_AS}" if excel else ""
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            raise BulkFileError(f"This is {kind}, not a {what} file.{hint}")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        named = " (Excel's \u201cUnicode Text\u201d)" if excel else ""
        raise BulkFileError(f"The file is UTF-16 text{named}; it must be UTF-8.{hint}")
    if b"\x00" in data:
        raise BulkFileError(f"This is a binary file, not a {what} file.{hint}")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = line_at(data, exc.start)
        probably = (
            " (the file was probably saved as \u201cCSV (Comma delimited)\u201d, which uses "
            "the Windows character set)"
            if excel
            else ""
        )
        raise BulkFileError(
            f"The file is not UTF-8 text: byte 0x{data[exc.start]:02X} on line {line} is not "
            f"valid UTF-8{probably}.{hint}"
        ) from exc
    control = _CONTROL.search(text)
    if control:
        line = line_at(text, control.start())
        raise BulkFileError(
            f"This is not a {what} text file: line {line} holds the control character "
            f"U+{ord(control.group()):04X}.{hint}"
        )
    return text


def _delimiter(text: str) -> str:
    # Decided from the header line, not csv.Sniffer: the Sniffer guesses from the data and
    # cannot tell anything from a one-column file; the header names are known, so the
    # separator between them is certain.
    first = LINE_BREAK.split(text, maxsplit=1)[0]
    return ";" if ";" in first and "," not in first else ","


def _reader(text: str) -> Iterator[tuple[int, list[str]]]:
    """(physical line the record starts on, cells) of every non-blank record, the header
    first. A broken record is reported on the line where its faulty quoted cell opens."""
    delimiter = _delimiter(text)
    reader = csv.reader(
        io.StringIO(text, newline=""), dialect="excel", delimiter=delimiter, strict=True
    )
    end = 0
    try:
        for cells in reader:
            start, end = end + 1, reader.line_num
            if any(cell.strip() for cell in cells):
                yield start, cells
    except csv.Error as exc:
        record = io.StringIO(text, newline="").readlines()[end:]
        line, what = csv_fault(exc, record, end + 1, at_line=reader.line_num, delimiter=delimiter)
        raise BulkFileError(f"Line {line} is not valid CSV: {what}.") from exc


def _check_header(cells: list[str], kind: str) -> Layout:
    names = [cell.strip().lower() for cell in cells]
    while names and not names[-1]:
        names.pop()  # Excel writes empty cells after the last named column
    found = tuple(names)
    if found in HEADERS[kind]:
        return _AS_WRITTEN
    if kind == BulkKind.ANSWER and names.count(ANSWER_CODE_COLUMN) == 1:
        keys = tuple(names.index(name) for name in ANSWER_KEY_COLUMNS if name in names)
        if keys and all(names.count(names[i]) == 1 for i in keys):
            return Layout(picks=(keys, (names.index(ANSWER_CODE_COLUMN),)), width=len(names))
    expected = header_text(kind)
    if kind == BulkKind.RAISE:
        expected += " (or device_id alone)"
    elif kind == BulkKind.ANSWER:
        expected += (
            ", or name an install_code column and a reference or device_id column, as the "
            "worklist does (other columns are ignored)"
        )
    message = f"Line 1 must be the header {expected}; "
    shown = ",".join(cells).strip()
    if not shown:
        message += "it is empty."
    elif looks_like_install_code(shown) or len(shown) > 80:
        # An answer file without its header starts with a code: never echo it.
        message += "it holds data, not the column names."
    else:
        message += f"found {shown}."
    for other, headers in HEADERS.items():
        if other != kind and found in headers:
            message += f" That is the header of a {BulkKind(other).label.lower()} file."
    raise BulkFileError(message)
