"""On PostgreSQL the portal's connections prepare the queries they repeat
(``ssi_portal.settings.database``): the server then neither parses nor plans them again; and
they plan no parallel query."""

import pytest
from django.db import connection

from accounts.models import Supplier

pytestmark = [pytest.mark.postgres("prepared statements"), pytest.mark.django_db]


def _prepared(fragment: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT statement FROM pg_prepared_statements WHERE statement LIKE %s",
            [f"%{fragment}%"],
        )
        return [row[0] for row in cursor.fetchall()]


def test_a_query_run_twice_on_a_connection_is_prepared_and_answers_with_each_ones_values():
    first = Supplier.objects.create(
        name="Prepared Energy", user_id="90-B3-D5-1F-30-00-00-71", mpid="PREP"
    )
    second = Supplier.objects.create(
        name="Bound Power", user_id="90-B3-D5-1F-30-00-00-72", mpid="BNDP"
    )
    marker = '"inventory_supplier"."mpid" = $1'  # the parameter bound apart from the SQL

    assert Supplier.objects.get(mpid="PREP") == first
    assert _prepared(marker) == []
    assert Supplier.objects.get(mpid="BNDP") == second

    [statement] = _prepared(marker)
    assert "PREP" not in statement and "BNDP" not in statement
    # Run as prepared from then on, each time with its own value.
    assert Supplier.objects.get(mpid="PREP") == first
    assert Supplier.objects.filter(mpid="NONE").first() is None


def test_a_celery_worker_prepares_nothing_from_its_start_on():
    from celery import signals
    from django.db import connections

    import ssi_portal.celery  # noqa: F401 (connects the worker's start)

    options = connections.settings["default"]["OPTIONS"]
    saved = dict(options)
    assert Supplier.objects.exists() is False  # the test's connection is open
    try:
        signals.celeryd_init.send(sender="worker@test", instance=None, conf=None, options={})
        marker = '"inventory_supplier"."name" = $1'
        for name in ("One", "Two", "Three"):
            assert not Supplier.objects.filter(name=name).exists()
        assert _prepared(marker) == []
    finally:
        options.clear()
        options.update(saved)
        connections["default"].connection.prepare_threshold = saved["prepare_threshold"]


def test_the_portals_connections_plan_no_parallel_query():
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_parallel_workers_per_gather")
        assert cursor.fetchone() == ("0",)
        # Every plan that may go parallel is run under a Gather, whatever it costs (the
        # setting's name until PostgreSQL 15, and since).
        cursor.execute(
            "SELECT set_config(name, 'on', true) FROM pg_settings "
            "WHERE name IN ('force_parallel_mode', 'debug_parallel_query')"
        )
        assert cursor.fetchall() == [("on",)]
        cursor.execute("EXPLAIN SELECT count(*) FROM inventory_device")
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("SELECT set_config('max_parallel_workers_per_gather', '2', true)")
        cursor.execute("EXPLAIN SELECT count(*) FROM inventory_device")
        allowed = "\n".join(row[0] for row in cursor.fetchall())

    assert "Gather" not in plan
    assert "Gather" in allowed  # what the server's default allows
