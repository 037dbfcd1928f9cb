"""The portal through Django's psycopg connection pool (SSI_DB_POOL_MAX_SIZE), straight to
PostgreSQL: each served process keeps its pool's connections between requests and tasks."""

import pytest
from django.db import connection

from tests.integration.portal_slice import PortalSlice
from tests.support.served import served_portal
from tests.support.worker import database_url

pytestmark = [
    pytest.mark.postgres("the psycopg pool is PostgreSQL's"),
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]

# Names the served processes' connections in pg_stat_activity.
APPLICATION = "ssi-portal-pooled"


def pooled_connections() -> set[int]:
    """The server processes of the served processes' connections, idle between work."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND application_name = %s AND state = 'idle'",
            [APPLICATION],
        )
        return {pid for (pid,) in cursor.fetchall()}


@pytest.fixture(scope="module")
def portal(tmp_path_factory, django_db_setup, django_db_blocker):
    seen: list[set[int]] = []

    def assert_routed():
        with django_db_blocker.unblock():
            now = pooled_connections()
        # One pool in gunicorn's worker and one in Celery's, each kept open after its work
        # (without a pool, CONN_MAX_AGE=0 closes a connection at the end of each).
        assert len(now) >= 2, f"pooled connections idle between requests: {now}"
        if seen:
            assert now & seen[-1], "the pools opened new connections instead of keeping theirs"
        seen.append(now)

    url = f"{database_url(connection.settings_dict)}?application_name={APPLICATION}"
    with served_portal(
        tmp_path_factory.mktemp("served"),
        database=connection.settings_dict,
        database_url=url,
        environment={"SSI_DB_POOL_MAX_SIZE": "2", "SSI_DB_POOL_MIN_SIZE": "1"},
        assert_routed=assert_routed,
    ) as served:
        yield served


class TestThePortalThroughThePsycopgPool(PortalSlice):
    """The slice of ``portal_slice.py``, every served process's connections from its pool."""
