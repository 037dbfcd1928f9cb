"""Loading an SMI extract (CSV) into the Devices table.

The file is streamed (:mod:`.stream`). Memory holds one chunk of valid rows, the first
``REPORTED_ISSUES`` rejects, warnings and status changes, and 12 bytes per Device ID to find
one repeated in the file — never the rows themselves.

Valid rows go to a writer chosen by the database:

- PostgreSQL: ``COPY`` into a temporary staging table, then set-based SQL (:mod:`.copy_writer`);
- any other (SQLite, the embedded default): ``bulk_create`` upserts, chunk by chunk
  (:mod:`.writers`). Slower, same results.
"""

import csv
import os
import tempfile
from contextlib import ExitStack
from typing import IO, TextIO

from django.db import connection, transaction

from accounts.models import Supplier
from ssi_portal.lib.identifiers import device_id_or_none

from ..load_files import decoded_lines, write_rejects
from .copy_writer import CopyWriter
from .report import SmiLoadError, SmiLoadReport
from .rows import REJECT_FILE_HEADER, read_header
from .stream import RowStream
from .writers import ModelWriter


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
            _load(report, rejects_out, expected_rows, source)
            if reject_file is not None:
                # Inside the transaction: if the reject file cannot be written, nothing loads.
                spool.seek(0)
                write_rejects(spool, reject_file, error=SmiLoadError)
    return report


def _expected_rows(source) -> int:
    """A guess at the number of rows, from the file size, to size the repeat finder once."""
    try:
        return os.fstat(source.fileno()).st_size // 128
    except (AttributeError, OSError, ValueError):  # not a real file (io.UnsupportedOperation)
        return 0


def _load(report: SmiLoadReport, rejects_out, expected_rows: int, source) -> None:
    lines = decoded_lines(source, error=SmiLoadError)
    names, header_lines = read_header(lines)
    suppliers = supplier_ids()
    if copy_available():
        writer = CopyWriter(
            columns=names, suppliers=suppliers, report=report, expected_rows=expected_rows
        )
    else:
        writer = ModelWriter(columns=names, suppliers=suppliers, report=report)
    rows = RowStream(
        report, rejects_out, names=names, suppliers=suppliers, expected_rows=expected_rows
    )
    with writer as w:
        rows.stream(lines, header_lines, w)
        w.finish()


def copy_available() -> bool:
    """``COPY FROM STDIN`` is PostgreSQL's; other databases take the ORM path."""
    return connection.vendor == "postgresql"


def supplier_ids() -> dict[str, int]:
    """Supplier pk by canonical EUI-64 User ID (Suppliers are few: SEC Parties)."""
    return {
        device_id_or_none(user_id) or user_id.upper(): pk
        for pk, user_id in Supplier.objects.values_list("pk", "user_id")
    }
