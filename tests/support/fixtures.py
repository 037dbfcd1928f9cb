"""Fixtures shared by ``tests/e2e`` and ``tests/integration`` (each conftest imports them)."""

import pytest

from conftest import REDIS_URL

from .mail import LocalSMTPServer
from .worker import running_worker


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
