"""The portal's state on /metrics, read from the database at each scrape: the outbox, the
requests, the bulk uploads, the beat jobs' last runs and the Celery queue."""

import datetime as dt

import pytest
import redis
import time_machine

from conftest import REDIS_URL
from incidents import services, tasks
from incidents.models import OPEN_STATUSES, BulkKind, BulkUpload
from notifications.services import notification_deliver
from operations.models import JobRun
from ssi_portal.celery import app
from tests.factories import DeviceFactory
from tests.support.bulk import RAISE_HEADER, csv_bytes, upload
from tests.support.outbox import make_notification

pytestmark = pytest.mark.django_db

ESCALATE = "incidents.tasks.escalate_overdue_incidents"


def raise_requests(actor, installing_supplier, count: int, **kwargs) -> list:
    return [
        services.incident_raise(
            actor=actor,
            device_id=DeviceFactory(installing_supplier=installing_supplier).device_id,
            **kwargs,
        )
        for _ in range(count)
    ]


# --- Requests -----------------------------------------------------------------------------------


def test_raised_requests_are_counted_open_by_status(
    scrape, gaining_user, installing_user, installing_supplier
):
    first, *_ = raise_requests(gaining_user, installing_supplier, 3)
    services.incident_answer_not_installed(actor=installing_user, incident=first, reason="")

    metrics = scrape()

    assert metrics["ssi_requests_open", {"status": "awaiting_installer"}] == 2
    assert metrics["ssi_requests_open", {"status": "with_helpdesk"}] == 1
    assert metrics["ssi_requests_open", {"status": "code_provided"}] == 0


def test_a_closed_request_is_no_longer_counted_open(scrape, incident, gaining_user):
    services.incident_close(actor=gaining_user, incident=incident, outcome="no_longer_needed")

    metrics = scrape()

    assert [metrics["ssi_requests_open", {"status": s}] for s in OPEN_STATUSES] == [0, 0, 0]


def test_a_request_past_its_deadline_is_overdue_and_breached_once_the_sweep_ran(scrape, incident):
    with time_machine.travel(incident.due_at + dt.timedelta(minutes=1), tick=False):
        before = scrape()
        tasks.escalate_overdue_incidents.delay()
        after = scrape()

    assert (before["ssi_requests_overdue"], before["ssi_requests_breached"]) == (1, 0)
    assert (after["ssi_requests_overdue"], after["ssi_requests_breached"]) == (1, 1)


def test_a_request_within_its_deadline_is_not_overdue(scrape, incident):
    with time_machine.travel(incident.due_at - dt.timedelta(minutes=1), tick=False):
        metrics = scrape()

    assert metrics["ssi_requests_overdue"] == 0


# --- The outbox ---------------------------------------------------------------------------------


def test_an_email_the_mail_server_refuses_is_counted_failed(scrape, mail_refused):
    row = make_notification()

    assert notification_deliver(notification_id=row.pk) is False
    metrics = scrape()

    assert metrics["ssi_outbox_notifications", {"status": "failed"}] == 1
    assert metrics["ssi_outbox_notifications", {"status": "pending"}] == 0


def test_the_oldest_pending_email_gives_the_backlogs_age(scrape):
    now = dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC)
    make_notification(age=dt.timedelta(minutes=7), now=now)
    make_notification(age=dt.timedelta(minutes=2), now=now)

    with time_machine.travel(now, tick=False):
        metrics = scrape()

    assert metrics["ssi_outbox_notifications", {"status": "pending"}] == 2
    assert metrics["ssi_outbox_oldest_pending_age_seconds"] == 7 * 60


def test_with_nothing_pending_the_backlog_has_no_age(scrape):
    make_notification(status="sent", sent_at=dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC))

    assert scrape()["ssi_outbox_oldest_pending_age_seconds"] == 0


def test_the_emails_sent_in_the_last_hour_are_counted(scrape):
    now = dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC)
    for minutes in (5, 59, 61):
        make_notification(
            status="sent",
            age=dt.timedelta(minutes=minutes),
            now=now,
            sent_at=now - dt.timedelta(minutes=minutes),
        )

    with time_machine.travel(now, tick=False):
        assert scrape()["ssi_outbox_sent_last_hour"] == 2


# --- Bulk uploads -------------------------------------------------------------------------------


def test_bulk_uploads_are_counted_queued_and_processing(scrape, gaining_user, device):
    data = csv_bytes(RAISE_HEADER, f"{device.device_id},")
    upload(gaining_user, BulkKind.RAISE, data)
    started = upload(gaining_user, BulkKind.RAISE, data, filename="second.csv")
    BulkUpload.objects.filter(pk=started.pk).update(status="processing")

    metrics = scrape()

    assert metrics["ssi_bulk_uploads", {"status": "queued"}] == 1
    assert metrics["ssi_bulk_uploads", {"status": "processing"}] == 1


# --- Beat jobs ----------------------------------------------------------------------------------


def test_a_beat_task_that_ran_records_its_success_and_its_gauge_shows_when(scrape):
    at = dt.datetime(2026, 4, 1, 9, 0, 5, tzinfo=dt.UTC)
    with time_machine.travel(at, tick=False):
        tasks.escalate_overdue_incidents.delay()

    run = JobRun.objects.get(name=ESCALATE)
    assert (run.last_started_at, run.last_succeeded_at, run.last_failed_at) == (at, at, None)
    metrics = scrape()
    assert metrics["ssi_beat_job_last_success_timestamp_seconds", {"task": ESCALATE}] == (
        at.timestamp()
    )
    assert metrics["ssi_beat_job_last_failure_timestamp_seconds", {"task": ESCALATE}] == 0
    assert metrics["ssi_beat_job_interval_seconds", {"task": ESCALATE}] == 300


def test_a_beat_task_that_never_ran_shows_zero(scrape):
    metrics = scrape()

    assert metrics["ssi_beat_job_last_success_timestamp_seconds", {"task": ESCALATE}] == 0


def test_a_failing_beat_task_records_its_failure_without_secrets(scrape, monkeypatch):
    def broken(**kwargs):
        raise ConnectionError("redis://:s3cret@10.0.0.5:6379/0 refused; token=abc123")

    monkeypatch.setattr(tasks, "incident_escalate_overdue", broken)
    # As in a worker: the failure is the task's outcome, not raised to whoever queued it.
    monkeypatch.setitem(app.conf, "task_eager_propagates", False)
    at = dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(at, tick=False):
        assert tasks.escalate_overdue_incidents.delay().failed()

    run = JobRun.objects.get(name=ESCALATE)
    assert (run.last_failed_at, run.last_succeeded_at) == (at, None)
    assert run.last_error.startswith("ConnectionError: redis://[redacted]@10.0.0.5")
    assert "s3cret" not in run.last_error and "abc123" not in run.last_error
    assert scrape()["ssi_beat_job_last_failure_timestamp_seconds", {"task": ESCALATE}] == (
        at.timestamp()
    )


def test_a_second_run_updates_the_same_row(scrape):
    for at in (
        dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC),
        dt.datetime(2026, 4, 1, 9, 5, tzinfo=dt.UTC),
    ):
        with time_machine.travel(at, tick=False):
            tasks.escalate_overdue_incidents.delay()

    assert list(JobRun.objects.values_list("name", "last_succeeded_at")) == [
        (ESCALATE, dt.datetime(2026, 4, 1, 9, 5, tzinfo=dt.UTC))
    ]


def test_a_task_outside_the_beat_schedule_is_not_recorded(mail_refused):
    from notifications.tasks import deliver_notification

    deliver_notification.delay(make_notification().pk)

    assert not JobRun.objects.exists()


# --- The scrape's cost --------------------------------------------------------------------------


def test_the_scrape_reads_the_database_in_two_queries_whatever_there_is(
    client, django_assert_num_queries, gaining_user, installing_supplier
):
    with django_assert_num_queries(2):
        assert client.get("/metrics").status_code == 200

    raise_requests(gaining_user, installing_supplier, 5)
    make_notification(status="failed", recipient="ops@dcc.example")
    tasks.escalate_overdue_incidents.delay()
    with django_assert_num_queries(2):
        assert client.get("/metrics").status_code == 200


def test_a_database_failure_still_answers_saying_so(scrape, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr("operations.metrics.portal_state", broken)

    metrics = scrape()

    assert metrics["ssi_state_up"] == 0
    assert "ssi_requests_open" not in metrics.names()


# --- The Celery queue ---------------------------------------------------------------------------


def test_the_queue_length_is_absent_without_a_redis_broker(scrape):
    assert "ssi_celery_queue_length" not in scrape().names()


@pytest.mark.redis
def test_the_queue_length_is_the_length_of_the_default_queue_in_redis(scrape, monkeypatch):
    queue = "ssi-test-operations-queue"
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    monkeypatch.setitem(app.conf, "broker_url", REDIS_URL)
    monkeypatch.setitem(app.conf, "task_default_queue", queue)
    client = redis.Redis.from_url(REDIS_URL)
    client.delete(queue)
    client.rpush(queue, "one", "two", "three")
    try:
        metrics = scrape()
    finally:
        client.delete(queue)
        client.close()

    assert metrics["ssi_celery_queue_length", {"queue": queue}] == 3


def test_the_queue_length_is_absent_when_redis_does_not_answer(scrape, monkeypatch, caplog):
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    monkeypatch.setitem(app.conf, "broker_url", "redis://:s3cret@127.0.0.1:1/0")

    metrics = scrape()

    assert "ssi_celery_queue_length" not in metrics.names()
    assert metrics["ssi_state_up"] == 1
    assert "s3cret" not in caplog.text
