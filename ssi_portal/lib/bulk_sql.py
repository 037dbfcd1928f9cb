"""Writing many rows fast: ``COPY`` on PostgreSQL, one prepared statement run for every row
on SQLite, the ORM's bulk methods elsewhere.

For the bulk uploads of 100,000 rows. ``bulk_create`` builds one INSERT with a placeholder
per value, which the ORM and the driver then process value by value; ``COPY`` streams the
rows to the server instead, in C. On SQLite, which runs in the process, ``executemany`` of
one INSERT (or UPDATE) binds each row's values in C; the ORM's forms of the same write cost
ten times as much in compiling the statement as SQLite takes to run it. Rows are given as
tuples of values in the order of the fields named (use attnames for foreign keys:
``device_id``), written as given (no ``auto_now``), each value adapted by its field as the ORM
adapts it, so every path writes the same thing.
"""

import operator
from collections.abc import Iterable, Sequence

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import F, Lookup, Model, Q
from django.db.models.expressions import RawSQL


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def _sqlite() -> bool:
    return connection.vendor == "sqlite"


def _adapted(fields: Sequence, rows: Sequence[tuple]) -> list[tuple]:
    """The rows' values as the database takes them (``get_db_prep_save`` of each field). A
    chunk repeats most of its values (the same time, actor, status, message), so each field
    adapts each distinct value once, column by column."""
    db = connections[DEFAULT_DB_ALIAS]
    columns = []
    for field, column in zip(fields, zip(*rows, strict=True), strict=True):
        try:
            adapted = {value: field.get_db_prep_save(value, db) for value in set(column)}
        except TypeError:  # an unhashable value (JSON): each adapted on its own
            columns.append([field.get_db_prep_save(value, db) for value in column])
        else:
            columns.append([adapted[value] for value in column])
    return list(zip(*columns, strict=True))


def _sqlite_insert(
    model: type[Model], fields: Sequence[str], rows: Sequence[tuple], *, with_ids: bool
) -> list[int]:
    """Insert with one ``executemany``; with ``with_ids``, the new primary keys, in the order
    of ``rows``.

    The writer holds SQLite's one write lock from its first write to its commit, so the rows
    of one ``executemany`` take consecutive keys, the last of them ``last_insert_rowid()``.
    That is checked: the keys are read back, by range, before they are trusted.
    """
    quote = connection.ops.quote_name
    model_fields = [model._meta.get_field(name) for name in fields]
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(f.column) for f in model_fields)
    marks = ", ".join(["%s"] * len(model_fields))
    pk = quote(model._meta.pk.column)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} ({columns}) VALUES ({marks})",  # noqa: S608 (the model's names)
            _adapted(model_fields, rows),
        )
        if not with_ids:
            return []
        cursor.execute("SELECT last_insert_rowid()")
        last = cursor.fetchone()[0]
        first = last - len(rows) + 1
        cursor.execute(
            f"SELECT count(*) FROM {table} WHERE {pk} BETWEEN %s AND %s",  # noqa: S608 (as above)
            [first, last],
        )
        if cursor.fetchone()[0] != len(rows):
            raise RuntimeError(f"The new rows of {table} did not take consecutive keys.")
    return list(range(first, last + 1))


def in_values(lookup: str, values: Iterable, db_type: str) -> Q:
    """``Q(<lookup>__in=values)`` for a chunk's thousands of values. On PostgreSQL the values
    travel as one parameter, elsewhere a plain ``__in``.

    The parameter is the values joined by commas, which the server splits
    (``IN (SELECT unnest(string_to_array(%s, ',')::<db_type>[]))``): the driver then quotes
    one string in C instead of an array element by element in Python, a fifth of the time
    for 2,000 Device IDs. Integers are checked to be integers first; text with a comma in it
    (or a NULL) travels as an array (``%s::text[]``) instead.
    """
    values = list(values)
    if _postgres():
        if db_type == "bigint":
            joined = ",".join(str(operator.index(v)) for v in values)
        elif db_type == "text":
            joined = (
                ",".join(values) if all(type(v) is str and "," not in v for v in values) else None
            )
        else:
            raise ValueError(f"Unexpected SQL type for in_values: {db_type}")
        # The values are a bound parameter; the only text formatted in is one of two type names.
        if joined is None:
            subquery = RawSQL("SELECT unnest(%s::text[])", [values])
        else:
            subquery = RawSQL(  # noqa: S611
                f"SELECT unnest(string_to_array(%s, ',')::{db_type}[])", [joined]
            )
        return Q(**{f"{lookup}__in": subquery})
    return Q(**{f"{lookup}__in": values})


class _EqualsAny(Lookup):
    """``<field> = ANY(<array>)``, built by :func:`any_of` (not registered as a lookup)."""

    lookup_name = "equals_any"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY({rhs})", [*lhs_params, *rhs_params]


def any_of(field: str, values: Iterable, db_type: str) -> Q | Lookup:
    """A filter on ``field`` being one of thousands of values, for an indexed column that rows
    are fetched or updated by (a batch's primary keys).

    On PostgreSQL ``<field> = ANY(%s::<db_type>[])``: one array parameter, as with
    :func:`in_values`, but read through the index in key order, so that a batch of scattered
    rows visits the table's and the indexes' pages in order, each once (``in_values``'
    subquery hashes its values and visits the rows in no order). Elsewhere a plain ``__in``.
    """
    values = list(values)
    if _postgres():
        if db_type not in ("bigint", "text"):
            raise ValueError(f"Unexpected SQL type for any_of: {db_type}")
        # The values are a bound parameter; the only text formatted in is one of two type names.
        return _EqualsAny(F(field), RawSQL(f"%s::{db_type}[]", [values]))  # noqa: S611
    return Q(**{f"{field}__in": values})


def reserve_ids(model: type[Model], count: int) -> list[int]:
    """``count`` new primary keys from the table's sequence (PostgreSQL only).

    The sequence is looked up once (a materialized CTE), not once a key: in the select list,
    ``pg_get_serial_sequence`` (stable, not immutable) would run for every row."""
    table = model._meta.db_table
    pk_column = model._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH seq AS MATERIALIZED (SELECT pg_get_serial_sequence(%s, %s)::regclass AS s) "
            "SELECT nextval(seq.s) FROM seq, generate_series(1, %s)",
            [connection.ops.quote_name(table), pk_column, count],
        )
        return [pk for (pk,) in cursor.fetchall()]


def insert_rows(
    model: type[Model],
    fields: Sequence[str],
    rows: Sequence[tuple],
    *,
    with_ids: bool = False,
) -> list[int]:
    """Insert ``rows`` (tuples of Python values for ``fields``, every NOT NULL column given).

    ``with_ids``: return the new primary keys, in the order of ``rows``. Call inside the
    transaction the rows belong to.
    """
    if not rows:
        return []
    if _sqlite():
        return _sqlite_insert(model, fields, rows, with_ids=with_ids)
    if not _postgres():
        objs = [model(**dict(zip(fields, row, strict=True))) for row in rows]
        model.objects.bulk_create(objs)
        return [obj.pk for obj in objs] if with_ids else []
    ids: list[int] = []
    if with_ids:
        ids = reserve_ids(model, len(rows))
        fields = [model._meta.pk.attname, *fields]
        rows = [(pk, *row) for pk, row in zip(ids, rows, strict=True)]
    columns = ", ".join(
        connection.ops.quote_name(model._meta.get_field(name).column) for name in fields
    )
    table = connection.ops.quote_name(model._meta.db_table)
    sql = f"COPY {table} ({columns}) FROM STDIN"
    # COPY goes past Django's cursor: its errors are turned into Django's here (a unique
    # index's IntegrityError, for one), as an execute() does.
    with (
        connection.cursor() as cursor,
        connection.wrap_database_errors,
        cursor.cursor.copy(sql) as copy,
    ):
        for row in rows:
            copy.write_row(row)
    return ids


def update_rows(
    model: type[Model], fields: Sequence[str], rows: Sequence[tuple], **same: object
) -> None:
    """Set ``fields`` on many rows, each to values of its own (``rows`` are (pk, *values)),
    and the fields named in ``same`` to one value for all.

    On PostgreSQL one ``UPDATE … FROM unnest(…)`` with an array parameter per field of its
    own, whatever the number of rows (each row gets one new version, not one per field); on
    SQLite one ``UPDATE … WHERE pk = ?`` run for every row (``executemany``); elsewhere
    ``bulk_update``.
    """
    if not rows:
        return
    if _sqlite():
        quote = connection.ops.quote_name
        own = [model._meta.get_field(name) for name in fields]
        shared = [model._meta.get_field(name) for name in same]
        assignments = ", ".join(f"{quote(f.column)} = %s" for f in [*own, *shared])
        constants = [
            f.get_db_prep_save(v, connection) for f, v in zip(shared, same.values(), strict=True)
        ]
        values = _adapted([model._meta.pk, *own], rows)
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {quote(model._meta.db_table)} SET {assignments} "  # noqa: S608
                f"WHERE {quote(model._meta.pk.column)} = %s",  # (the names are the model's)
                [(*row[1:], *constants, row[0]) for row in values],
            )
        return
    if not _postgres():
        attnames = [model._meta.get_field(name).attname for name in [*fields, *same]]
        objs = []
        for pk, *values in rows:
            obj = model(pk=pk)
            for attname, value in zip(attnames, [*values, *same.values()], strict=True):
                setattr(obj, attname, value)
            objs.append(obj)
        model.objects.bulk_update(objs, [*fields, *same], batch_size=500)
        return
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    pk_field = model._meta.pk
    db_fields = [model._meta.get_field(name) for name in fields]
    types = [pk_field.rel_db_type(connection)] + [f.db_type(connection) for f in db_fields]
    names = [f"v{n}" for n in range(len(types))]
    assignments = [
        f"{quote(f.column)} = v.{name}" for f, name in zip(db_fields, names[1:], strict=True)
    ]
    params: list = []
    for name, value in same.items():
        field = model._meta.get_field(name)
        assignments.append(f"{quote(field.column)} = %s")
        params.append(field.get_db_prep_save(value, connection))
    arrays = ", ".join(f"%s::{db_type}[]" for db_type in types)
    columns = list(zip(*rows, strict=True))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {', '.join(assignments)} "  # noqa: S608 (names from the model)
            f"FROM unnest({arrays}) AS v({', '.join(names)}) "
            f"WHERE {table}.{quote(pk_field.column)} = v.{names[0]}",
            [*params, *(list(column) for column in columns)],
        )


class RowMaker:
    """Tuples for :func:`insert_rows`: every concrete field but the primary key, each at the
    model's default unless given. ``maker(device_id=…, status=…)``."""

    def __init__(self, model: type[Model]):
        self.fields = tuple(f.attname for f in model._meta.concrete_fields if not f.primary_key)
        blank = model()
        self._defaults = {name: getattr(blank, name) for name in self.fields}

    def __call__(self, **values) -> tuple:
        # The merged dict keeps the fields' order: the defaults' keys come first.
        row = {**self._defaults, **values}
        if len(row) != len(self.fields):
            raise TypeError(f"Unknown fields: {sorted(set(values) - set(self.fields))}")
        return tuple(row.values())

    def of(self, obj: Model) -> tuple:
        """The row of a model instance built in memory."""
        return tuple(getattr(obj, name) for name in self.fields)


# --- Loading millions of rows into an empty table (PostgreSQL) ---------------------------------


def lock_if_empty(cursor, table: str) -> bool:
    """Whether ``table`` is empty, holding it under an ACCESS EXCLUSIVE lock until the end of
    the transaction if so. The lock is taken at once or not at all: anyone reading the (empty)
    table makes it wait, and then everyone waits behind it. Call inside a transaction."""
    from django.db import OperationalError, transaction
    from psycopg import sql

    name = sql.Identifier(table)
    exists = sql.SQL("SELECT EXISTS (SELECT FROM {})").format(name)
    cursor.execute(exists)
    if cursor.fetchone()[0]:
        return False
    try:
        with transaction.atomic():
            cursor.execute(sql.SQL("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE NOWAIT").format(name))
    except OperationalError:
        return False
    # Asked again under the lock: a concurrent load may have won.
    cursor.execute(exists)
    return not cursor.fetchone()[0]


class IndexesSetAside:
    """The unique and foreign-key constraints and plain indexes of a table, dropped for a bulk
    insert into it and rebuilt after (PostgreSQL's "Populating a Database": inserting millions
    of rows with them in place checks each per row; rebuilding takes a fraction of that).

    Hold the table's ACCESS EXCLUSIVE lock (:func:`lock_if_empty`) first. DDL is
    transactional: if the load fails, its rollback restores every index.
    """

    def __init__(self, cursor, table: str):
        from psycopg import sql

        self._table = sql.Identifier(table)
        # Unique constraints before foreign keys ('u' > 'f'): rebuilt in this order.
        cursor.execute(
            """
            SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
            WHERE conrelid = %s::regclass AND contype IN ('u', 'f')
            ORDER BY contype DESC, conname
            """,
            [table],
        )
        self.constraints = cursor.fetchall()
        cursor.execute(
            """
            SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i
            JOIN pg_class c ON c.oid = i.indexrelid
            WHERE i.indrelid = %s::regclass AND NOT i.indisprimary
              AND NOT EXISTS (SELECT FROM pg_constraint k
                              WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid)
            ORDER BY c.relname
            """,
            [table],
        )
        self.indexes = cursor.fetchall()
        for name, _definition in self.constraints:
            cursor.execute(
                sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(
                    self._table, sql.Identifier(name)
                )
            )
        for name, _definition in self.indexes:
            cursor.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))

    def restore(self, cursor) -> None:
        """Rebuild what was set aside, then refresh the table's statistics."""
        from psycopg import sql

        for _name, definition in self.indexes:
            cursor.execute(definition)
        for name, definition in self.constraints:
            cursor.execute(
                sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {}").format(
                    self._table, sql.Identifier(name), sql.SQL(definition)
                )
            )
        cursor.execute(sql.SQL("ANALYZE {}").format(self._table))
