"""Queries that every request makes, compiled by the ORM once per process and database instead
of on every call.

Compiling a queryset into SQL is Python work that the ORM repeats each time: for the signed-in
user read with their second factors (two subqueries) it is about 1.5 ms of CPU, for a query
PostgreSQL answers in 0.1 ms. On the few queries every request makes, that is most of what a
page costs before it does anything.
"""

from collections.abc import Callable

from django.db import connections
from django.db.models import QuerySet

# Stand-ins for the values a query is run with: a value of the same type that no query of the
# portal would hold, so that it is found once among the compiled parameters.
_MARKERS = {
    int: (-8_011_733_004_917, -8_011_733_004_918, -8_011_733_004_919),
    str: ("\x1fcompiled-query-value-1\x1f", "\x1fcompiled-query-value-2\x1f"),
}


class CompiledQuery:
    """A ``values_list()`` queryset the ORM compiles once per database alias, then run with new
    values for its parameters; its rows converted as the ORM converts them (booleans, dates and
    times on SQLite).

    ``build(*markers)`` returns the queryset with each marker where a value goes, of the
    ``kinds`` given (``int`` or ``str``, in order). The SQL is the ORM's own, so it follows the
    models; a queryset whose SQL would depend on more than those values (the time, a setting)
    is not for this.
    """

    def __init__(self, build: Callable[..., QuerySet], *, kinds: tuple[type, ...]):
        self._build = build
        self._kinds = kinds
        self._compiled: dict[str, tuple] = {}

    def _compile(self, using: str) -> tuple:
        taken = dict.fromkeys(_MARKERS, 0)
        markers = []
        for kind in self._kinds:
            markers.append(_MARKERS[kind][taken[kind]])
            taken[kind] += 1
        compiler = self._build(*markers).query.get_compiler(using)
        sql, params = compiler.as_sql()
        params = list(params)
        positions = []
        for marker in markers:
            if params.count(marker) != 1:
                raise ValueError(f"A compiled query holds {params.count(marker)} of a value.")
            positions.append(params.index(marker))
        columns = [selected[0] for selected in compiler.select[: compiler.col_count]]
        converters = list(compiler.get_converters(columns).items())
        compiled = (sql, params, positions, converters)
        self._compiled[using] = compiled
        return compiled

    def rows(self, *values, using: str = "default") -> list[list]:
        sql, template, positions, converters = self._compiled.get(using) or self._compile(using)
        params = list(template)
        for position, value in zip(positions, values, strict=True):
            params[position] = value
        connection = connections[using]
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
