"""A bulk run's chunks: each parsed in Python, then written in one transaction; on PostgreSQL
by two writer threads, so that parsing the next chunk, applying it and committing the one
before all overlap.

Each chunk's transaction locks the upload row, checks that ``processed_rows`` is where this
run left it, applies the chunk's rows (:meth:`.RowHandler.apply`), inserts one result row per
file row and moves the counters (:func:`write_chunk`). In turn (:func:`write_in_turn`: SQLite,
or a run inside a caller's transaction), the run's own thread does each chunk in that order.

Overlapped (:func:`write_overlapped`), two writer threads with a connection each take the
chunks in file order, one applying while the other commits: a chunk is applied first, then
locks the upload (waiting for the chunk before to commit), checks it, passes the turn to apply
on, and commits. So the chunks lock the upload, and commit, strictly in file order; a chunk
whose check fails because the chunk before did not commit writes nothing. What a chunk reads
while the one before is still committing:

- its Devices, requests and lodged codes are its own (a Device, a request, is the first of its
  key in one chunk only: later rows with the key are refused when parsed), and a request the
  chunk before changed is locked by it, so reading it with ``FOR UPDATE`` waits for its commit;
- the rate limit's tally may miss the chunk before's raises: :meth:`.RowHandler.recheck` reads
  it again once the upload's lock is held, and a chunk that raised past the limit is done again
  in turn (:class:`.StaleRead`).

Every wait between the two writers is a lock in PostgreSQL, none in Python while a
transaction holds locks, so PostgreSQL's deadlock detector sees any cycle: the only one
possible needs a concurrent change (a request reassigned to the uploader between two chunks
that name it). A chunk it stops before passing the turn on is done again in turn; one stopped
in its commit stops the run, and the next resumes it.

The queue holds one parsed chunk: at most four chunks are in memory (two being written, one
waiting, one being parsed). A run that dies loses its uncommitted chunks, which the next run
does again.
"""

import datetime as dt
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import NamedTuple

from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import F
from django.utils import timezone
from psycopg import errors

from incidents.models import BulkResult, BulkRow, BulkStatus, BulkUpload
from incidents.services.bulk.rows import (
    RESULT_FIELDS,
    Parsed,
    RowHandler,
    RowResult,
    StaleRead,
)
from ssi_portal.lib.bulk_sql import insert_rows

logger = logging.getLogger(__name__)

WRITERS = 2  # threads writing a run's chunks, a database connection each
_END = object()
_POLL_SECONDS = 0.1


class ParsedChunk(NamedTuple):
    start: int  # processed_rows before the chunk
    rows: int
    results: list[RowResult]  # the rows refused by parsing alone
    parsed: list[Parsed]  # the rows to apply


Write = Callable[[ParsedChunk, Callable[[], None] | None], bool]


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
    upload_id: int,
    handler: RowHandler,
    now: dt.datetime | None,
    chunk: ParsedChunk,
    handoff: Callable[[], None] | None = None,
) -> bool:
    """Write one parsed chunk in one transaction; False when another run has moved the upload
    on. ``now`` fixes the clock (tests); by default the chunk reads the time.

    In turn (no ``handoff``), the upload is locked and checked first. Overlapped, the chunk is
    applied first, while the chunk before commits on another connection; then the upload's
    lock waits for that commit, the check and the handler's :meth:`~.RowHandler.recheck` see
    it, and ``handoff()`` lets the next chunk start while this one commits. A chunk whose
    recheck fails (:class:`.StaleRead`), or that a deadlock stopped, is done again in turn.
    """
    now = now or timezone.now()
    handed = False
    try:
        with transaction.atomic():
            if handoff is None:
                _lock_next(upload_id, chunk.start)
            results = chunk.results + (_apply(handler, chunk.parsed, now) if chunk.parsed else [])
            try:
                insert_rows(BulkRow, RESULT_FIELDS, results)
            except IntegrityError as exc:
                if handoff is None or not _written_by_another_run(exc):
                    raise
                raise _MovedOn from None
            if handoff is not None:
                _lock_next(upload_id, chunk.start)
                handler.recheck(now=now)
                handoff()
                handed = True
            accepted = sum(1 for r in results if r.result == BulkResult.ACCEPTED)
            BulkUpload.objects.filter(pk=upload_id).update(
                processed_rows=chunk.start + chunk.rows,
                accepted_rows=F("accepted_rows") + accepted,
                refused_rows=F("refused_rows") + (chunk.rows - accepted),
                updated_at=now,
            )
    except _MovedOn:
        return False
    except (StaleRead, OperationalError) as exc:
        # Once the turn is passed on, the next chunk's lock on the upload follows this one's:
        # this chunk cannot be done again before it, and the run stops (resumed exactly).
        if handoff is None or handed or not (isinstance(exc, StaleRead) or _deadlock(exc)):
            raise
        logger.info("Bulk chunk at row %s: %s; doing it again in turn.", chunk.start, exc)
        return write_chunk(upload_id, handler, now, chunk)
    return True


class _MovedOn(Exception):
    """Another run has moved the upload on (or the chunk before did not commit)."""


def _lock_next(upload_id: int, start: int) -> None:
    current = (
        BulkUpload.objects.select_for_update()
        .filter(pk=upload_id)
        .values_list("status", "processed_rows")
        .first()
    )
    if current != (BulkStatus.PROCESSING, start):
        raise _MovedOn


def _written_by_another_run(exc: IntegrityError) -> bool:
    """Whether the results of these lines are already there (one row per line of a file)."""
    diag = getattr(exc.__cause__, "diag", None)
    return diag is not None and diag.constraint_name == "bulk_row_one_per_line"


def _deadlock(exc: OperationalError) -> bool:
    return isinstance(exc.__cause__, errors.DeadlockDetected)


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
        if not write(chunk, None):
            return "superseded"
        if time.monotonic() > deadline:
            return "continued"
    return "done"


def overlap_fits() -> bool:
    """Whether this thread's run can have its chunks written overlapped: on PostgreSQL,
    outside a caller's transaction, and through a psycopg pool only one that can lend both
    writers a connection (:func:`write_overlapped` hands this thread's back first); else the
    chunks are written in turn."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return False
    return connection.pool is None or connection.pool.max_size >= WRITERS


def write_overlapped(chunks: Iterable[ParsedChunk], write: Write, *, deadline: float) -> str:
    """As :func:`write_in_turn`, the chunks written by a :class:`ChunkWriter` while this
    thread parses the next. Past ``deadline``, parsing stops, and the chunks already handed
    over (three at most) are written before this returns. Through a pool, this thread's own
    connection goes back to it meanwhile (parsing reads nothing), for the writers to take."""
    if connection.pool is not None:
        connection.close()
    outcome = "done"
    with ChunkWriter(write, writers=WRITERS) as writer:
        for chunk in chunks:
            if not writer.put(chunk):
                break
            if time.monotonic() > deadline:
                outcome = "continued"
                break
    return "superseded" if writer.stopped else outcome


class ChunkWriter:
    """Write each chunk :meth:`put` with ``write(chunk, handoff)``, in order, by two threads
    with a database connection each: while one commits a chunk, the other applies the next.

    One thread at a time holds the turn to apply: it takes the next chunk, applies it, and
    passes the turn on (``handoff``) once it holds the upload's lock, so the chunks' locks on
    the upload are taken in file order. ``write`` returns False to stop (another run has
    moved the upload on): no more chunks are taken, and :attr:`stopped` is True. Leaving the
    ``with`` block waits for the chunks already handed over, and re-raises an exception of
    ``write``.
    """

    def __init__(self, write: Write, *, writers: int = 2):
        self._write = write
        self._queue: queue.Queue = queue.Queue(maxsize=1)
        self._turn = threading.Lock()
        self._done = threading.Event()  # a writer has met the end, stopped or failed
        self._errors: list[BaseException] = []
        self.stopped = False
        self._threads = [
            threading.Thread(target=self._run, name=f"bulk-chunk-writer-{n}", daemon=True)
            for n in range(writers)
        ]

    def __enter__(self) -> "ChunkWriter":
        for thread in self._threads:
            thread.start()
        return self

    def put(self, chunk) -> bool:
        """Hand ``chunk`` over (waiting while the queue is full); False when a writer has
        stopped or failed, and nothing more will be written."""
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
        for thread in self._threads:
            thread.join()
        if self._errors and exc is None:
            raise self._errors[0]

    def _next(self):
        while not self._done.is_set():
            try:
                return self._queue.get(timeout=_POLL_SECONDS)
            except queue.Empty:
                continue
        return _END

    def _run(self) -> None:
        try:
            while True:
                with _Turn(self._turn) as turn:
                    chunk = self._next()
                    if chunk is _END:
                        return
                    if not self._write(chunk, turn.pass_on):
                        self.stopped = True
                        return
        except BaseException as exc:  # re-raised in the thread that handed the chunks over
            self._errors.append(exc)
        finally:
            self._done.set()
            connection.close()  # this thread's own


class _Turn:
    """The turn to apply a chunk: taken on entry, passed on once (by ``pass_on``, or on
    leaving)."""

    def __init__(self, lock: threading.Lock):
        self._lock = lock
        self._held = False

    def __enter__(self) -> "_Turn":
        self._lock.acquire()
        self._held = True
        return self

    def pass_on(self) -> None:
        if self._held:
            self._held = False
            self._lock.release()

    def __exit__(self, *exc) -> None:
        self.pass_on()
