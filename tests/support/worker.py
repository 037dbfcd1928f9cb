"""A real Celery worker, in a thread of this process, on the real Redis broker.

In-thread (not a separate process) so the worker sees the same Django settings and the same
test database as the test; the tasks reach it through Redis exactly as in production.
"""

import threading
import uuid
from contextlib import contextmanager
from dataclasses import dataclass

import redis
from celery import signals
from celery.contrib.testing.worker import start_worker

from .waiting import wait_until

# Conf keys this module changes; each is put back when the worker stops.
_CHANGED = (
    "task_always_eager",
    "broker_url",
    "broker_transport_options",
    "worker_hijack_root_logger",
    "worker_enable_remote_control",
)


def _drop_connection_pools(app) -> None:
    """Forget pooled broker connections so the next task is sent with the current conf."""
    if app._pool is not None:
        app._pool.force_close_all()
    app._pool = None
    if "amqp" in app.__dict__:
        app.amqp._producer_pool = None


def _delete_keys(broker_url: str, prefix: str) -> None:
    """Remove what the run left in Redis (e.g. a retry message given back at shutdown)."""
    client = redis.Redis.from_url(broker_url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


class TaskRecorder:
    """Records every task the worker finished: (task name, args, return value, state)."""

    def __init__(self):
        self._lock = threading.Lock()
        self.finished: list[tuple[str, tuple, object, str]] = []

    def __call__(self, sender=None, args=None, retval=None, state=None, **kwargs):
        with self._lock:
            self.finished.append((sender.name, tuple(args or ()), retval, state))

    def of(self, task_name: str) -> list[tuple[tuple, object, str]]:
        with self._lock:
            return [(a, r, s) for name, a, r, s in self.finished if name == task_name]

    def wait_for(self, task_name: str, count: int, *, timeout: float = 20.0):
        return wait_until(
            lambda: len(self.of(task_name)) >= count and self.of(task_name),
            timeout=timeout,
            what=f"{count} runs of {task_name}",
        )


@dataclass(frozen=True)
class RunningWorker:
    controller: object
    tasks: TaskRecorder
    key_prefix: str


@contextmanager
def running_worker(app, broker_url: str):
    """Run ``app``'s worker against ``broker_url`` with eager mode off; restore the app after.

    Every key goes under a prefix of its own (kombu's ``global_keyprefix``), so two test runs
    sharing one Redis database never take each other's tasks.
    """
    saved = {key: app.conf[key] for key in _CHANGED}
    prefix = f"ssi-test-{uuid.uuid4().hex[:12]}:"
    app.conf.update(
        task_always_eager=False,
        broker_url=broker_url,
        # A short BRPOP timeout lets the worker notice the stop request in 0.1 s, not 1 s.
        broker_transport_options={
            **(saved["broker_transport_options"] or {}),
            "global_keyprefix": prefix,
            "polling_interval": 0.1,
        },
        # Leave the test run's logging alone, and skip the remote-control (pidbox) consumer.
        worker_hijack_root_logger=False,
        worker_enable_remote_control=False,
    )
    _drop_connection_pools(app)
    recorder = TaskRecorder()
    signals.task_postrun.connect(recorder, weak=False)
    try:
        app.control.purge()
        with start_worker(
            app, pool="solo", perform_ping_check=False, loglevel="WARNING", shutdown_timeout=15
        ) as controller:
            yield RunningWorker(controller, recorder, prefix)
    finally:
        signals.task_postrun.disconnect(recorder)
        try:
            app.control.purge()
            _delete_keys(broker_url, prefix)
        finally:
            _drop_connection_pools(app)
            app.conf.update(saved)
