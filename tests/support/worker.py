"""A real Celery worker on a real Redis broker: in a thread of this process, or as a process.

In-thread, the worker sees the same Django settings and the same test database as the test;
the tasks reach it through Redis exactly as in production. A test that must kill the worker
runs it as a separate process instead (``worker_process``), on PostgreSQL, which both
processes can reach.
"""

import os
import subprocess
import sys
import threading
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import kombu.pools
import redis
from celery import signals
from celery.contrib.testing.worker import start_worker

from ssi_portal.lib.broker import broker_transport

from .waiting import wait_until

# Conf keys this module changes; each is put back when the worker stops.
_CHANGED = (
    "task_always_eager",
    "broker_url",
    "broker_transport",
    "broker_transport_options",
    "worker_hijack_root_logger",
    "worker_enable_remote_control",
)


def _drop_connection_pools(app) -> None:
    """Forget pooled broker connections so the next task is sent with the current conf.

    kombu keeps its pools in process-wide registries keyed by broker URL: a pool closed but
    left there would be handed to the next user of the same URL (eager mode's ``memory://``
    included) and fail with "Acquire on closed pool". ``reset`` closes and forgets them all.
    """
    kombu.pools.reset()
    app._pool = None
    if "amqp" in app.__dict__:
        app.amqp._producer_pool = None


def delete_keys(broker_url: str, prefix: str) -> None:
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
def broker_pointed_at(app, broker_url: str, *, key_prefix: str | None = None):
    """Send ``app``'s tasks through ``broker_url`` (eager mode off); restore the app after.

    With ``key_prefix`` every key goes under that prefix (kombu's ``global_keyprefix``), so two
    test runs sharing one Redis database never take each other's tasks.
    """
    saved = {key: app.conf[key] for key in _CHANGED}
    options = {**(saved["broker_transport_options"] or {}), "polling_interval": 0.1}
    if key_prefix:
        options["global_keyprefix"] = key_prefix
    app.conf.update(
        task_always_eager=False,
        broker_url=broker_url,
        # The transport the app chooses for that URL when configured (ssi_portal/celery.py).
        broker_transport=broker_transport(broker_url),
        # A short BRPOP timeout lets the worker notice the stop request in 0.1 s, not 1 s.
        broker_transport_options=options,
        # Leave the test run's logging alone, and skip the remote-control (pidbox) consumer.
        worker_hijack_root_logger=False,
        worker_enable_remote_control=False,
    )
    _drop_connection_pools(app)
    try:
        yield
    finally:
        _drop_connection_pools(app)
        app.conf.update(saved)


def new_key_prefix() -> str:
    """A Redis key prefix of a run's own."""
    return f"ssi-test-{uuid.uuid4().hex[:12]}:"


@contextmanager
def running_worker(app, broker_url: str, *, key_prefix: str | None = None, purge: bool = True):
    """Run ``app``'s worker against ``broker_url`` with eager mode off; restore the app after.

    Every key goes under a prefix of its own unless one is given, so two test runs sharing one
    Redis database never take each other's tasks. With ``purge=False`` the worker takes the
    tasks already waiting under that prefix (published before it started).
    """
    prefix = key_prefix or new_key_prefix()
    recorder = TaskRecorder()
    with broker_pointed_at(app, broker_url, key_prefix=prefix):
        signals.task_postrun.connect(recorder, weak=False)
        try:
            if purge:
                app.control.purge()
            with start_worker(
                app,
                pool="solo",
                perform_ping_check=False,
                loglevel="WARNING",
                shutdown_timeout=15,
            ) as controller:
                yield RunningWorker(controller, recorder, prefix)
        finally:
            signals.task_postrun.disconnect(recorder)
            app.control.purge()
            delete_keys(broker_url, prefix)


def published_tasks(app) -> list[tuple[str, list, dict]]:
    """Take the task messages waiting in ``app``'s default queue: (task name, args, kwargs)
    each, in the order published. For a broker no worker consumes (``memory://``)."""
    taken = []
    with app.connection_for_read() as connection:
        queue = connection.SimpleQueue(app.conf.task_default_queue, no_ack=True)
        try:
            while True:
                try:
                    message = queue.get_nowait()
                except queue.Empty:
                    return taken
                args, kwargs, _ = message.decode()
                taken.append((message.headers["task"], args, kwargs))
        finally:
            queue.close()


BASE_DIR = Path(__file__).resolve().parent.parent.parent


def database_url(settings_dict: dict) -> str:
    """A DATABASE_URL (django-environ) naming the database of ``settings_dict``."""
    user = settings_dict.get("USER") or ""
    password = settings_dict.get("PASSWORD") or ""
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{credentials}{host}:{port}/{settings_dict['NAME']}"


@contextmanager
def worker_process(
    *,
    broker_url: str,
    database: str,
    smtp_host: str,
    smtp_port: int,
    log: Path,
    visibility_timeout: float | None = None,
    environment: dict[str, str] | None = None,
):
    """Start ``celery worker`` as a child process (solo pool, like one production process).

    Yields the ``Popen``; a test may ``kill()`` it (SIGKILL) to stop it mid-task. Stopped with
    SIGKILL at the end either way: nothing it leaves matters to the test any more. With
    ``visibility_timeout`` the worker takes back, as it starts, every message another worker
    left unacknowledged for longer than that (a killed worker's). ``environment`` goes on top.
    """
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.support.worker_settings",
        "DATABASE_URL": database,
        "CELERY_BROKER_URL": broker_url,
        "SSI_TEST_SMTP_HOST": smtp_host,
        "SSI_TEST_SMTP_PORT": str(smtp_port),
        "PYTHONPATH": str(BASE_DIR),
        "SSI_TEST_VISIBILITY_TIMEOUT": str(visibility_timeout or ""),
        **(environment or {}),
    }
    with log.open("ab") as out:
        process = subprocess.Popen(  # noqa: S603 (this interpreter and fixed arguments)
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "ssi_portal",
                "worker",
                "-P",
                "solo",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel",
                "INFO",
                "--hostname",
                f"test-{uuid.uuid4().hex[:8]}@%h",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def finished_tasks(log: Path, task_name: str) -> list[str]:
    """What each run of ``task_name`` returned, from a worker process's log (INFO level)."""
    marker = f"Task {task_name}["
    return [
        line.rsplit(": ", 1)[1].strip()
        for line in log.read_text().splitlines()
        if marker in line and "] succeeded in " in line
    ]
