"""Fixtures shared by ``tests/e2e`` and ``tests/integration`` (each conftest imports them)."""

from contextlib import ExitStack

import pytest

from conftest import REDIS_URL

from .mail import LocalSMTPServer
from .worker import broker_pointed_at, delete_keys, new_key_prefix, running_worker


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on 127.0.0.1, and Django's default mailer pointed at it."""
    server = LocalSMTPServer()
    server.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": server.host, "port": server.port, "timeout": 5},
        }
    }
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def celery_worker(transactional_db):
    """A real Celery worker consuming from the real Redis broker, in a thread of this process.

    Tasks are queued with ``delay_on_commit``, so tests that use it must commit: it depends on
    ``transactional_db``, which also makes it stop before the database is flushed.
    """
    from ssi_portal.celery import app

    with running_worker(app, REDIS_URL) as worker:
        yield worker


@pytest.fixture
def worker_started_later(transactional_db):
    """Tasks go to the real Redis broker at once, and wait there: a real Celery worker (as
    ``celery_worker``) starts when the test calls the fixture, and takes what was published.
    Stopped, like ``celery_worker``, before the database is flushed."""
    from ssi_portal.celery import app

    prefix = new_key_prefix()
    with ExitStack() as stack:
        stack.enter_context(broker_pointed_at(app, REDIS_URL, key_prefix=prefix))

        def start():
            return stack.enter_context(
                running_worker(app, REDIS_URL, key_prefix=prefix, purge=False)
            )

        yield start
    delete_keys(REDIS_URL, prefix)
