"""JSON lines files of bulk uploads (``application/x-ndjson``): one JSON object a line, whose
fields are the columns of the CSV of the same kind.

Rows are numbered by the physical line they are on (from 1: there is no header). A line that
cannot be read as a row (not JSON, not an object, a field that is not text, a field the kind
does not take, a value too long) is refused on its own with the reason, as a CSV row with
too many cells is; blank lines are skipped. The whole file is refused, as a CSV is, when it
is empty, too large, not UTF-8, not JSON lines at all (its first line is not an object), or
has too many rows.

Fields: ``device_id`` and optionally ``reference`` (raise); ``install_code`` and the request
as ``device_id_or_reference``, ``reference`` or ``device_id``, the first filled one read
(answer, whose other fields are ignored, as the worklist's other columns are); ``device_id``
and ``install_code`` (lodge). A value is a string, or null for an empty cell.
"""

import json
from collections.abc import Iterator

from incidents.models import BulkKind
from incidents.services.bulk.files import (
    ANSWER_CODE_COLUMN,
    ANSWER_KEY_COLUMNS,
    HEADERS,
    MAX_CELL,
    BulkFileError,
    SourceRow,
    check_rows,
    check_size,
    decode_text,
)
from incidents.services.common import looks_like_install_code
from ssi_portal.lib.csv_lines import LINE_BREAK

CSV, JSON_LINES = "csv", "jsonl"
WHAT = "JSON lines"
# What each kind of file reads from a line's object: for each cell, the fields that may fill
# it, the first filled one read.
PICKS: dict[str, tuple[tuple[str, ...], ...]] = {
    BulkKind.RAISE: (("device_id",), ("reference",)),
    BulkKind.ANSWER: (ANSWER_KEY_COLUMNS, (ANSWER_CODE_COLUMN,)),
    BulkKind.LODGE: (("device_id",), ("install_code",)),
}
_BOM = "\ufeff"
_JSON_TYPES = {dict: "an object", list: "an array", bool: "true or false", int: "a number"}
_JSON_TYPES[float] = "a number"


def is_json_lines(data: bytes) -> bool:
    """Whether a file that passed its checks is JSON lines: its first character, blank space
    aside, opens an object, which no CSV of ours can (a CSV starts with its header)."""
    return data.removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"{")


def example(kind: str) -> str:
    return "{" + ", ".join(f'"{name}": "\u2026"' for name in HEADERS[kind][0]) + "}"


def check_json_lines(data: bytes, kind: str) -> int:
    """Refuse a file that is not JSON lines within the limits; count its rows (non-blank
    lines). Raises :class:`BulkFileError`."""
    check_size(data)
    lines = _lines(decode_text(data, what=WHAT))
    first = next(lines, None)
    if first is None:
        raise BulkFileError("The file has no rows: every line is blank.")
    line, text = first
    if not text.lstrip().startswith("{"):
        raise BulkFileError(
            f"This is not a JSON lines file: line {line} is not a JSON object. Each line must "
            f"be one object, such as {example(kind)}; a CSV file must be sent as CSV."
        )
    rows = 1 + sum(1 for _ in lines)
    check_rows(rows)
    return rows


def read_json_lines(data: bytes, kind: str) -> Iterator[SourceRow]:
    """The rows of a file that passed :func:`check_json_lines`, blank lines skipped."""
    for line, text in _lines(decode_text(data, what=WHAT)):
        cells, fault = _cells(line, text, kind)
        yield SourceRow(line, cells, width=len(PICKS[kind]), fault=fault)


def _lines(text: str) -> Iterator[tuple[int, str]]:
    # JSON strings cannot hold a raw line break, so every break ends a row.
    for number, line in enumerate(LINE_BREAK.split(text.removeprefix(_BOM)), start=1):
        if line.strip():
            yield number, line


def _cells(line: int, text: str, kind: str) -> tuple[list[str], str]:
    """The row's cells in the kind's order, or no cells and why the line cannot be read."""
    twice: list[str] = []

    def pairs(items):
        found = {}
        for name, value in items:
            if name in found:
                twice.append(name)
            found[name] = value
        return found

    try:
        row = json.loads(text, object_pairs_hook=pairs)
    except json.JSONDecodeError as exc:
        return [], f"Line {line} is not valid JSON: {exc.msg} (column {exc.colno})."
    except RecursionError:
        return [], f"Line {line} is not valid JSON: it nests too deeply."
    if not isinstance(row, dict):
        return [], (
            f"Line {line} must be a JSON object, such as {example(kind)}; it is "
            f"{_JSON_TYPES.get(type(row), 'text')}."
        )
    names = [name for names in PICKS[kind] for name in names]
    if twice:
        return [], f"Line {line} names a field twice{_shown(twice[0])}."
    unknown = [name for name, value in row.items() if name not in names and value not in ("", None)]
    if unknown and kind != BulkKind.ANSWER:
        return [], (
            f"Line {line} has a field a {BulkKind(kind).label.lower()} file does not take"
            f"{_shown(unknown[0])}; its fields are {' and '.join(HEADERS[kind][0])}."
        )
    for name in names:
        value = row.get(name)
        if value is not None and not isinstance(value, str):
            return [], f"Line {line}: {name} must be a string, not {_JSON_TYPES[type(value)]}."
        if value is not None and len(value) > MAX_CELL:
            return [], f"Line {line}: {name} is longer than {MAX_CELL} characters."
    cells = []
    for fields in PICKS[kind]:
        cells.append(next((row[n] for n in fields if (row.get(n) or "").strip()), ""))
    return cells, ""


def _shown(name: str) -> str:
    """A field name that is not ours, as it may be shown back: never one that may be a code."""
    if len(name) > 40 or looks_like_install_code(name) or not name.isprintable():
        return ""
    return f" ({json.dumps(name)})"
