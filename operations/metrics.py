"""The portal's Prometheus metrics: those of the web processes' requests, and the portal's
state read from the database at each scrape.

Request metrics (``RequestMetricsMiddleware``) live in each web process. With several gunicorn
workers, each writes them to files in ``PROMETHEUS_MULTIPROC_DIR`` (prometheus-client's
multiprocess mode, chosen by that environment variable before the first metric exists), and a
scrape, answered by any one worker, adds up every worker's files (``MultiProcessCollector``);
gunicorn's ``child_exit`` hook (``ssi_portal/gunicorn_conf.py``) drops the files of live gauges
of a worker that died. Without the variable (one process: the demo, the tests) they are read
from the process itself, with its process_* figures.

The portal's state (:class:`StateCollector`) is read from the database at each scrape, never
kept in a process, so it is right whatever the number of web processes or workers, and after a
restart. So is the last run of each beat job: the workers write it to the database
(``operations.signals``).

Metric names (all gauges unless said):

- ``ssi_http_requests_total{view,method,status_class}`` (counter), ``ssi_http_request_duration_
  seconds{view,method,status_class}`` (histogram), ``ssi_http_requests_in_progress``;
- ``ssi_state_up``: 1 when the scrape read the state below, 0 when the database failed it;
- ``ssi_outbox_notifications{status}`` (pending, sending, failed: failed are the deliveries
  given up on), ``ssi_outbox_oldest_pending_age_seconds`` (0 when none is pending),
  ``ssi_outbox_sent_last_hour``;
- ``ssi_requests_open{status}``, ``ssi_requests_overdue`` (awaiting an answer past the
  deadline), ``ssi_requests_breached`` (of those, escalated by the sweep);
- ``ssi_bulk_uploads{status}`` (queued, processing);
- ``ssi_beat_job_last_success_timestamp_seconds{task}``, ``ssi_beat_job_last_failure_timestamp_
  seconds{task}`` (unix time; 0 for never), ``ssi_beat_job_interval_seconds{task}``;
- ``ssi_celery_queue_length{queue}``: messages waiting in the default queue, when the broker is
  Redis (absent otherwise, or when Redis does not answer).
"""

import logging
import os

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from .selectors.jobs import beat_jobs
from .selectors.queue import celery_queue_length
from .selectors.state import portal_state

logger = logging.getLogger(__name__)

REQUEST_LABELS = ("view", "method", "status_class")
REQUESTS = Counter(
    "ssi_http_requests",
    "Requests answered, by view name, method and status class (2xx, 3xx, 4xx, 5xx).",
    REQUEST_LABELS,
)
LATENCY = Histogram(
    "ssi_http_request_duration_seconds",
    "Time to answer a request, by view name, method and status class.",
    REQUEST_LABELS,
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
IN_PROGRESS = Gauge(
    "ssi_http_requests_in_progress",
    "Requests being answered now, by all live web processes.",
    multiprocess_mode="livesum",
)


def _timestamp(value) -> float:
    return value.timestamp() if value is not None else 0.0


class StateCollector:
    """The portal's state, read from the database at collection time (two queries), and the
    Celery queue's length from Redis."""

    def collect(self):
        try:
            state = portal_state()
            jobs = beat_jobs(now=state.now)
        except Exception as exc:  # noqa: BLE001 (a scrape still answers, saying so)
            logger.warning(
                "The portal's state could not be read for /metrics: %s", type(exc).__name__
            )
            yield GaugeMetricFamily("ssi_state_up", "1 when the state was read.", value=0)
            yield from _queue_length()
            return
        yield GaugeMetricFamily("ssi_state_up", "1 when the state was read.", value=1)
        yield _labelled(
            "ssi_outbox_notifications",
            "Emails in the outbox by status (failed: given up on).",
            "status",
            state.outbox,
        )
        age = state.oldest_pending_age
        yield GaugeMetricFamily(
            "ssi_outbox_oldest_pending_age_seconds",
            "Age of the oldest email waiting to be sent (0 when none is waiting).",
            value=age.total_seconds() if age is not None else 0.0,
        )
        yield GaugeMetricFamily(
            "ssi_outbox_sent_last_hour", "Emails sent in the last hour.", value=state.sent_last_hour
        )
        yield _labelled(
            "ssi_requests_open", "Open requests by status.", "status", state.requests_open
        )
        yield GaugeMetricFamily(
            "ssi_requests_overdue",
            "Requests awaiting the installing Supplier's answer past their deadline.",
            value=state.requests_overdue,
        )
        yield GaugeMetricFamily(
            "ssi_requests_breached",
            "Overdue requests the escalation sweep has marked breached.",
            value=state.requests_breached,
        )
        yield _labelled(
            "ssi_bulk_uploads",
            "Bulk uploads not finished, by status.",
            "status",
            state.bulk_uploads,
        )
        families = {
            "success": GaugeMetricFamily(
                "ssi_beat_job_last_success_timestamp_seconds",
                "When a run of the periodic task last succeeded (unix time; 0: never).",
                labels=["task"],
            ),
            "failure": GaugeMetricFamily(
                "ssi_beat_job_last_failure_timestamp_seconds",
                "When a run of the periodic task last failed (unix time; 0: never).",
                labels=["task"],
            ),
            "interval": GaugeMetricFamily(
                "ssi_beat_job_interval_seconds",
                "How often beat queues the periodic task.",
                labels=["task"],
            ),
        }
        for job in jobs:
            families["success"].add_metric([job.task], _timestamp(job.last_succeeded_at))
            families["failure"].add_metric([job.task], _timestamp(job.last_failed_at))
            if job.interval is not None:
                families["interval"].add_metric([job.task], job.interval.total_seconds())
        yield from families.values()
        yield from _queue_length()


def _labelled(name: str, documentation: str, label: str, values: dict) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation, labels=[label])
    for key, value in values.items():
        family.add_metric([str(key)], value)
    return family


def _queue_length():
    found = celery_queue_length()
    if found is not None:
        queue, length = found
        family = GaugeMetricFamily(
            "ssi_celery_queue_length",
            "Task messages waiting in the Celery queue (Redis broker).",
            labels=["queue"],
        )
        family.add_metric([queue], length)
        yield family


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def scrape_registry() -> CollectorRegistry:
    """A registry for one scrape: every web process's request metrics and the portal's state."""
    registry = CollectorRegistry()
    path = multiprocess_dir()
    if path:
        MultiProcessCollector(registry, path=path)
    else:
        registry.register(_ThisProcess())
    registry.register(StateCollector())
    return registry


class _ThisProcess:
    """The default registry of this process (its request and process_* metrics)."""

    def collect(self):
        return REGISTRY.collect()


def exposition() -> bytes:
    return generate_latest(scrape_registry())
