"""Health for load balancers and orchestrators.

``/healthz`` says the process answers (no database, no session: a liveness probe).
``/readyz`` says it can serve: the database answers, every migration is applied, the broker
takes connections (unless tasks run in-process, as in the embedded demo) and the install-code
keys load. Neither needs a login, and neither reveals configuration: a failed check is named,
never explained (the reason is logged, by its exception's class only, since a broker's error can
hold its URL).
"""

import logging

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.loader import MigrationLoader
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


def _database() -> str:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")
    return "ok"


def _migrations() -> str:
    loader = MigrationLoader(connections[DEFAULT_DB_ALIAS], replace_migrations=True)
    missing = set(loader.graph.nodes) - set(loader.applied_migrations)
    if missing:
        raise RuntimeError(f"{len(missing)} migration(s) not applied")
    return "ok"


def _broker() -> str:
    from ssi_portal.celery import app

    if app.conf.task_always_eager:
        return "in-process"
    with app.connection_for_write() as connection:
        # One attempt, bounded by the broker's connection timeout: a probe must answer fast.
        connection.ensure_connection(
            max_retries=1, interval_start=0, timeout=app.conf.broker_connection_timeout
        )
    return "ok"


def _install_code_keys() -> str:
    from ssi_portal.lib.crypto import key_ring

    key_ring()
    return "ok"


CHECKS = {
    "database": _database,
    "migrations": _migrations,
    "broker": _broker,
    "install_code_keys": _install_code_keys,
}


@never_cache
@require_GET
def healthz(request):
    return JsonResponse({"status": "ok"})


def readiness() -> dict[str, str]:
    """Each check's answer: ``ok`` (or ``in-process`` for the broker), or ``failed``."""
    results = {}
    for name, check in CHECKS.items():
        try:
            results[name] = check()
        except Exception as exc:  # noqa: BLE001 (any failure means not ready)
            logger.warning("Readiness check %s failed: %s", name, type(exc).__name__)
            results[name] = "failed"
    return results


@never_cache
@require_GET
def readyz(request):
    results = readiness()
    ready = "failed" not in results.values()
    return JsonResponse(
        {"status": "ready" if ready else "not ready", "checks": results},
        status=200 if ready else 503,
    )
