"""Celery's task signals, heard in every worker: each run of a periodic task is recorded.

Only the tasks that ``CELERY_BEAT_SCHEDULE`` names are recorded (whoever queued the run: beat,
or an operator by hand); every other task is ignored. Recording is telemetry: if it fails, the
failure is logged and the task's own outcome stands.
"""

import logging

from celery import signals
from django.conf import settings
from django.db import transaction

from . import services

logger = logging.getLogger(__name__)


def beat_task_names() -> frozenset[str]:
    return frozenset(entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values())


def _record(write, task, **arguments) -> None:
    name = getattr(task, "name", None)
    if name not in beat_task_names():
        return
    try:
        # A savepoint where a run is inside a transaction (run in-process): a failed write
        # then leaves that transaction usable.
        with transaction.atomic():
            write(name=name, **arguments)
    except Exception as exc:  # noqa: BLE001 (telemetry must never fail the task)
        logger.warning("Could not record a run of %s: %s", name, type(exc).__name__)


def _started(sender=None, **kwargs) -> None:
    _record(services.job_run_started, sender)


def _succeeded(sender=None, **kwargs) -> None:
    _record(services.job_run_succeeded, sender)


def _failed(sender=None, exception=None, **kwargs) -> None:
    _record(services.job_run_failed, sender, error=exception)


def connect() -> None:
    signals.task_prerun.connect(_started, weak=False, dispatch_uid="operations-job-started")
    signals.task_success.connect(_succeeded, weak=False, dispatch_uid="operations-job-succeeded")
    signals.task_failure.connect(_failed, weak=False, dispatch_uid="operations-job-failed")
