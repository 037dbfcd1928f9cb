"""A bulk raise of the whole file through the upload page, with the worker process running it
killed (SIGKILL) half-way: the job must still finish, every row with exactly one result, one
request per Device, one ``raised`` event per request.

The process killed is the Celery pool process executing the job. Its worker sees it die and,
as the task is acknowledged late and ``CELERY_TASK_REJECT_ON_WORKER_LOST`` is on, gives the
message back to the broker at once; a worker takes it again, and the job resumes after the
last chunk committed (the chunk being written when the kill came is rolled back whole).
"""

import os
import re
import signal
import time
from dataclasses import dataclass

from .journey import expect
from .processes import StackError, wait_for
from .seed import raise_file

TASK = "incidents.tasks.process_bulk_upload"


@dataclass(frozen=True)
class BulkFigures:
    rows: int
    killed_at_row: int
    killed_pid: int
    killed_on: str
    seconds: float
    runs: int
    jobs_completed_after_kill: int
    rows_lost: int
    rows_doubled: int
    requests_doubled: int
    events_doubled: int


def _running_job(app, upload_id: int) -> tuple[str, int] | None:
    """(worker name, pool process id) of the run of the upload's task, if one is running."""
    active = app.control.inspect(timeout=1.0).active() or {}
    for worker, tasks in active.items():
        for task in tasks:
            if task.get("name") == TASK and list(task.get("args") or []) == [upload_id]:
                return worker, int(task["worker_pid"])
    return None


def bulk_with_kill(raiser, rows: int, *, kill_after: int, timeout: float) -> BulkFigures:
    from django.db.models import Count
    from django.utils import timezone

    from incidents.models import BulkRow, BulkStatus, BulkUpload, EventKind, IncidentEvent
    from ssi_portal.celery import app

    data = raise_file(rows)
    started = time.perf_counter()
    answer = raiser.submit("/bulk/raise/", {}, files={"file": ("stack.csv", data)})
    expect(answer.status == 302, "uploading the bulk file", answer)
    public_id = re.fullmatch(r"/bulk/([0-9a-f-]{36})/", answer.headers["Location"])
    expect(public_id is not None, "the upload's page")
    upload = BulkUpload.objects.get(public_id=public_id.group(1))
    expect(upload.status in (BulkStatus.QUEUED, BulkStatus.PROCESSING), f"queued: {upload.error}")

    def half_way():
        current = BulkUpload.objects.filter(pk=upload.pk).values_list("status", "processed_rows")[0]
        if current[0] == BulkStatus.DONE:
            raise StackError("the job finished before the kill: raise --rows")
        return current[1] >= kill_after and _running_job(app, upload.pk)

    worker, pid = wait_for(half_way, timeout=timeout, what=f"{kill_after:,} rows processed")
    killed_at = BulkUpload.objects.get(pk=upload.pk).processed_rows
    kill_time = timezone.now()
    os.kill(pid, signal.SIGKILL)
    print(f"  SIGKILL to {worker}'s pool process {pid} at {killed_at:,} rows")

    def finished():
        status = BulkUpload.objects.filter(pk=upload.pk).values_list("status", flat=True)[0]
        if status not in (BulkStatus.QUEUED, BulkStatus.PROCESSING, BulkStatus.DONE):
            raise StackError(f"the upload ended {status}")
        return status == BulkStatus.DONE

    wait_for(finished, timeout=timeout, what="the job to finish after the kill", interval=0.5)
    seconds = time.perf_counter() - started
    upload.refresh_from_db()

    results = BulkRow.objects.filter(upload=upload)
    lines = set(results.values_list("line", flat=True))
    lost = len(set(range(2, rows + 2)) - lines)
    doubled = results.count() - len(lines)
    incidents = upload_incidents(upload)
    requests_doubled = incidents.values("device").annotate(n=Count("id")).filter(n__gt=1).count()
    raised = IncidentEvent.objects.filter(incident__in=incidents, kind=EventKind.RAISED)
    events_doubled = raised.values("incident").annotate(n=Count("id")).filter(n__gt=1).count()
    expect(
        (upload.accepted_rows, upload.refused_rows) == (rows, 0),
        f"every row accepted: {upload.accepted_rows:,} accepted, {upload.refused_rows:,} refused",
    )
    expect(incidents.count() == rows, f"one request per row: {incidents.count():,}")
    expect(raised.count() == rows, f"one raised event per request: {raised.count():,}")
    expect(upload.attempts >= 2, f"the kill cut a run short (attempts: {upload.attempts})")
    return BulkFigures(
        rows=rows,
        killed_at_row=killed_at,
        killed_pid=pid,
        killed_on=worker,
        seconds=seconds,
        runs=upload.attempts,
        jobs_completed_after_kill=BulkUpload.objects.filter(
            status=BulkStatus.DONE, finished_at__gt=kill_time
        ).count(),
        rows_lost=lost,
        rows_doubled=doubled,
        requests_doubled=requests_doubled,
        events_doubled=events_doubled,
    )


def upload_incidents(upload):
    from incidents.models import BulkRow, Incident

    return Incident.objects.filter(
        pk__in=BulkRow.objects.filter(upload=upload, incident__isnull=False).values("incident")
    )
