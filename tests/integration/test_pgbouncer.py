"""The portal behind a real PgBouncer in transaction pooling mode (SSI_DB_PGBOUNCER=true).

The PgBouncer here hands consecutive transactions to different server connections, so
anything the portal left on one past a commit (a cursor, a prepared statement, a session
setting or lock, a temporary table) is missing in the next: the first test shows that it does.
"""

import psycopg
import pytest
from django.db import connection

from tests.integration.portal_slice import PortalSlice
from tests.support.pgbouncer import pgbouncer_server
from tests.support.served import served_portal

pytestmark = [
    pytest.mark.postgres("the portal's own database server, behind PgBouncer"),
    pytest.mark.redis,
    pytest.mark.pgbouncer,
    pytest.mark.django_db(transaction=True),
]

SERVERS = 3


@pytest.fixture(scope="module")
def pgbouncer(tmp_path_factory, django_db_setup):
    database = connection.settings_dict
    with pgbouncer_server(
        tmp_path_factory.mktemp("pgbouncer"),
        user=database["USER"] or "postgres",
        upstream_host=database["HOST"] or "127.0.0.1",
        upstream_port=int(database["PORT"] or 5432),
        min_pool_size=SERVERS,
    ) as server:
        server.warm(database["NAME"], SERVERS)
        yield server


@pytest.fixture(scope="module")
def portal(pgbouncer, tmp_path_factory, django_db_setup):
    name = connection.settings_dict["NAME"]
    seen = [pgbouncer.transactions(name)]

    def assert_routed():
        now = pgbouncer.transactions(name)
        assert now > seen[-1], "no transaction of the portal went through PgBouncer"
        seen.append(now)

    with served_portal(
        tmp_path_factory.mktemp("served"),
        database=connection.settings_dict,
        database_url=pgbouncer.url(name),
        environment={"SSI_DB_PGBOUNCER": "true"},
        assert_routed=assert_routed,
    ) as served:
        yield served


def test_the_test_pgbouncer_gives_one_clients_transactions_to_different_server_connections(
    pgbouncer,
):
    url = pgbouncer.url(connection.settings_dict["NAME"])
    with psycopg.connect(url, autocommit=True, prepare_threshold=None) as client:
        servers = {client.execute("SELECT pg_backend_pid()").fetchone()[0] for _ in range(6)}
        assert len(servers) > 1
        # What Django's .iterator() does with server-side cursors on: DECLARE ... WITH HOLD
        # in one transaction, FETCH in the next ones.
        cursor = client.cursor(name="stream", withhold=True)
        with pytest.raises(psycopg.errors.InvalidCursorName):
            cursor.execute("SELECT generate_series(1, 10000)")
            for _ in range(SERVERS + 1):
                cursor.fetchmany(100)


class TestThePortalBehindPgBouncer(PortalSlice):
    """The slice of ``portal_slice.py``, every process's database work through PgBouncer."""
