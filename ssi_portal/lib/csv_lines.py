"""Where a CSV file goes wrong, in the physical lines people see in an editor or a spreadsheet.

Python's csv module reports an error on the line where it gave up: for a quoted cell that is
never closed, the end of the file, however far from the quotation mark at fault. These
helpers re-read the broken record to name the line where its faulty quoted cell opens.
"""

import csv
import re
from collections import deque
from collections.abc import Iterable, Iterator

# Each of these ends a line, as csv reading with ``newline=""`` and spreadsheets count them.
LINE_BREAK = re.compile(r"\r\n|\r|\n")
_UNCLOSED = "a quoted cell opens on this line and is never closed: add its closing quotation mark"
_RUNS_ON = (
    "a quoted cell opens on this line and is not closed on it (the next quotation mark, on "
    "line {line}, is followed by more text): add its closing quotation mark"
)
_TEXT_AFTER = (
    "the quoted cell that opens on this line has text after its closing quotation mark: "
    'put the whole cell in quotes, and double each quotation mark inside it ("")'
)


def line_at(text: str | bytes, index: int) -> int:
    """The line (from 1) that holds position ``index`` of ``text``."""
    breaks = LINE_BREAK if isinstance(text, str) else _BYTES_LINE_BREAK
    return len(breaks.findall(text, 0, index)) + 1


_BYTES_LINE_BREAK = re.compile(rb"\r\n|\r|\n")


def csv_fault(
    error: csv.Error,
    record: Iterable[str] | None,
    first_line: int,
    *,
    at_line: int,
    delimiter: str = ",",
) -> tuple[int, str]:
    """The line to report and what is wrong, for ``error`` raised while reading the record
    whose text is ``record`` (its lines, as read; None if not kept) and which starts on
    ``first_line``. ``at_line`` is where the reader gave up; it is reported for a fault
    that is not a quote."""
    if record is None:
        return first_line, f"the record that starts on this line is broken ({error})"
    found = _quote_fault("".join(record), first_line, delimiter)
    if found is None:
        return at_line, str(error)
    return found


def _quote_fault(text: str, line: int, delimiter: str) -> tuple[int, str] | None:
    """Read ``text`` as the Excel dialect does and find the quoted cell at fault: one never
    closed, or with text after its closing quote. None when the quotes are sound.

    Jumps from quotation mark to quotation mark (``str.find``), so that a file swallowed by
    an open quote is examined at C speed: outside a quoted cell, a quotation mark opens one
    only at the start of a cell; elsewhere it is a character like any other."""
    opened, at, quoted = line, 0, False
    while True:
        found = text.find('"', at)
        if found < 0:
            return (opened, _UNCLOSED) if quoted else None
        line += len(LINE_BREAK.findall(text, at, found))
        if not quoted:
            if found == 0 or text[found - 1] in (delimiter, "\r", "\n"):
                quoted, opened = True, line
            at = found + 1
            continue
        if text.startswith('"', found + 1):
            at = found + 2  # a doubled quotation mark inside the cell
            continue
        after = text[found + 1 : found + 2]
        if after and after != delimiter and after not in "\r\n":
            # Closed on a later line and followed by text: most likely the cell was never
            # closed, and this quotation mark opens the cell of a later row.
            return opened, _TEXT_AFTER if line == opened else _RUNS_ON.format(line=line)
        quoted, at = False, found + 1


class RecentLines:
    """The lines of a source as a csv reader takes them, the last ``keep`` of them kept so
    that a broken record can be examined (:meth:`record`). A generator and a bounded deque:
    a few per cent on a loader's hot path, and no memory growth."""

    __slots__ = ("_recent", "lines")

    def __init__(self, lines: Iterable[str], keep: int = 10_000):
        self._recent: deque[str] = deque(maxlen=keep)
        self.lines = self._tap(iter(lines), self._recent.append)

    @staticmethod
    def _tap(lines: Iterator[str], remember) -> Iterator[str]:
        for line in lines:
            remember(line)
            yield line

    def record(self, taken: int, first_line: int) -> list[str] | None:
        """The lines from ``first_line`` on, when ``taken`` lines were read in all (the
        reader's ``line_num``); None if too many to have been kept."""
        count = taken - first_line + 1
        if count > len(self._recent):
            return None
        return list(self._recent)[len(self._recent) - count :]
