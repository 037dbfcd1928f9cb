"""Bulk uploads: a CSV of rows to raise, answer or lodge, checked at once and processed in the
background by chunks.

How nothing is done twice and nothing is lost:

- The upload is checked whole before it is queued (:mod:`.files`); a refused file is kept
  in the history with its message and no rows. An accepted one is stored sealed (answer and
  lodge files hold install codes) until it is processed, then the payload is erased.
- ``bulk_upload_process`` works the rows in chunks. Each chunk is one transaction that locks
  the upload row, checks that ``processed_rows`` is still where this run left it, writes the
  chunk's incidents (or answers, or lodged codes), one result row per file row, and the
  counters. On PostgreSQL two writer threads with a connection each write the chunks while
  the run parses the next, one chunk applied while the one before commits, the chunks'
  locks on the upload and their commits strictly in file order (:mod:`.chunks`). A run that
  dies loses at most its uncommitted chunks, which the next run does again: resuming is
  exact (at-least-once per chunk, exactly once in effect), and two runs on one upload cannot
  both write a chunk.
- The partial unique index on open incidents keeps a Device to one open request even against
  a concurrent single raise; a chunk that hits it is redone row by row in savepoints.
- Emails are digests written in the transaction that marks the upload done: one per
  organisation concerned, none per request; the outbox's unique key makes them once only.
  The uploader's Supplier's systems hear ``bulk_job.finished`` in that transaction too (or
  in the one that stops a file for good); each row's incident events send their own
  webhooks as the chunk writes them.
- A run stops after ``SSI_BULK_TASK_SECONDS`` and queues its continuation, so no file meets
  the task time limit; ``bulk_uploads_requeue_stale`` publishes again an upload whose task
  was never published (broker down) or whose worker died.
"""

import datetime as dt
import hashlib
import logging
import os
import time
import uuid
from functools import partial
from itertools import islice
from typing import BinaryIO

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from incidents.models import BulkKind, BulkStatus, BulkUpload
from incidents.permissions import upload_access
from incidents.services.bulk.answering import AnswerRows
from incidents.services.bulk.chunks import (
    overlap_fits,
    parse_chunks,
    write_chunk,
    write_in_turn,
    write_overlapped,
)
from incidents.services.bulk.files import BulkFileError, check_file, read_limited, read_rows
from incidents.services.bulk.jsonlines import (
    JSON_LINES,
    check_json_lines,
    is_json_lines,
    read_json_lines,
)
from incidents.services.bulk.lodging import LodgeRows
from incidents.services.bulk.raising import RaiseRows
from incidents.services.bulk.rows import RowHandler
from incidents.services.entitlement import supplier_allowance, supplier_limit_message
from incidents.services.webhooks import bulk_job_finished
from notifications.services import notification_queue_many
from ssi_portal.lib.crypto import key_ring
from ssi_portal.lib.publish import publish_after_commit
from ssi_portal.lib.text import count_of

logger = logging.getLogger(__name__)

HANDLERS: dict[str, type[RowHandler]] = {
    BulkKind.RAISE: RaiseRows,
    BulkKind.ANSWER: AnswerRows,
    BulkKind.LODGE: LodgeRows,
}
Status = BulkStatus


# --- Upload -------------------------------------------------------------------------------------


def bulk_upload_create(
    *,
    actor,
    kind: str,
    file: BinaryIO,
    filename: str,
    file_format: str = "csv",
    now: dt.datetime | None = None,
) -> BulkUpload:
    """Check an uploaded file (a CSV, or with ``file_format="jsonl"`` JSON lines, see
    :mod:`.jsonlines`) and queue it for processing, or keep it as refused.

    Preconditions: the actor belongs to a Supplier and holds the role of the kind of upload
    (to raise; to answer, for answer and lodge files). Returns the upload: ``queued`` (the task is
    published after commit), or ``refused`` with ``error`` saying what is wrong with the file
    (no row is processed, nothing of the file is kept). A refused upload also carries, unsaved,
    ``refusal_code``: ``bad_file``, ``file_too_large``, ``too_many_rows`` or
    ``over_supplier_limit`` (the Supplier's raise limit), for the API's problem.
    """
    if kind not in BulkKind.values:
        raise ValueError(f"Unknown kind of upload: {kind}")
    access = upload_access(actor, kind)
    if not access:
        raise PermissionDenied(access.refusal.text)
    now = now or timezone.now()
    data = read_limited(file, settings.SSI_BULK_MAX_BYTES)
    upload = BulkUpload(
        public_id=uuid.uuid4(),
        kind=kind,
        supplier_id=actor.supplier_id,
        uploaded_by=actor,
        filename=os.path.basename(filename or "upload.csv")[:255],
        content_sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        created_at=now,
        updated_at=now,
    )
    try:
        if file_format == JSON_LINES:
            rows = check_json_lines(data, kind)
        else:
            rows = check_file(data, kind).rows
        allowance = None
        if kind == BulkKind.RAISE:
            allowance = supplier_allowance(actor.supplier_id, now=now)
        if allowance is not None and rows > allowance:
            raise BulkFileError(
                supplier_limit_message(actor.supplier, allowance, wanted=rows),
                "over_supplier_limit",
            )
    except BulkFileError as exc:
        upload.status = Status.REFUSED
        upload.error = exc.message
        upload.finished_at = now
        upload.refusal_code = exc.code
        upload.save()
        return upload
    upload.status = Status.QUEUED
    upload.total_rows = rows
    upload.payload_sealed = key_ring().seal(data, aad=upload.seal_context())
    with transaction.atomic():
        upload.save()
        bulk_upload_publish(upload.pk)
    return upload


def bulk_upload_publish(upload_id: int, *, continuation: bool = False) -> None:
    """Publish the upload's task once the transaction commits; with the broker down, the
    upload stays queued and the stale sweep (:func:`bulk_uploads_requeue_stale`) publishes it."""
    from incidents.tasks import process_bulk_upload

    publish_after_commit(
        process_bulk_upload,
        [upload_id],
        what="bulk upload",
        kwargs={"continuation": continuation},
        logger=logger,
    )


# --- Processing ---------------------------------------------------------------------------------


def bulk_upload_process(
    *,
    upload_id: int,
    continuation: bool = False,
    now: dt.datetime | None = None,
    chunk_size: int | None = None,
    time_budget: float | None = None,
) -> str:
    """Process the rows of a queued upload, or resume one a run left unfinished.

    Safe to run twice or concurrently (see the module docstring). ``continuation``: this run
    was queued by the previous one when it ran out of time, and does not count as an attempt.
    ``now`` fixes the clock of every chunk (tests); by default each chunk reads the time.
    ``chunk_size``: rows a transaction, by default ``SSI_BULK_CHUNK_ROWS``.
    Returns what happened: ``done``, ``continued``, ``superseded``, ``failed`` or ``nothing``.
    """
    budget = settings.SSI_BULK_TASK_SECONDS if time_budget is None else time_budget
    chunk_size = chunk_size or settings.SSI_BULK_CHUNK_ROWS
    started = time.monotonic()
    upload = _claim(upload_id, continuation=continuation, now=now or timezone.now())
    if upload is None:
        return "nothing"
    if upload.status == Status.FAILED:
        return "failed"
    handler = HANDLERS[upload.kind](upload)
    processed = upload.processed_rows
    if processed:
        handler.resume()
    payload = key_ring().open(upload.payload_sealed, aad=upload.seal_context())
    upload.payload_sealed = None
    reader = read_json_lines if is_json_lines(payload) else read_rows
    rows = islice(reader(payload, upload.kind), processed, None)
    del payload
    chunks = parse_chunks(handler, rows, chunk_size, start=processed)
    write = partial(write_chunk, upload.pk, handler, now)
    if overlap_fits():
        outcome = write_overlapped(chunks, write, deadline=started + budget)
    else:
        # SQLite has one writer at a time, a caller's transaction is this connection's own,
        # and a pool too small lends no writer a connection: each chunk is parsed, then
        # written, in this thread.
        outcome = write_in_turn(chunks, write, deadline=started + budget)
    if outcome == "continued":
        bulk_upload_publish(upload.pk, continuation=True)
    if outcome != "done":
        return outcome
    return "done" if _finish(upload.pk, handler, now or timezone.now()) else "superseded"


def _claim(upload_id: int, *, continuation: bool, now: dt.datetime) -> BulkUpload | None:
    """Lock the upload and mark it processing; None when there is nothing to do."""
    with transaction.atomic():
        upload = (
            BulkUpload.objects.select_for_update(of=("self",))
            .select_related("supplier", "uploaded_by")
            .filter(pk=upload_id, status__in=[Status.QUEUED, Status.PROCESSING])
            .first()
        )
        if upload is None:
            return None
        if upload.status == Status.QUEUED:
            upload.status = Status.PROCESSING
            upload.started_at = now
        if not continuation:
            upload.attempts += 1
        upload.updated_at = now
        if not upload_access(upload.uploaded_by, upload.kind) or (
            upload.uploaded_by.supplier_id != upload.supplier_id
        ):
            # Processing is when the rows are acted on: the uploader must still hold the role.
            upload.status = Status.FAILED
            upload.error = (
                f"Processing stopped: {upload.uploaded_by.get_full_name() or 'the uploader'} "
                f"no longer holds the role for this upload at {upload.supplier.name}. "
                f"{_done_so_far(upload.processed_rows)}"
            )
            upload.payload_sealed = None
            upload.finished_at = now
        elif upload.attempts > settings.SSI_BULK_MAX_ATTEMPTS:
            # Every run so far died on this file: stop, rather than loop on it forever.
            upload.status = Status.FAILED
            upload.error = (
                f"Processing stopped after {count_of(upload.attempts - 1, 'attempt')} that did "
                f"not finish. {_done_so_far(upload.processed_rows)} Contact the DCC helpdesk."
            )
            upload.payload_sealed = None
            upload.finished_at = now
        upload.save(
            update_fields=[
                "status",
                "started_at",
                "attempts",
                "updated_at",
                "error",
                "payload_sealed",
                "finished_at",
            ]
        )
        if upload.status == Status.FAILED:
            bulk_job_finished(upload, status=Status.FAILED, now=now)
    return upload


def _done_so_far(processed: int) -> str:
    if not processed:
        return "No row was processed."
    if processed == 1:
        return "The first row has its result; the rest were not processed."
    return f"The first {processed:,} rows have their results; the rest were not processed."


def _finish(upload_id: int, handler: RowHandler, now: dt.datetime) -> bool:
    """Mark the upload done, erase its payload and queue its digests, in one transaction."""
    with transaction.atomic():
        upload = (
            BulkUpload.objects.select_for_update(of=("self",))
            .select_related("supplier")
            .defer("payload_sealed")
            .filter(pk=upload_id, status=Status.PROCESSING)
            .first()
        )
        if upload is None:
            return False
        BulkUpload.objects.filter(pk=upload_id).update(
            status=Status.DONE,
            payload_sealed=None,
            total_rows=upload.processed_rows,
            finished_at=now,
            updated_at=now,
        )
        notification_queue_many(handler.digest(upload))
        handler.log_security_events(upload, now=now)
        bulk_job_finished(upload, status=Status.DONE, now=now)
    return True


# --- Sweep --------------------------------------------------------------------------------------


def bulk_uploads_requeue_stale(
    *,
    now: dt.datetime | None = None,
    queued_after: dt.timedelta = dt.timedelta(minutes=2),
    processing_after: dt.timedelta = dt.timedelta(minutes=10),
) -> int:
    """Publish again the uploads left queued (their task was never published: broker down at
    commit) or processing without progress (their worker died; with a Redis broker the
    message would come back only after the visibility timeout). ``processing_after`` must
    exceed the time one chunk can take. Marks them touched so the next run leaves them
    alone a while; a duplicate task is harmless. Returns how many were published."""
    now = now or timezone.now()
    with transaction.atomic():
        stale = list(
            BulkUpload.objects.select_for_update(skip_locked=True)
            .filter(status=Status.QUEUED, updated_at__lt=now - queued_after)
            .values_list("pk", flat=True)
        ) + list(
            BulkUpload.objects.select_for_update(skip_locked=True)
            .filter(status=Status.PROCESSING, updated_at__lt=now - processing_after)
            .values_list("pk", flat=True)
        )
        BulkUpload.objects.filter(pk__in=stale).update(updated_at=now)
        for upload_id in stale:
            bulk_upload_publish(upload_id)
    if stale:
        logger.warning("Bulk upload sweep: published %s stale upload(s) again.", len(stale))
    return len(stale)
