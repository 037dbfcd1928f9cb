"""The portal served as production serves it, in processes of its own: gunicorn and a Celery
worker on one route to the test database (behind PgBouncer, or through the psycopg pool), with
the real Redis broker and a real SMTP server. The test process itself reads and writes the
database directly, to set up and to check."""

from collections.abc import Callable
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from conftest import REDIS_URL

from .gunicorn import PortalClient, gunicorn_server
from .mail import LocalSMTPServer
from .waiting import wait_until
from .worker import finished_tasks, worker_process


@dataclass
class ServedPortal:
    port: int
    worker_log: Path
    smtp: LocalSMTPServer
    # Asserts that the database work since the last call took the route under test.
    assert_routed: Callable[[], None]

    def client(self) -> PortalClient:
        return PortalClient(self.port)

    def finished(self, task_name: str) -> list[str]:
        """What each run of ``task_name`` in the worker returned so far."""
        return finished_tasks(self.worker_log, task_name)


@contextmanager
def served_portal(
    directory: Path,
    *,
    database: dict,
    database_url: str,
    environment: dict[str, str],
    assert_routed: Callable[[], None],
):
    """gunicorn and a worker process on ``database_url`` with ``environment`` (the settings of
    the route: ``SSI_DB_PGBOUNCER``, ``SSI_DB_POOL_MAX_SIZE``); ``database`` is the test
    database's settings. Yields a :class:`ServedPortal`; both are stopped at the end."""
    directory.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        smtp = LocalSMTPServer()
        smtp.start()
        stack.callback(smtp.stop)
        served = {
            "DJANGO_SETTINGS_MODULE": "tests.support.worker_settings",
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": REDIS_URL,
            "SSI_TEST_SMTP_HOST": smtp.host,
            "SSI_TEST_SMTP_PORT": str(smtp.port),
            **environment,
        }
        port = stack.enter_context(gunicorn_server(database, directory / "gunicorn.log", **served))
        log = directory / "worker.log"
        worker = stack.enter_context(
            worker_process(
                broker_url=REDIS_URL,
                database=database_url,
                smtp_host=smtp.host,
                smtp_port=smtp.port,
                log=log,
                environment=environment,
            )
        )

        def ready() -> bool:
            if worker.poll() is not None:
                raise AssertionError(f"the worker exited: {log.read_text()[-2000:]}")
            return log.exists() and " ready." in log.read_text()

        wait_until(ready, timeout=60, interval=0.2, what="the worker to be ready")
        yield ServedPortal(port=port, worker_log=log, smtp=smtp, assert_routed=assert_routed)
