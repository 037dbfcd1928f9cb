"""Loading a delta against a big table (PostgreSQL): whether a staged file is a delta, and
the planner held to index lookups while it is compared."""


def table_rows_estimate(cursor, table: str) -> float | None:
    """The planner's count of ``table``'s rows (``pg_class.reltuples``, as of its last
    ANALYZE, VACUUM or index build), or None if it has never been counted."""
    cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [table])
    (rows,) = cursor.fetchone()
    return rows if rows >= 0 else None


def is_delta(cursor, table: str, rows: int, *, share: float) -> bool:
    """Whether ``rows`` staged rows are at most ``share`` of ``table``'s stored rows: a delta
    against the table rather than a full extract of it (PostgreSQL)."""
    stored = table_rows_estimate(cursor, table)
    return stored is not None and rows <= stored * share


class IndexLookups:
    """Within the block, the planner joins by nested loops (each outer row looks its partner
    up through an index) rather than by hash or merge joins, and compiles no plan to machine
    code (PostgreSQL).

    For a few thousand staged rows against a table of millions: the planner, costing every
    index probe as a random read from disk, would rather read the whole table (a hash join)
    or walk a whole index in order (a merge join), where the table's pages are in memory and
    one probe per staged row costs a fraction of that. The same costing puts such a plan over
    the JIT compiler's thresholds, more so on staged rows never analysed: compiling a compare
    of 100,000 rows took 9 ms a statement, and 160 ms with inlining and optimisation, which
    a plan costed over 500,000 gets, for a statement that ran in half a second. The settings
    are the transaction's (``set_config(…, true)``) and put back on leaving the block; if
    the block fails, the rollback of its transaction or savepoint puts them back.
    """

    _SETTINGS = ("enable_hashjoin", "enable_mergejoin", "jit")

    def __init__(self, cursor, *, when: bool = True):
        self._cursor = cursor
        self._when = when

    def __enter__(self):
        if self._when:
            cursor = self._cursor
            cursor.execute(
                "SELECT " + ", ".join(f"current_setting('{name}')" for name in self._SETTINGS)
            )
            self._before = cursor.fetchone()
            off = ", ".join(f"set_config('{name}', 'off', true)" for name in self._SETTINGS)
            cursor.execute(f"SELECT {off}")
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        if self._when and exc_type is None:
            self._cursor.execute(
                "SELECT " + ", ".join(f"set_config('{name}', %s, true)" for name in self._SETTINGS),
                list(self._before),
            )
