"""Queries that every request makes, compiled by the ORM once per process and database instead
of on every call.

Compiling a queryset into SQL is Python work that the ORM repeats each time: for the signed-in
user read with their second factors (two subqueries) it is about 1.5 ms of CPU, for a query
PostgreSQL answers in 0.1 ms. On the few queries every request makes, that is most of what a
page costs before it does anything.
"""

import datetime as dt
import enum
import uuid
from collections.abc import Callable, Sequence

from django.db import connections, models
from django.db.models import QuerySet
from django.db.models.query import get_related_populators

# Stand-ins for the values a query is run with: a value of the same type that no query of the
# portal would hold, so that it is found once among the compiled parameters.
_MARKERS = {
    int: (-8_011_733_004_917, -8_011_733_004_918, -8_011_733_004_919),
    str: ("\x1fcompiled-query-value-1\x1f", "\x1fcompiled-query-value-2\x1f"),
    uuid.UUID: (uuid.UUID("1f1f1f1f-c0de-4d1e-8a1e-c0111ec7ed01"),),
    dt.date: (dt.date(1111, 11, 11),),
    # Aware, as the portal's are; a leap day of 1904 with odd microseconds.
    dt.datetime: tuple(
        dt.datetime(1904, 2, 29, 1, 2, 3, 700_001 + n, tzinfo=dt.UTC) for n in range(8)
    ),
}


def _forms(marker, connection) -> tuple:
    """The ways a marker may be among the compiled parameters: itself, or as the database is
    sent a value of its kind where it has no type of its own (SQLite: a UUID as its 32 hex
    digits, a date as its ISO text, a date and time as text in the database's time zone)."""
    if isinstance(marker, uuid.UUID):
        return (marker, marker.hex)
    if isinstance(marker, dt.datetime):  # before date: a datetime is a date
        return (marker, connection.ops.adapt_datetimefield_value(marker))
    if isinstance(marker, dt.date):
        return (marker, connection.ops.adapt_datefield_value(marker))
    return (marker,)


def _as_sent(value, sent, connection):
    """``value`` as the database is sent its marker ``sent`` (see :func:`_forms`)."""
    if isinstance(sent, str) and isinstance(value, uuid.UUID):
        return value.hex
    if isinstance(sent, str) and isinstance(value, dt.datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(sent, str) and isinstance(value, dt.date):
        return connection.ops.adapt_datefield_value(value)
    return value


def _literal(value) -> str | int | bool | None:
    """A constant of a query's shape as a plain value to write into its SQL (a status, a flag,
    a number), or None for a value of another kind, which stays a parameter."""
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)  # psycopg's Int4 and the like: the literal has the column's type
    if isinstance(value, str):
        return str.__str__(value)
    return None


def _constants_written_in(sql: str, params: list, positions: list, using: str) -> tuple:
    """The query with every parameter that is not a marker (a constant of its shape: a status,
    a flag) written into its SQL as a literal, and the markers' positions among those left.

    PostgreSQL keeps a prepared statement's generic plan only when it costs no more than the
    plans made for each run's values, and a generic plan cannot prove a partial index's
    condition (``status = 'awaiting_installer'``) from a parameter: a query whose rows come
    from such an index was then planned afresh on every run (about 3 ms for a list read in
    two parts), where with its constants written in it is planned once.
    """
    ops = connections[using].ops
    markers = {position for places in positions for position, _sent in places}
    pieces, kept, renumbered = [], [], {}
    start, index = 0, 0
    while (found := sql.find("%", start)) != -1:
        if sql.startswith("%%", found):
            pieces.append(sql[start : found + 2])
            start = found + 2
            continue
        if not sql.startswith("%s", found):
            raise ValueError("A compiled query holds a placeholder other than %s.")
        pieces.append(sql[start:found])
        literal = None if index in markers else _literal(params[index])
        if literal is not None:
            pieces.append(ops.compose_sql("%s", [literal]).replace("%", "%%"))
        else:
            renumbered[index] = len(kept)
            kept.append(params[index])
            pieces.append("%s")
        start, index = found + 2, index + 1
    pieces.append(sql[start:])
    if index != len(params):
        raise ValueError("A compiled query's placeholders and parameters do not match.")
    moved = [[(renumbered[position], sent) for position, sent in places] for places in positions]
    return "".join(pieces), kept, moved


class CompiledQuery:
    """A ``values_list()`` queryset the ORM compiles once per database alias, then run with new
    values for its parameters; its rows converted as the ORM converts them (booleans, dates and
    times on SQLite).

    ``build(*markers)`` returns the queryset with each marker where a value goes, of the
    ``kinds`` given (``int``, ``str``, ``uuid.UUID``, ``datetime.date`` or an aware
    ``datetime``, in order). The SQL is the ORM's own, so it follows the models; a queryset
    whose SQL would depend on more than those values (the time, a setting) is not for this.
    """

    def __init__(
        self, build: Callable[..., QuerySet], *, kinds: tuple[type, ...], repeated: bool = False
    ):
        self._build = build
        self._kinds = kinds
        # Whether a value may stand in several places of the query (the same Supplier in each
        # of a rule's conditions), or must stand in one (a query built the wrong way otherwise).
        self._repeated = repeated
        self._compiled: dict[str, tuple] = {}

    def _compile(self, using: str) -> tuple:
        taken = dict.fromkeys(_MARKERS, 0)
        markers = []
        for kind in self._kinds:
            markers.append(_MARKERS[kind][taken[kind]])
            taken[kind] += 1
        sql, params, converters = self._sql(markers, using)
        params = list(params)
        positions = []
        for marker in markers:
            forms = _forms(marker, connections[using])
            found = [n for n, param in enumerate(params) if param in forms]
            if not found or (len(found) > 1 and not self._repeated):
                raise ValueError(f"A compiled query holds {len(found)} of a value.")
            positions.append([(n, params[n]) for n in found])
        if connections[using].vendor == "postgresql":
            sql, params, positions = _constants_written_in(sql, params, positions, using)
        compiled = (sql, params, positions, converters)
        self._compiled[using] = compiled
        return compiled

    def _sql(self, markers: list, using: str) -> tuple[str, Sequence, list]:
        """The query built with ``markers``: its SQL, parameters and columns' converters."""
        compiler = self._build(*markers).query.get_compiler(using)
        sql, params = compiler.as_sql()
        columns = [selected[0] for selected in compiler.select[: compiler.col_count]]
        converters = list(compiler.get_converters(columns).items())
        self._compiled_with(using, compiler)  # before the SQL: another thread may read both
        return sql, params, converters

    def _compiled_with(self, using: str, compiler) -> None:
        """What a subclass keeps of the compiler that compiled the query."""

    def rows(self, *values, using: str = "default") -> list[list]:
        sql, template, positions, converters = self._compiled.get(using) or self._compile(using)
        params = list(template)
        connection = connections[using]
        for places, value in zip(positions, values, strict=True):
            for position, sent in places:
                params[position] = _as_sent(value, sent, connection)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = [list(row) for row in cursor.fetchall()]
        for row in rows:
            for position, (functions, expression) in converters:
                value = row[position]
                for function in functions:
                    value = function(value, expression, connection)
                row[position] = value
        return rows


class CompiledSql(CompiledQuery):
    """A statement put together from querysets the ORM compiles (``build(using, *markers)``
    returns its SQL and parameters), compiled once per database alias as
    :class:`CompiledQuery` is; its rows as the database gives them (no converters: for
    counts, keys and text)."""

    def _sql(self, markers: list, using: str) -> tuple[str, Sequence, list]:
        sql, params = self._build(using, *markers)
        return sql, params, []


class CompiledObjectsQuery(CompiledQuery):
    """A queryset of model instances, with what it ``select_related()`` and its annotations,
    compiled once as :class:`CompiledQuery` is; ``objects()`` builds the instances from the
    rows as the ORM's own iterator does (the same columns, populators and converters)."""

    def __init__(
        self, build: Callable[..., QuerySet], *, kinds: tuple[type, ...], repeated: bool = False
    ):
        super().__init__(build, kinds=kinds, repeated=repeated)
        self._builders: dict[str, tuple] = {}

    def _compiled_with(self, using: str, compiler) -> None:
        klass_info, select = compiler.klass_info, compiler.select
        fields = klass_info["select_fields"]
        start, end = fields[0], fields[-1] + 1
        names = [column[0].target.attname for column in select[start:end]]
        fetch_mode = compiler.query.model._default_manager.all()._fetch_mode
        self._builders[using] = (
            klass_info["model"],
            names,
            start,
            end,
            get_related_populators(klass_info, select, using, fetch_mode),
            dict(compiler.annotation_col_map or {}),
            fetch_mode,
        )

    def objects(self, *values, using: str = "default") -> list:
        rows = self.rows(*values, using=using)
        model, names, start, end, populators, annotations, fetch_mode = self._builders[using]
        found = []
        for row in rows:
            instance = model.from_db(using, names, row[start:end], fetch_mode=fetch_mode)
            for populator in populators:
                populator.populate(row, instance)
            for name, position in annotations.items():
                setattr(instance, name, row[position])
            found.append(instance)
        return found


_ABSENT = object()
# Fields whose pre_save is the attribute and whose get_db_prep_save gives a value of this type
# (or None) back as it is, on PostgreSQL and SQLite; by exact class: a subclass may prepare
# its values otherwise.
_AS_IS = {
    models.CharField: str,
    models.TextField: str,
    models.EmailField: str,
    models.SlugField: str,
    models.URLField: str,
    models.IntegerField: int,
    models.BigIntegerField: int,
    models.SmallIntegerField: int,
    models.PositiveIntegerField: int,
    models.PositiveBigIntegerField: int,
    models.PositiveSmallIntegerField: int,
    models.BooleanField: bool,
}
# The keys a foreign key may point at, sent as they are when they are ints.
_INT_KEYS = (models.AutoField, models.BigAutoField, models.SmallAutoField)


def _as_is_type(field) -> type | None:
    """The type of value ``field`` sends to the database unchanged, or None (prepared each
    time by the field)."""
    if type(field) is models.ForeignKey:
        target = field.target_field
        return int if type(target) in _INT_KEYS or _AS_IS.get(type(target)) is int else None
    return _AS_IS.get(type(field))


class CompiledInsert:
    """New instances of a model written as ``bulk_create`` writes them, for the few rows of
    one change: every concrete field but the automatic primary key, each value made ready by
    its field as the ORM makes it (``pre_save``, then ``get_db_prep_save``), in one INSERT
    whose SQL is built once per database and number of rows, the new keys read back into the
    instances. What ``bulk_create`` plans around that (batches, conflicts, the insert compiled
    afresh) cost several times the INSERT itself on a raise. No signals are sent, as
    ``bulk_create`` sends none.

    More than ``most`` rows, a value that is an expression (a database default), or a
    database other than PostgreSQL or SQLite: ``bulk_create`` writes them.
    """

    def __init__(self, model, *, most: int = 8):
        self._model = model
        self._fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        self._most = most
        self._sql: dict[tuple[str, int], str] = {}
        # (field, attribute, the one type its values are sent as they are, or None)
        self._plan = [(f, f.attname, _as_is_type(f)) for f in self._fields]

    def _build(self, using: str, count: int) -> str:
        sql = self.sql(connections[using], count)
        self._sql[(using, count)] = sql
        return sql

    def sql(
        self, connection, count: int, *, computed: dict | None = None, returning: bool = True
    ) -> str:
        """The INSERT of ``count`` rows. ``computed``: {field name: SQL expression} written in
        place of those fields' parameters (a key read from another part of one statement);
        :meth:`params` then leaves their values out."""
        ops = connection.ops
        meta = self._model._meta
        columns = ", ".join(ops.quote_name(f.column) for f in self._fields)
        computed = computed or {}
        row = "(" + ", ".join(computed.get(f.name, "%s") for f in self._fields) + ")"
        sql = (
            f"INSERT INTO {ops.quote_name(meta.db_table)} ({columns}) "  # noqa: S608 (the model's names)
            f"VALUES {', '.join([row] * count)}"
        )
        return f"{sql} RETURNING {ops.quote_name(meta.pk.column)}" if returning else sql

    def params(self, objs: Sequence, connection, *, computed: Sequence[str] = ()) -> list | None:
        """The parameters of ``objs``, row after row, as :meth:`insert` sends them (for a
        statement that writes them with other rows), but those of the ``computed`` fields;
        None when a value is an expression."""
        params = []
        plan = self._plan if not computed else [p for p in self._plan if p[0].name not in computed]
        for obj in objs:
            obj._prepare_related_fields_for_save(operation_name="bulk_create")
            values = obj.__dict__
            for field, attname, as_is in plan:
                if as_is is not None:
                    # A plain field's value of its own type (or None): what pre_save and
                    # get_db_prep_save would give back unchanged.
                    value = values.get(attname, _ABSENT)
                    if value is None or type(value) is as_is:
                        params.append(value)
                        continue
                value = field.pre_save(obj, True)
                if hasattr(value, "resolve_expression"):
                    return None
                params.append(field.get_db_prep_save(value, connection))
        return params

    def insert(self, objs: Sequence, *, using: str = "default") -> list:
        """Insert ``objs`` (new instances of the model) and return them, keys set."""
        objs = list(objs)
        if not objs:
            return objs
        connection = connections[using]
        if len(objs) > self._most or connection.vendor not in ("postgresql", "sqlite"):
            return self._model._default_manager.db_manager(using).bulk_create(objs)
        params = self.params(objs, connection)
        if params is None:
            return self._model._default_manager.db_manager(using).bulk_create(objs)
        sql = self._sql.get((using, len(objs))) or self._build(using, len(objs))
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            keys = cursor.fetchall()
        for obj, (key,) in zip(objs, keys, strict=True):
            obj.pk = key
            obj._state.adding = False
            obj._state.db = using
        return objs
