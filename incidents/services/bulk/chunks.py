"""A bulk run's chunks: each parsed in Python, then written in one transaction; on PostgreSQL
by a writer thread, so that parsing the next chunk overlaps the database's work on this one.

Each chunk's transaction locks the upload row, checks that ``processed_rows`` is where this
run left it, applies the chunk's rows (:meth:`.RowHandler.apply`), inserts one result row per
file row and moves the counters (:func:`write_chunk`). Chunks are written one at a time, in
file order, on one connection, whether by the run's own thread (:func:`write_in_turn`: SQLite,
or a run inside a caller's transaction) or by the writer thread (:func:`write_overlapped`),
which has a connection of its own: the run's own connection holds no lock meanwhile, so two
chunks of a run never wait on each other's locks and cannot deadlock, and each chunk sees
everything the chunks before it committed (the rate limit's tally, requests raised, answers).

The queue between the two threads holds one chunk, so at most three chunks are in memory (the
one being written, the one waiting, the one being parsed); a run that dies loses the chunk
being written and the one waiting, both uncommitted, which the next run does again.
"""

import datetime as dt
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import NamedTuple

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from incidents.models import BulkResult, BulkRow, BulkStatus, BulkUpload
from incidents.services.bulk.rows import RESULT_FIELDS, Parsed, RowHandler, RowResult
from ssi_portal.lib.bulk_sql import insert_rows

logger = logging.getLogger(__name__)

_END = object()
_POLL_SECONDS = 0.1


class ParsedChunk(NamedTuple):
    start: int  # processed_rows before the chunk
    rows: int
    results: list[RowResult]  # the rows refused by parsing alone
    parsed: list[Parsed]  # the rows to apply


Write = Callable[[ParsedChunk], bool]


def parse_chunks(
    handler: RowHandler, rows: Iterable, size: int, *, start: int
) -> Iterator[ParsedChunk]:
    """The file's rows from ``start`` on, ``size`` at a time, each parsed in Python alone."""
    rows = iter(rows)
    while chunk := list(islice(rows, size)):
        results: list[RowResult] = []
        parsed: list[Parsed] = []
        for row in chunk:
            outcome = handler.parse(row)
            (results if isinstance(outcome, RowResult) else parsed).append(outcome)
        yield ParsedChunk(start, len(chunk), results, parsed)
        start += len(chunk)


def write_chunk(
    upload_id: int, handler: RowHandler, now: dt.datetime | None, chunk: ParsedChunk
) -> bool:
    """Write one parsed chunk in one transaction; False when another run has moved the upload
    on. ``now`` fixes the clock (tests); by default the chunk reads the time."""
    now = now or timezone.now()
    results = list(chunk.results)
    with transaction.atomic():
        current = (
            BulkUpload.objects.select_for_update()
            .filter(pk=upload_id)
            .values_list("status", "processed_rows")
            .first()
        )
        if current != (BulkStatus.PROCESSING, chunk.start):
            return False
        if chunk.parsed:
            results += _apply(handler, chunk.parsed, now)
        insert_rows(BulkRow, RESULT_FIELDS, results)
        accepted = sum(1 for r in results if r.result == BulkResult.ACCEPTED)
        BulkUpload.objects.filter(pk=upload_id).update(
            processed_rows=chunk.start + chunk.rows,
            accepted_rows=F("accepted_rows") + accepted,
            refused_rows=F("refused_rows") + (chunk.rows - accepted),
            updated_at=now,
        )
    return True


def _apply(handler: RowHandler, parsed: list[Parsed], now: dt.datetime) -> list[RowResult]:
    try:
        with transaction.atomic():
            return handler.apply(parsed, now=now)
    except IntegrityError as exc:
        # A concurrent change (a single raise for one of these Devices, most likely) won the
        # race for a row: redo the chunk a row at a time, so only that row is refused.
        logger.info("Bulk chunk hit %s; redoing its %s rows one by one.", exc, len(parsed))
    results: list[RowResult] = []
    for row in parsed:
        try:
            with transaction.atomic():
                results += handler.apply([row], now=now)
        except IntegrityError:
            results.append(handler.conflict(row))
    return results


def write_in_turn(chunks: Iterable[ParsedChunk], write: Write, *, deadline: float) -> str:
    """Write each chunk as it is parsed, in this thread: ``done``, ``superseded``, or
    ``continued`` when past ``deadline`` (``time.monotonic()``) with rows left."""
    for chunk in chunks:
        if not write(chunk):
            return "superseded"
        if time.monotonic() > deadline:
            return "continued"
    return "done"


def write_overlapped(chunks: Iterable[ParsedChunk], write: Write, *, deadline: float) -> str:
    """As :func:`write_in_turn`, the chunks written by a :class:`ChunkWriter` while this
    thread parses the next. Past ``deadline``, parsing stops, and the one or two chunks
    already handed over are written before this returns."""
    outcome = "done"
    with ChunkWriter(write) as writer:
        for chunk in chunks:
            if not writer.put(chunk):
                break
            if time.monotonic() > deadline:
                outcome = "continued"
                break
    return "superseded" if writer.stopped else outcome


class ChunkWriter:
    """Call ``write(chunk)`` for each chunk :meth:`put`, in order, in a thread of its own
    with its own database connection.

    ``write`` returns False to stop (another run has moved the upload on): the writer then
    takes no more chunks, and :attr:`stopped` is True. Leaving the ``with`` block waits for
    the chunks already handed over to be written, and re-raises an exception of ``write``.
    """

    def __init__(self, write: Write, *, depth: int = 1):
        self._write = write
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._done = threading.Event()
        self._error: BaseException | None = None
        self.stopped = False
        self._thread = threading.Thread(target=self._run, name="bulk-chunk-writer", daemon=True)

    def __enter__(self) -> "ChunkWriter":
        self._thread.start()
        return self

    def put(self, chunk) -> bool:
        """Hand ``chunk`` over (waiting while the queue is full); False when the writer has
        stopped or failed, and will write nothing more."""
        while not self._done.is_set():
            try:
                self._queue.put(chunk, timeout=_POLL_SECONDS)
            except queue.Full:
                continue
            return True
        return False

    def __exit__(self, exc_type, exc, tb) -> None:
        # Also when this thread failed: what was handed over is whole and in file order, and
        # writing it is what the next run would do first.
        self.put(_END)
        self._thread.join()
        if self._error is not None and exc is None:
            raise self._error

    def _run(self) -> None:
        try:
            while (chunk := self._queue.get()) is not _END:
                if not self._write(chunk):
                    self.stopped = True
                    return
        except BaseException as exc:  # re-raised in the thread that handed the chunks over
            self._error = exc
        finally:
            self._done.set()
            connection.close()  # this thread's own
