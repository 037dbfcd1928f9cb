"""The SQL side of the registration load: the staging table the checked rows go to, and the
set-based statements that write them (see :mod:`.load` for the whole)."""

import datetime as dt
from itertools import batched

from django.db import connection
from psycopg import sql

from ssi_portal.lib.bulk_sql import IndexesSetAside, lock_if_empty
from ssi_portal.lib.delta_sql import IndexLookups, is_delta

from ...models import Registration

# A first load smaller than this goes the ordinary way (cheap at that size, no table lock).
BULK_MIN_ROWS = 100_000
# A file of at most this share of the stored registrations is compared through the unique
# index (PostgreSQL).
DELTA_SHARE = 0.2

_TABLE = Registration._meta.db_table


def staging_create(cursor) -> None:
    cursor.execute("DROP TABLE IF EXISTS reg_staging")
    on_commit = " ON COMMIT DROP" if connection.vendor == "postgresql" else ""
    cursor.execute(
        f"""
        CREATE TEMPORARY TABLE reg_staging (
            line integer NOT NULL,
            mpxn varchar(13) NOT NULL,
            supplier_id bigint NOT NULL,
            effective_from date NOT NULL,
            effective_to date
        ){on_commit}
        """
    )


class StagingWriter:
    """Passes checked rows to the staging table: ``COPY`` on PostgreSQL (the server stores
    them on the other core while Python checks the next chunk), ``executemany`` elsewhere."""

    def __init__(self, cursor):
        self._cursor = cursor
        self._copy_block = self._copy = None
        self.rows = 0

    def __enter__(self):
        if connection.vendor == "postgresql":
            self._copy_block = self._cursor.copy(
                "COPY reg_staging (line, mpxn, supplier_id, effective_from, effective_to) "
                "FROM STDIN (FORMAT csv)"
            )
            self._copy = self._copy_block.__enter__()
        return self

    def write(self, chunk: list[tuple]) -> None:
        self.rows += len(chunk)
        if self._copy is not None:
            # Every value was checked: digits, ISO dates and integers need no quoting.
            self._copy.write(
                "".join(
                    f"{line},{mpxn},{supplier},{start},{end or ''}\n"
                    for line, mpxn, supplier, start, end in chunk
                )
            )
        else:
            self._cursor.executemany(
                "INSERT INTO reg_staging (line, mpxn, supplier_id, effective_from, "
                "effective_to) VALUES (%s, %s, %s, %s, %s)",
                chunk,
            )

    def __exit__(self, *exc_info) -> None:
        if self._copy_block is not None:
            # With an exception, psycopg aborts the COPY; the load then rolls back.
            block, self._copy_block, self._copy = self._copy_block, None, None
            block.__exit__(*exc_info)
        if exc_info[0] is None and connection.vendor == "postgresql":
            # Temporary tables are never analysed by autovacuum; the joins need the counts.
            self._cursor.execute("ANALYZE reg_staging")


def staged_rows_apply(cursor, staged: int, *, report, reject, now: dt.datetime) -> None:
    """Reject the staged rows that repeat an earlier one, then write the rest: into an empty
    table at once, otherwise only the new and changed registrations. Counts go to ``report``;
    ``reject(line, mpxn, reason)`` takes each repeat."""
    # A row repeating an earlier row's registration (same MPxN and start) is rejected: the
    # file contradicts itself, and the first row is the one that loads.
    cursor.execute(
        """
        SELECT s.line, s.mpxn, f.first_line FROM reg_staging s
        JOIN (SELECT mpxn, effective_from, MIN(line) AS first_line FROM reg_staging
              GROUP BY mpxn, effective_from HAVING COUNT(*) > 1) f
          ON f.mpxn = s.mpxn AND f.effective_from = s.effective_from
        WHERE s.line > f.first_line ORDER BY s.line
        """
    )
    repeats = cursor.fetchall()
    for line, mpxn, first in repeats:
        reject(
            line,
            mpxn,
            f"repeats the registration of line {first} (same mpxn and effective_from); "
            f"only line {first} was loaded",
        )
    for chunk in batched([line for line, _, _ in repeats], 1000):
        placeholders = ", ".join(["%s"] * len(chunk))
        cursor.execute(f"DELETE FROM reg_staging WHERE line IN ({placeholders})", chunk)  # noqa: S608 (placeholders only)
    staged -= len(repeats)
    if staged >= BULK_MIN_ROWS and _insert_into_empty_table(cursor, now):
        report.created = staged
        cursor.execute("DROP TABLE reg_staging")
        return
    # Only the rows that are new or differ go on to the upsert: comparing in a join first
    # leaves unchanged registrations untouched (an upsert would lock every row it compares,
    # dirtying every page of the table on a re-run).
    postgresql = connection.vendor == "postgresql"
    on_commit = " ON COMMIT DROP" if postgresql else ""
    # A delta (a small share of the table) looks each row's registration up through the
    # unique index; a full extract is compared in one pass over the table (the planner's
    # choice).
    delta = postgresql and is_delta(cursor, _TABLE, staged, share=DELTA_SHARE)
    with IndexLookups(cursor, when=delta):
        cursor.execute(
            f"""
            CREATE TEMPORARY TABLE reg_changed{on_commit} AS
            SELECT s.mpxn, s.supplier_id, s.effective_from, s.effective_to, r.id AS existing
            FROM reg_staging s LEFT JOIN {_TABLE} r
              ON r.mpxn = s.mpxn AND r.effective_from = s.effective_from
            WHERE r.id IS NULL OR r.supplier_id <> s.supplier_id
               OR r.effective_to IS DISTINCT FROM s.effective_to
            """  # noqa: S608 (the table name is the model's, not input)
        )
    cursor.execute("SELECT COUNT(*) - COUNT(existing), COUNT(existing) FROM reg_changed")
    report.created, report.updated = cursor.fetchone()
    report.unchanged = staged - report.created - report.updated
    # ``WHERE true``: SQLite's parser needs it between a SELECT and ON CONFLICT.
    cursor.execute(
        f"""
        INSERT INTO {_TABLE} (mpxn, supplier_id, effective_from, effective_to, updated_at)
        SELECT mpxn, supplier_id, effective_from, effective_to, %s FROM reg_changed
        WHERE true ORDER BY mpxn, effective_from
        ON CONFLICT (mpxn, effective_from) DO UPDATE SET
            supplier_id = excluded.supplier_id,
            effective_to = excluded.effective_to,
            updated_at = excluded.updated_at
        """,  # noqa: S608 (the table name is the model's, not input)
        [connection.ops.adapt_datetimefield_value(now)],
    )
    cursor.execute("DROP TABLE reg_changed")
    cursor.execute("DROP TABLE reg_staging")


def _insert_into_empty_table(cursor, now: dt.datetime) -> bool:
    """The first load of a national extract, into an empty table (PostgreSQL only): insert
    with the table's constraints and indexes set aside, then rebuild them (with them in place,
    the foreign key alone costs seconds of checks per million rows). It holds an ACCESS
    EXCLUSIVE lock until commit, which only an empty table can afford. Returns False, having
    done nothing, when the table is not empty or is in use."""
    if connection.vendor != "postgresql" or not lock_if_empty(cursor, _TABLE):
        return False
    set_aside = IndexesSetAside(cursor, _TABLE)
    cursor.execute(
        sql.SQL(
            "INSERT INTO {} (mpxn, supplier_id, effective_from, effective_to, updated_at) "
            "SELECT mpxn, supplier_id, effective_from, effective_to, %s FROM reg_staging "
            "ORDER BY mpxn, effective_from"
        ).format(sql.Identifier(_TABLE)),
        [now],
    )
    set_aside.restore(cursor)
    return True
