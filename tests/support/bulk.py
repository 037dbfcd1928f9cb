"""Bulk uploads for tests: files as a Supplier would upload them, and their results."""

import datetime as dt
import io

from incidents.models import BulkRow, BulkUpload
from incidents.services.bulk.jobs import bulk_upload_create, bulk_upload_process

# Wednesday 1 April 2026, 10:00 in London: due at the end of Friday 10 April (Easter between).
NOW = dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC)
DUE = dt.datetime(2026, 4, 10, 22, 59, 59, tzinfo=dt.UTC)

RAISE_HEADER = "device_id,reference"
ANSWER_HEADER = "device_id_or_reference,install_code"
LODGE_HEADER = "device_id,install_code"


def csv_bytes(header: str, *rows: str, bom: bool = False, newline: str = "\r\n") -> bytes:
    """A file as Excel saves it: CRLF line ends, UTF-8, optionally with a byte-order mark."""
    text = newline.join([header, *rows]) + newline
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")


def upload(actor, kind: str, data: bytes, *, filename: str = "file.csv", now=NOW) -> BulkUpload:
    return bulk_upload_create(
        actor=actor, kind=kind, file=io.BytesIO(data), filename=filename, now=now
    )


def process(upload: BulkUpload, **kwargs) -> BulkUpload:
    kwargs.setdefault("now", NOW)
    bulk_upload_process(upload_id=upload.pk, **kwargs)
    upload.refresh_from_db()
    return upload


def run(actor, kind: str, header: str, *rows: str, **kwargs) -> BulkUpload:
    """Upload a file of ``rows`` and process it to the end."""
    return process(upload(actor, kind, csv_bytes(header, *rows)), **kwargs)


def results(upload: BulkUpload) -> dict[int, BulkRow]:
    """Each row's result by its line in the file."""
    return {row.line: row for row in BulkRow.objects.filter(upload=upload).order_by("line")}


def only_result(upload: BulkUpload) -> BulkRow:
    [row] = results(upload).values()
    return row
