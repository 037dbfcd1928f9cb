"""CSV downloads that open cleanly in Excel and cannot run formulas.

Excel reads a file as UTF-8 only when it starts with a byte-order mark, so every download
starts with one. A spreadsheet treats a cell starting with ``=``, ``+``, ``-`` or ``@`` (or a
tab or carriage return before one) as a formula, so any text that came from a user (a
Supplier's name, a note) could run as one when the file is opened: such cells are prefixed
with a single quote (OWASP, "CSV Injection"). Numbers are written as numbers.
"""

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from itertools import batched

from django.http import HttpResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header

BOM = "\ufeff"
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """The value, with a text cell that a spreadsheet would read as a formula made inert."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return f"'{value}"
    return value


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence]) -> HttpResponse:
    """A downloadable CSV: UTF-8 with BOM, the header row, then ``rows``, every cell made safe."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response.write(BOM)
    writer = csv.writer(response)
    writer.writerow([safe_cell(cell) for cell in header])
    writer.writerows([safe_cell(cell) for cell in row] for row in rows)
    return response


def csv_streaming_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence], *, rows_per_chunk: int = 1000
) -> StreamingHttpResponse:
    """:func:`csv_response` for downloads too long to hold in memory (a worklist or the results
    of a bulk upload of 100,000 rows): ``rows`` is read as the response is sent."""
    response = StreamingHttpResponse(
        _csv_chunks(header, rows, rows_per_chunk), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def _csv_chunks(header: Sequence[str], rows: Iterable[Sequence], size: int) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(BOM)
    writer.writerow([safe_cell(cell) for cell in header])
    for batch in batched(rows, size):
        writer.writerows([safe_cell(cell) for cell in row] for row in batch)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()
