"""Writes of the operations app: the record of each periodic task's runs (``JobRun``).

Each write is one upsert on the task's row (``INSERT … ON CONFLICT (name) DO UPDATE``), so
workers recording runs of the same task at once cannot collide, and a row appears the first
time its task runs. Telemetry, not a business record: it writes no event and queues nothing.
"""

import datetime as dt
import re

from django.utils import timezone

from ssi_portal.lib.logs import redact

from .models import ERROR_LENGTH, JobRun

# The credentials of a URL (redis://:password@host/0), which the logs' redaction leaves.
_URL_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^/@\s]*@")


def _upsert(name: str, **fields) -> None:
    JobRun.objects.bulk_create(
        [JobRun(name=name, **fields)],
        update_conflicts=True,
        unique_fields=["name"],
        update_fields=list(fields),
    )


def job_run_started(*, name: str, now: dt.datetime | None = None) -> None:
    """Record that task ``name`` started a run."""
    _upsert(name, last_started_at=now or timezone.now())


def job_run_succeeded(*, name: str, now: dt.datetime | None = None) -> None:
    """Record that a run of task ``name`` finished without an error."""
    _upsert(name, last_succeeded_at=now or timezone.now())


def job_run_failed(*, name: str, error: BaseException, now: dt.datetime | None = None) -> None:
    """Record that a run of task ``name`` failed with ``error``: its class and the start of its
    message, redacted as the logs are (a broker's error can hold its URL and password)."""
    text = f"{type(error).__name__}: {error}".strip().rstrip(":")
    text = redact(_URL_CREDENTIALS.sub(r"\1[redacted]@", text))
    if len(text) > ERROR_LENGTH:
        text = text[: ERROR_LENGTH - 1] + "…"
    _upsert(name, last_failed_at=now or timezone.now(), last_error=text)
