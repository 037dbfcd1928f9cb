"""``IndexLookups`` (PostgreSQL): within the block the planner joins by index lookups and
compiles nothing to machine code; on leaving it, the settings are what they were."""

import json

import pytest
from django.db import connection

from ssi_portal.lib.delta_sql import IndexLookups

pytestmark = [pytest.mark.django_db, pytest.mark.postgres("the planner's settings")]

SETTINGS = ("enable_hashjoin", "enable_mergejoin", "jit")


def settings(cursor) -> tuple:
    cursor.execute("SELECT " + ", ".join(f"current_setting('{name}')" for name in SETTINGS))
    return cursor.fetchone()


def plan(cursor, query: str) -> dict:
    cursor.execute(f"EXPLAIN (FORMAT JSON) {query}")
    (document,) = cursor.fetchone()
    return (json.loads(document) if isinstance(document, str) else document)[0]


# Costed far over the JIT thresholds (each probe of the index a read from disk), as a delta
# of 100,000 rows against a table of millions is.
COSTLY_JOIN = (
    "SELECT count(*) FROM generate_series(1, 200000) s(n) JOIN inventory_device d ON d.id = s.n"
)


def test_within_the_block_joins_are_lookups_and_nothing_is_compiled():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('jit', 'on', true), set_config('jit_above_cost', '1000', true)"
        )
        if not _jit_available(cursor):
            pytest.skip("this PostgreSQL server was built without JIT compilation (LLVM)")
        assert "JIT" in plan(cursor, COSTLY_JOIN)  # outside the block, it would compile

        with IndexLookups(cursor):
            assert settings(cursor) == ("off", "off", "off")
            inside = plan(cursor, COSTLY_JOIN)

        assert settings(cursor) == ("on", "on", "on")
    assert "JIT" not in inside
    assert "Hash" not in json.dumps(inside)
    assert "Merge" not in json.dumps(inside)


def test_the_settings_before_the_block_come_back_after_it():
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('jit', 'off', true)")
        with IndexLookups(cursor):
            pass
        assert settings(cursor) == ("on", "on", "off")


def test_when_false_changes_nothing():
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('jit', 'on', true)")
        with IndexLookups(cursor, when=False):
            assert settings(cursor) == ("on", "on", "on")
        assert settings(cursor) == ("on", "on", "on")


def _jit_available(cursor) -> bool:
    cursor.execute("SELECT pg_jit_available()")
    return cursor.fetchone()[0]
