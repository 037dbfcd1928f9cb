"""Whether a beat job is late: its last success against twice its interval."""

import datetime as dt

import pytest
from celery.schedules import crontab, schedule

from operations.selectors.jobs import BeatJob, beat_jobs, schedule_interval

NOW = dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC)
FIVE_MINUTES = dt.timedelta(minutes=5)


def job(succeeded_ago=None, failed_ago=None, interval=FIVE_MINUTES) -> BeatJob:
    return BeatJob(
        entry="escalate-overdue-incidents",
        task="incidents.tasks.escalate_overdue_incidents",
        interval=interval,
        last_started_at=None,
        last_succeeded_at=NOW - succeeded_ago if succeeded_ago is not None else None,
        last_failed_at=NOW - failed_ago if failed_ago is not None else None,
        last_error="",
        now=NOW,
    )


def test_a_job_that_succeeded_within_twice_its_interval_is_on_time():
    assert job(succeeded_ago=dt.timedelta(minutes=10)).state == "on_time"


def test_a_job_whose_last_success_is_older_than_twice_its_interval_is_late():
    assert job(succeeded_ago=dt.timedelta(minutes=10, seconds=1)).state == "late"


def test_a_job_that_never_succeeded_is_late_and_says_so():
    never = job()

    assert (never.late, never.state, never.state_words) == (True, "never_run", "No run recorded")


def test_a_job_whose_last_run_failed_is_failing_even_if_on_time():
    failing = job(succeeded_ago=dt.timedelta(minutes=4), failed_ago=dt.timedelta(minutes=1))

    assert (failing.late, failing.state) == (False, "failing")


def test_a_failure_before_the_last_success_is_over():
    assert job(succeeded_ago=dt.timedelta(minutes=1), failed_ago=dt.timedelta(minutes=4)).state == (
        "on_time"
    )


def test_a_job_without_a_fixed_interval_is_never_called_late():
    assert job(succeeded_ago=dt.timedelta(days=9), interval=None).state == "on_time"


@pytest.mark.parametrize(
    ("value", "interval"),
    [
        (300, dt.timedelta(minutes=5)),
        (2.5, dt.timedelta(seconds=2.5)),
        (dt.timedelta(hours=1), dt.timedelta(hours=1)),
        (schedule(run_every=dt.timedelta(minutes=2)), dt.timedelta(minutes=2)),
        (crontab(minute=0, hour=3), None),
    ],
)
def test_the_interval_is_read_from_each_kind_of_schedule(value, interval):
    assert schedule_interval(value) == interval


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (120, "2 min"),
        (3600, "1 h"),
        (21600, "6 h"),
        (86400, "1 day"),
        (172800, "2 days"),
        (90, "90 s"),
    ],
)
def test_the_interval_is_said_in_its_largest_whole_unit(seconds, words):
    assert job(interval=dt.timedelta(seconds=seconds)).interval_words == words


@pytest.mark.django_db
def test_every_job_of_the_beat_schedule_is_listed_in_its_order(settings):
    assert [j.entry for j in beat_jobs(now=NOW)] == list(settings.CELERY_BEAT_SCHEDULE)
