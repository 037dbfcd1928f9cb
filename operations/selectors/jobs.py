"""The periodic jobs (``CELERY_BEAT_SCHEDULE``) with their last runs, and whether each is late."""

import datetime as dt
from dataclasses import dataclass

from celery.schedules import schedule as celery_schedule
from django.conf import settings
from django.utils import timezone

from ..models import JobRun

STATE_WORDS = {
    "on_time": "On time",
    "late": "Late",
    "never_run": "No run recorded",
    "failing": "Last run failed",
}
# A job is late once its last success is older than this many of its intervals: one missed
# run may be a slow worker or a restart; two in a row are worth a look.
LATE_AFTER_INTERVALS = 2


def schedule_interval(value) -> dt.timedelta | None:
    """The interval of a beat schedule: seconds, a timedelta or a ``celery.schedules.schedule``;
    None for a schedule without a fixed interval (a crontab)."""
    if isinstance(value, int | float):
        return dt.timedelta(seconds=value)
    if isinstance(value, dt.timedelta):
        return value
    if type(value) is celery_schedule:  # a crontab is a schedule of another kind
        return value.run_every
    return None


@dataclass(frozen=True)
class BeatJob:
    entry: str  # its key in CELERY_BEAT_SCHEDULE
    task: str
    interval: dt.timedelta | None
    last_started_at: dt.datetime | None
    last_succeeded_at: dt.datetime | None
    last_failed_at: dt.datetime | None
    last_error: str
    now: dt.datetime

    @property
    def late(self) -> bool:
        """No success within ``LATE_AFTER_INTERVALS`` intervals (or none ever recorded)."""
        if self.interval is None:
            return False
        if self.last_succeeded_at is None:
            return True
        return self.now - self.last_succeeded_at > LATE_AFTER_INTERVALS * self.interval

    @property
    def failing(self) -> bool:
        """The last run that finished failed."""
        return self.last_failed_at is not None and (
            self.last_succeeded_at is None or self.last_failed_at > self.last_succeeded_at
        )

    @property
    def interval_words(self) -> str:
        """ "5 min", "1 h", "1 day", or "—" without a fixed interval."""
        if self.interval is None:
            return "—"
        seconds = int(self.interval.total_seconds())
        for unit, size in (("day", 86400), ("h", 3600), ("min", 60)):
            if seconds >= size and seconds % size == 0:
                count = seconds // size
                return f"{count} {unit}{'s' if unit == 'day' and count > 1 else ''}"
        return f"{seconds} s"

    @property
    def state_words(self) -> str:
        return STATE_WORDS[self.state]

    @property
    def state(self) -> str:
        """One word for the page: failing, never_run, late or on_time."""
        if self.failing:
            return "failing"
        if self.last_succeeded_at is None:
            return "never_run"
        return "late" if self.late else "on_time"


def beat_jobs(*, now: dt.datetime | None = None) -> list[BeatJob]:
    """Every job of the beat schedule, in the schedule's order, with its task's last runs (one
    query)."""
    now = now or timezone.now()
    runs = {run.name: run for run in JobRun.objects.all()}
    jobs = []
    for entry, spec in settings.CELERY_BEAT_SCHEDULE.items():
        run = runs.get(spec["task"])
        jobs.append(
            BeatJob(
                entry=entry,
                task=spec["task"],
                interval=schedule_interval(spec["schedule"]),
                last_started_at=run.last_started_at if run else None,
                last_succeeded_at=run.last_succeeded_at if run else None,
                last_failed_at=run.last_failed_at if run else None,
                last_error=run.last_error if run else "",
                now=now,
            )
        )
    return jobs
