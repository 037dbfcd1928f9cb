"""The PostgreSQL writer of the SMI load: ``COPY``, then set-based SQL.

Rows stream to the server with ``COPY … FROM STDIN`` while Python is still checking the file:
the server parses and stores them on the other core. Rows the fast path took go as written
in the file, but for the Supplier: its User ID is replaced by its pk on the way (the few
Suppliers the rows were checked against are in memory), on every load.

Into a table that holds Devices (``copy``), the rows go to a temporary staging table, then:

1. ``smi_changed`` ← the staged rows that are new or differ from the stored Device, with the
   stored pk, place (``ctid``) and SMI status. A full extract is compared in one pass over
   the table (a hash join); a delta (at most ``DELTA_SHARE`` of the stored rows) looks each row
   up through the unique index instead, where the planner, costing each probe as a read from
   disk, would still read the whole table or walk its whole index. A delta's staged rows are
   not analysed: the plan is held to those lookups whatever their statistics.
   Rows that match are never touched — not even locked, as ``INSERT … ON CONFLICT DO UPDATE …
   WHERE`` would lock every row it compares, dirtying every page of the table on a re-run.
2. The stored Devices that differ are updated by primary key in the order of their pages:
   each page is visited once, and a change of status, date or model (no index holds them) is
   written beside the row on its own page, which the table's fillfactor leaves room for
   (``inventory/migrations/0013``), without an entry in any of its six indexes.
3. One ``INSERT … SELECT … ON CONFLICT (device_id) DO UPDATE … WHERE … IS DISTINCT FROM …``
   of the new Devices, in Device ID order (neighbouring index pages); one another load
   inserted meanwhile is updated instead. ``RETURNING (xmax = 0)`` tells inserts from updates.
4. The status changes are read from ``smi_changed`` (old status beside new).

Into an empty table (``copy-initial``, the first load of a national extract): inserting into
a table with its five B-trees and foreign key in place runs at ~40,000 rows/s here (random
inserts into every index, a foreign-key check per row). So, as PostgreSQL's "Populating a
Database" advises, the load drops the secondary indexes and constraints, copies straight into
the table, and rebuilds them (~2,000,000 rows in 7 s). It holds an ACCESS EXCLUSIVE lock on the
table until commit, which only an empty table can afford; DDL is transactional, so a refused
file or a crash restores every index.
"""

import csv
import datetime as dt
import io

from django.db import connection
from django.db.models import DateField
from django.utils import timezone
from psycopg import sql

from ssi_portal.lib.bulk_sql import IndexesSetAside, lock_if_empty
from ssi_portal.lib.delta_sql import IndexLookups, is_delta

from ...models import Device
from .report import SmiLoadReport
from .rows import DEVICE_FIELDS, FIELD_OF_COLUMN, SUPPLIER_COLUMN

# An initial load smaller than this goes through the upsert (cheap at that size, no lock).
BULK_MIN_ROWS = 100_000
# A file of at most this share of the stored Devices is compared through the unique index.
DELTA_SHARE = 0.2

_TABLE = Device._meta.db_table
# The Device columns a load stages, writes and compares (``updated_at`` moves only when one
# changes); the Supplier is staged as its pk.
_DATA = list(DEVICE_FIELDS)
# Empty cells of these columns are empty strings; of the others, NULL.
_NOT_NULL = [name for name in _DATA if not Device._meta.get_field(name).null]


def _staging_type(name: str) -> str:
    field = Device._meta.get_field(name)
    kind = "bigint" if field.is_relation else "date" if isinstance(field, DateField) else "text"
    return f"{name} {kind}{' NOT NULL' if name in _NOT_NULL else ''}"


# The staging table: the columns typed as the file's text is read.
_STAGING_COLUMNS = [_staging_type(name) for name in _DATA]


def _ident(*names: str) -> sql.Composed:
    return sql.SQL(", ").join(map(sql.Identifier, names))


def _row(alias: str, names: list[str]) -> sql.Composed:
    return sql.SQL("ROW({})").format(
        sql.SQL(", ").join(sql.Identifier(alias, name) for name in names)
    )


class CopyWriter:
    """Receives the checked rows of one load; writes the last of them on :meth:`finish`.

    Runs inside the load's transaction; its temporary tables go at the end (``ON COMMIT
    DROP`` too, for a load that fails).
    """

    def __init__(
        self,
        *,
        columns: list[str],
        suppliers: dict[str, int],
        report: SmiLoadReport,
        expected_rows: int,
    ):
        self._columns = columns  # the file's order, in which the fast path passes rows on
        self._supplier_pks = {user_id: str(pk) for user_id, pk in suppliers.items()}
        self._user_at = columns.index(SUPPLIER_COLUMN)
        self._end = ""  # what each line gains at its end: ``updated_at`` on a first load
        self._report = report
        self._expected_rows = expected_rows
        self._staged = 0
        self._copy_block = None
        self._copy = None

    def __enter__(self):
        self._cursor = connection.cursor()
        try:
            self._initial = self._expected_rows >= BULK_MIN_ROWS and self._table_is_empty()
            self._copy_block = self._cursor.copy(
                self._start_initial() if self._initial else self._start_staging()
            )
            self._copy = self._copy_block.__enter__()
        except BaseException:
            self._cursor.close()
            raise
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        try:
            if self._copy is not None:
                # With an exception, psycopg aborts the COPY; the load then rolls back.
                self._end_copy(exc_type, exc, traceback)
        finally:
            self._cursor.close()

    def _end_copy(self, *exc_info) -> None:
        block, self._copy = self._copy_block, None
        block.__exit__(*exc_info)

    def write(self, lines: list[str], devices: list[Device]) -> None:
        """``lines``: rows as written in the file (canonical, unquoted); ``devices``: rows the
        full check rebuilt, sent as CSV in the same column order."""
        lines = self._with_supplier_pk(lines)
        if devices:
            out = io.StringIO()
            csv.writer(out, lineterminator="\n").writerows(map(self._csv_row, devices))
            self._copy.write(out.getvalue())
        if lines:
            self._copy.write("\n".join(lines) + "\n")
        self._staged += len(lines) + len(devices)

    def _with_supplier_pk(self, lines: list[str]) -> list[str]:
        """The lines with the Supplier's pk in place of its User ID, and ``updated_at`` at
        the end of each on a first load."""
        pks, end = self._supplier_pks, self._end
        if self._user_at == len(self._columns) - 1:
            # The User ID closes the line (the DCC's column order): 23 characters, or none.
            rewritten = []
            for line in lines:
                pk = pks.get(line[-23:])
                rewritten.append(line[:-23] + pk + end if pk else line + end)
            return rewritten
        rewritten = []
        for line in lines:
            cells = line.split(",")
            cells[self._user_at] = pks.get(cells[self._user_at], "")
            rewritten.append(",".join(cells) + end)
        return rewritten

    def _csv_row(self, device: Device) -> list[str]:
        row = []
        for name in self._columns:
            if name == SUPPLIER_COLUMN:
                supplier = device.installing_supplier_id
                row.append("" if supplier is None else str(supplier))
                continue
            value = getattr(device, name)
            row.append(
                "" if value is None else value.isoformat() if isinstance(value, dt.date) else value
            )
        return [*row, self._now] if self._initial else row

    def finish(self) -> None:
        self._end_copy(None, None, None)
        if self._initial:
            self._finish_initial()
        else:
            self._finish_staging()

    # --- Loading into a table that holds Devices ----------------------------------------------

    def _start_staging(self) -> sql.Composed:
        cursor = self._cursor
        cursor.execute("DROP TABLE IF EXISTS pg_temp.smi_staging, pg_temp.smi_changed")
        cursor.execute(
            sql.SQL("CREATE TEMP TABLE smi_staging ({}) ON COMMIT DROP").format(
                sql.SQL(", ").join(map(sql.SQL, _STAGING_COLUMNS))
            )
        )
        return sql.SQL("COPY smi_staging ({}) FROM STDIN (FORMAT csv, FORCE_NOT_NULL ({}))").format(
            _ident(*(FIELD_OF_COLUMN[name] for name in self._columns)), _ident(*_NOT_NULL)
        )

    def _finish_staging(self) -> None:
        cursor, report = self._cursor, self._report
        report.method = "copy"
        table = sql.Identifier(_TABLE)
        # A delta (a small share of the table) looks each row's Device up through the unique
        # index; a full extract is compared in one pass over the table (the planner's choice,
        # on the staged rows' statistics: autovacuum never analyses a temporary table).
        delta = is_delta(cursor, _TABLE, self._staged, share=DELTA_SHARE)
        if not delta:
            cursor.execute("ANALYZE smi_staging")
        with IndexLookups(cursor, when=delta):
            cursor.execute(
                sql.SQL(
                    """
                    CREATE TEMP TABLE smi_changed ON COMMIT DROP AS
                    SELECT {staged}, d.id AS existing_pk, d.ctid AS existing_at,
                           d.smi_status AS old_status
                    FROM smi_staging s LEFT JOIN {table} d ON d.device_id = s.device_id
                    WHERE d.id IS NULL OR {stored} IS DISTINCT FROM {staged_row}
                    """
                ).format(
                    staged=sql.SQL(", ").join(sql.Identifier("s", name) for name in _DATA),
                    stored=_row("d", _DATA),
                    staged_row=_row("s", _DATA),
                    table=table,
                )
            )
            changed = cursor.rowcount
        now = timezone.now()
        # The stored Devices that differ: updated by primary key in the order of their pages
        # (each page visited once; one lock order for two concurrent loads of one snapshot).
        # The WHERE is checked again on a row another load changed meanwhile.
        with IndexLookups(cursor, when=is_delta(cursor, _TABLE, changed, share=DELTA_SHARE)):
            cursor.execute(
                sql.SQL(
                    """
                    UPDATE {table} AS d SET {assign}, updated_at = %s
                    FROM (SELECT * FROM smi_changed WHERE existing_pk IS NOT NULL
                          ORDER BY existing_at) AS c
                    WHERE d.id = c.existing_pk AND {old_row} IS DISTINCT FROM {new_row}
                    """
                ).format(
                    table=table,
                    assign=sql.SQL(", ").join(
                        sql.SQL("{0} = c.{0}").format(sql.Identifier(name)) for name in _DATA
                    ),
                    old_row=_row("d", _DATA),
                    new_row=_row("c", _DATA),
                ),
                [now],
            )
            report.updated = cursor.rowcount
        # New Devices, in Device ID order (neighbouring index pages). One that another load
        # inserted meanwhile is updated instead; ``RETURNING (xmax = 0)`` tells the two apart.
        cursor.execute(
            sql.SQL(
                """
                WITH written AS (
                    INSERT INTO {table} AS d ({data}, updated_at)
                    SELECT {data}, %s FROM smi_changed WHERE existing_pk IS NULL
                    ORDER BY device_id
                    ON CONFLICT (device_id) DO UPDATE SET {assign}
                    WHERE {old_row} IS DISTINCT FROM {new_row}
                    RETURNING (d.xmax = 0) AS inserted
                )
                SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted)
                FROM written
                """
            ).format(
                table=table,
                data=_ident(*_DATA),
                assign=sql.SQL(", ").join(
                    sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(name))
                    for name in [*_DATA, "updated_at"]
                ),
                old_row=_row("d", _DATA),
                new_row=_row("excluded", _DATA),
            ),
            [now],
        )
        created, updated = cursor.fetchone()
        report.created, report.updated = created, report.updated + updated
        report.unchanged = self._staged - report.created - report.updated
        cursor.execute(
            """
            SELECT existing_pk, device_id, old_status, smi_status FROM smi_changed
            WHERE existing_pk IS NOT NULL AND old_status IS DISTINCT FROM smi_status
            ORDER BY device_id
            """
        )
        while rows := cursor.fetchmany(10_000):
            for pk, device_id, old_status, new_status in rows:
                report.record_status_change(pk, device_id, old_status, new_status)
        cursor.execute("DROP TABLE smi_changed, smi_staging")

    # --- The first load -----------------------------------------------------------------------

    def _table_is_empty(self) -> bool:
        return lock_if_empty(self._cursor, _TABLE)

    def _start_initial(self) -> sql.Composed:
        cursor, table = self._cursor, sql.Identifier(_TABLE)
        self._set_aside = IndexesSetAside(cursor, _TABLE)
        self._now = timezone.now().isoformat()
        self._end = "," + self._now
        columns = [FIELD_OF_COLUMN[name] for name in self._columns]
        return sql.SQL(
            "COPY {} ({}, updated_at) FROM STDIN (FORMAT csv, FORCE_NOT_NULL ({}))"
        ).format(table, _ident(*columns), _ident(*_NOT_NULL))

    def _finish_initial(self) -> None:
        report = self._report
        report.method = "copy-initial"
        report.created = self._staged
        self._set_aside.restore(self._cursor)
