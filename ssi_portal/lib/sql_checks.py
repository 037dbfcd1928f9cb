"""Conditions for CHECK constraints that the database evaluates cheaply on every row written.

A regular expression costs PostgreSQL several microseconds a row, and the loaders write
millions (SQLite, where Django's ``__regex`` calls back into Python for each row, more). The
formats the portal checks are fixed-width patterns of a few character classes, which say the
same with ``LIKE`` (each ``_`` one character) and ``LTRIM(value, characters)`` (empty when
every character is one of them), in PostgreSQL and SQLite alike.
"""

from django.db.models import BooleanField, F, Func, Lookup, Q, Value
from django.db.models.functions import Length
from django.db.models.lookups import Exact, Range

HEX_DIGITS = "0123456789ABCDEF"
DIGITS = "0123456789"


class Like(Lookup):
    """``<lhs> LIKE <pattern>``, the pattern as given (``_`` any one character, ``%`` any
    run of them; nothing escaped). Built directly (``Like(F("x"), "__-__")``), not
    registered as a lookup."""

    lookup_name = "like"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} LIKE {rhs}", [*lhs_params, *rhs_params]


class OnlyCharacters(Func):
    """True when every character of the expression is one of ``characters`` (ASCII), or it is
    empty: ``LTRIM(value, characters) = ''``.

    On PostgreSQL on the value's bytes (``convert_to(value, 'UTF8')``): ``ltrim`` of a text in
    a UTF-8 database builds an array of the characters of each value first, which costs more
    than the regular expression it replaces; of bytes, it is a loop over them. The same
    verdict, as no byte of a character outside ASCII is an ASCII character."""

    output_field = BooleanField()

    def __init__(self, expression, characters: str):
        if not characters.isascii():
            raise ValueError("OnlyCharacters takes ASCII characters only.")
        self.characters = characters
        super().__init__(expression, Value(characters))

    def as_sql(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler, connection, template="LTRIM(%(expressions)s) = ''", **extra_context
        )

    def as_postgresql(self, compiler, connection, **extra_context):
        value, params = compiler.compile(self.source_expressions[0])
        return (
            f"ltrim(convert_to({value}, 'UTF8'), %s::bytea) = ''::bytea",
            [*params, self.characters.encode()],
        )


def eui64_check(field: str) -> Q:
    """Exactly what ``^([0-9A-F]{2}-){7}[0-9A-F]{2}$`` accepts: 23 characters with a hyphen
    after each pair (``LIKE``), nothing but hex digits and hyphens (``LTRIM``), and no
    hyphen where a digit belongs: one there would stand at either end or beside another."""
    return Q(
        Like(F(field), "-".join(["__"] * 8)),
        OnlyCharacters(F(field), HEX_DIGITS + "-"),
        ~Q(**{f"{field}__startswith": "-"}),
        ~Q(**{f"{field}__endswith": "-"}),
        ~Q(**{f"{field}__contains": "--"}),
    )


def digits_check(field: str, *lengths: int | tuple[int, int]) -> Q:
    """ASCII digits only, as many as one of ``lengths`` (a number, or an inclusive range):
    what ``^([0-9]{13}|[0-9]{6,10})$`` says as ``digits_check(field, 13, (6, 10))``."""
    length = Length(F(field))
    sizes = Q()
    for size in lengths:
        sizes |= Q(Range(length, size) if isinstance(size, tuple) else Exact(length, size))
    return Q(OnlyCharacters(F(field), DIGITS), sizes)
