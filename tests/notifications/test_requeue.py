"""The sweep: rows left pending are published again, rows stuck sending are put back, and a row
waiting out its backoff is left alone; running it twice does nothing twice."""

import datetime as dt

import pytest
from django.utils import timezone

from notifications.models import Notification
from notifications.services import MAX_ATTEMPTS, notifications_requeue_stale
from notifications.tasks import requeue_stale_notifications
from tests.support.outbox import make_notification

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 4, 1, 10, 0, tzinfo=dt.UTC)
MINUTE = dt.timedelta(minutes=1)
NOTHING = {"pending": 0, "sending": 0, "failed": 0}


def row(**kwargs) -> Notification:
    return make_notification(now=NOW, **kwargs)


@pytest.fixture
def sweep(django_capture_on_commit_callbacks):
    """Run the sweep as its task does, publishing once the work is committed."""

    def run(now=NOW, **kwargs) -> dict[str, int]:
        with django_capture_on_commit_callbacks(execute=True):
            return notifications_requeue_stale(now=now, **kwargs)

    return run


def reread(notification: Notification) -> Notification:
    notification.refresh_from_db()
    return notification


# --- Pending rows -------------------------------------------------------------------------------


def test_a_row_pending_for_longer_than_two_minutes_is_published_again(published, sweep):
    stale = row(age=3 * MINUTE)

    assert sweep() == {**NOTHING, "pending": 1}
    assert published == [stale.pk]


def test_a_row_pending_for_less_than_two_minutes_is_left_to_its_own_task(published, sweep):
    row(age=MINUTE)

    assert sweep() == NOTHING
    assert published == []


@pytest.mark.parametrize("status", ["sent", "failed"])
def test_finished_rows_are_never_published_again(published, status, sweep):
    row(age=60 * MINUTE, status=status)

    assert sweep() == NOTHING
    assert published == []


def test_a_row_waiting_out_its_backoff_is_left_alone(published, sweep):
    # Failed twice; its retry is due in a minute: the retry task will come for it.
    waiting = row(age=10 * MINUTE, attempts=2, next_attempt_at=NOW + MINUTE)

    assert sweep() == NOTHING
    assert published == []
    assert reread(waiting).next_attempt_at == NOW + MINUTE


def test_a_retry_due_less_than_two_minutes_ago_is_left_to_its_retry_task(published, sweep):
    row(age=10 * MINUTE, attempts=2, next_attempt_at=NOW - MINUTE)

    assert sweep() == NOTHING
    assert published == []


def test_a_retry_overdue_by_more_than_two_minutes_is_published_again(published, sweep):
    lost = row(age=10 * MINUTE, attempts=2, next_attempt_at=NOW - 3 * MINUTE)

    assert sweep() == {**NOTHING, "pending": 1}
    assert published == [lost.pk]
    assert reread(lost).attempts == 2  # publishing again is not an attempt


def test_a_row_published_again_is_sent_by_its_task(mailoutbox, sweep):
    stale = make_notification(age=3 * MINUTE)

    sweep(timezone.now())  # eager in tests: the task runs at once

    assert reread(stale).status == "sent"
    assert [m.to for m in mailoutbox] == [[stale.recipient]]


# --- Rows stuck sending -------------------------------------------------------------------------


def test_a_row_stuck_sending_for_more_than_ten_minutes_goes_back_to_pending(published, sweep):
    stuck = row(age=15 * MINUTE, status="sending", claimed_at=NOW - 11 * MINUTE)

    assert sweep() == {**NOTHING, "sending": 1}

    stuck = reread(stuck)
    assert (stuck.status, stuck.attempts, stuck.next_attempt_at) == ("pending", 1, NOW)
    assert "the worker stopped while sending" in stuck.last_error
    assert published == [stuck.pk]


def test_a_row_sending_for_less_than_ten_minutes_is_left_to_its_worker(published, sweep):
    busy = row(age=15 * MINUTE, status="sending", claimed_at=NOW - 9 * MINUTE)

    assert sweep() == NOTHING
    assert reread(busy).status == "sending"
    assert published == []


def test_a_row_that_keeps_stopping_its_worker_fails_at_the_cap(published, sweep):
    poison = row(
        age=60 * MINUTE,
        status="sending",
        claimed_at=NOW - 11 * MINUTE,
        attempts=MAX_ATTEMPTS - 1,
    )

    assert sweep() == {**NOTHING, "failed": 1}

    assert (reread(poison).status, poison.attempts) == ("failed", MAX_ATTEMPTS)
    assert published == []


# --- The sweep as a whole -----------------------------------------------------------------------


def test_running_the_sweep_twice_publishes_each_row_once(published, sweep):
    stale = row(age=3 * MINUTE)
    stuck = row(age=15 * MINUTE, status="sending", claimed_at=NOW - 11 * MINUTE)

    first = sweep()
    second = sweep(NOW + dt.timedelta(seconds=30))

    assert (first, second) == ({**NOTHING, "pending": 1, "sending": 1}, NOTHING)
    assert sorted(published) == sorted([stale.pk, stuck.pk])


def test_a_row_still_pending_long_after_a_sweep_is_published_again(published, sweep):
    # The broker was still down when the sweep published it.
    stale = row(age=3 * MINUTE)
    sweep()

    assert sweep(NOW + 3 * MINUTE) == {**NOTHING, "pending": 1}
    assert published == [stale.pk, stale.pk]


def test_the_sweep_takes_one_query_per_kind_of_row(published, django_assert_num_queries, sweep):
    for age in (3, 4, 5, 6):
        row(age=age * MINUTE)
        row(age=15 * MINUTE, status="sending", claimed_at=NOW - age * 3 * MINUTE)

    with django_assert_num_queries(2):
        counts = sweep()

    assert counts == {**NOTHING, "pending": 4, "sending": 3}


def test_the_sweep_works_a_backlog_oldest_first_in_batches(published, sweep):
    rows = [row(age=(10 - n) * MINUTE) for n in range(5)]

    first = sweep(batch_size=3)
    rest = sweep(batch_size=3)

    assert (first["pending"], rest["pending"]) == (3, 2)
    assert set(published[:3]) == {r.pk for r in rows[:3]}
    assert sorted(published) == sorted(r.pk for r in rows)


def test_the_periodic_task_runs_the_sweep_and_returns_its_counts(
    published, django_capture_on_commit_callbacks
):
    make_notification(age=3 * MINUTE)

    with django_capture_on_commit_callbacks(execute=True):
        result = requeue_stale_notifications.apply().get()

    assert result == {**NOTHING, "pending": 1}
    assert len(published) == 1


def test_the_sweep_uses_the_current_time_by_default(published, django_capture_on_commit_callbacks):
    make_notification(age=3 * MINUTE, now=timezone.now())

    with django_capture_on_commit_callbacks(execute=True):
        assert notifications_requeue_stale()["pending"] == 1
