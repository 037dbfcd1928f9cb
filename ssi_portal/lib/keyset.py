"""Keyset ("seek") pagination of lists in several orders, with an opaque cursor.

A list is read in an :class:`Order`: one or more *segments*, disjoint parts of the list read one
after another (the requests whose clock runs, by deadline, then the others, newest first), each
in the order of its own key, date-time columns ending with the primary key (``("due_at",
"created_at", "id")``). A page is "the next N rows after this key": per segment one index range
scan whose cost does not grow with the page number (an OFFSET reads and throws away every row
before the page), and no COUNT of the list. Pages are numbered for the reader; there is no
total and no jumping to page N, only previous and next.

The cursor names the order, the segment and the key of the row at the page's edge. It is a
position, not a secret: a made-up one shows a page of the same list the user may see anyway; a
malformed one, or one written for another order, the first page.
"""

import base64
import binascii
import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import reduce
from typing import NamedTuple

from django.db.models import Q, QuerySet

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)
_MAX_PAGE = 10_000_000
_MAX_CURSOR = 120


@dataclass(frozen=True)
class Segment:
    """One part of a list in one key order. ``key``: date-time columns then ``"id"``, every
    one ascending or every one descending (``"-"``), so that one index scan reads it in order;
    ``where``: which rows of the list belong here (None: all of them)."""

    key: tuple[str, ...]
    where: Q | None = None

    def __post_init__(self):
        directions = {name.startswith("-") for name in self.key}
        if len(directions) != 1 or self.key[-1].lstrip("-") != "id":
            raise ValueError(f"a segment's key runs one way and ends with the id: {self.key}")

    @property
    def descending(self) -> bool:
        return self.key[0].startswith("-")

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(name.lstrip("-") for name in self.key)

    def reversed_key(self) -> tuple[str, ...]:
        return tuple(name.lstrip("-") if self.descending else f"-{name}" for name in self.key)

    def values_of(self, row) -> tuple:
        return tuple(getattr(row, "pk" if name == "id" else name) for name in self.fields)


@dataclass(frozen=True)
class Order:
    """A way of reading a list: its segments, in turn. ``name`` (letters only) is written into
    cursors, so that a cursor of one order is never read as a position in another."""

    name: str
    segments: tuple[Segment, ...]


NEWEST_FIRST = Order("new", (Segment(("-created_at", "-id")),))


@dataclass(frozen=True)
class Position:
    order: str
    segment: int
    values: tuple  # the key of the row at the page's edge: date-times, then the id
    page: int
    backwards: bool = False

    @property
    def pk(self) -> int:
        return self.values[-1]


@dataclass(frozen=True)
class KeysetPage:
    object_list: list
    number: int
    has_previous: bool
    has_next: bool
    # "" for the first page, which needs no cursor.
    previous_cursor: str
    next_cursor: str


# What a fetch reads: for each part of the page, the rows it may take from and their key order.
Part = tuple[QuerySet, tuple[str, ...]]


def encode_cursor(
    values: Sequence,
    *,
    page: int,
    order: Order = NEWEST_FIRST,
    segment: int = 0,
    backwards: bool = False,
) -> str:
    """The cursor of the row whose key is ``values`` (date-times, then the id)."""
    numbers = [
        (value - _EPOCH) // _MICROSECOND if isinstance(value, dt.datetime) else int(value)
        for value in values
    ]
    raw = f"{'p' if backwards else 'n'}{page}.{order.name}.{segment}." + ".".join(map(str, numbers))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, order: Order = NEWEST_FIRST) -> Position | None:
    """The position a cursor names in ``order``, or None for a missing or malformed one, or
    one written for another order."""
    if not cursor or len(cursor) > _MAX_CURSOR:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        direction, page, name, segment, *numbers = raw[0], *raw[1:].split(".")
        page, segment = int(page), int(segment)
        numbers = [int(number) for number in numbers]
    except (binascii.Error, UnicodeDecodeError, ValueError, IndexError):
        return None
    if direction not in "np" or name != order.name or not 0 <= segment < len(order.segments):
        return None
    fields = order.segments[segment].fields
    if not 1 <= page <= _MAX_PAGE or len(numbers) != len(fields) or min(numbers) < 0:
        return None
    if numbers[-1] < 1:
        return None
    try:
        values = tuple(
            _EPOCH + number * _MICROSECOND if field != "id" else number
            for field, number in zip(fields, numbers, strict=True)
        )
    except OverflowError:
        return None
    return Position(
        order=name, segment=segment, values=values, page=page, backwards=direction == "p"
    )


def _fetch(parts: list[Part], limit: int) -> list[list]:
    """Each part's first ``limit`` rows, a query per part, none once ``limit`` rows are read."""
    found, wanted = [], limit
    for queryset, key in parts:
        rows = list(queryset.order_by(*key)[:wanted]) if wanted else []
        found.append(rows)
        wanted -= len(rows)
    return found


class Step(NamedTuple):
    """One part of a page's read: a segment of the order (its index), and the key of the row
    to read on from (None: from the segment's start)."""

    segment: int
    after: tuple | None = None


# What a page reads: for each step, which way (backwards: towards the top of the list) and up
# to how many rows, the step's rows in the order of its segment's key (reversed, going back).
Read = Callable[[list[Step], bool, int], list[list]]


def keyset_page(
    queryset: QuerySet,
    cursor: str | None,
    *,
    size: int,
    order: Order = NEWEST_FIRST,
    fetch: Callable[[list[Part], int], list[list]] = _fetch,
) -> KeysetPage:
    """The page of ``queryset`` in ``order`` that ``cursor`` names, read as ``size + 1`` rows
    to know whether another page follows.

    ``fetch(parts, limit)`` reads, for each part (a queryset and its key order), up to
    ``limit`` of its rows in that order; the default asks one query per part. The parts are
    the segment the cursor is in (from the cursor on) and the segments after it (before it,
    going back). Two fetches when a "previous" cursor finds the top of the list moved, and the
    first page is read instead.
    """

    def read(steps: list[Step], backwards: bool, limit: int) -> list[list]:
        return fetch(keyset_parts(queryset, order, steps, backwards=backwards), limit)

    return keyset_read_page(read, cursor, size=size, order=order)


def keyset_read_page(
    read: Read, cursor: str | None, *, size: int, order: Order = NEWEST_FIRST
) -> KeysetPage:
    """:func:`keyset_page` with the rows read by ``read`` (see :data:`Read`): for a list
    whose queries are built otherwise than by filtering a queryset, as
    :func:`keyset_parts` does."""
    position = decode_cursor(cursor, order)
    segments = order.segments
    if position is None:
        rows = _read(read, [Step(i) for i in range(len(segments))], size)
        return _page(order, rows[:size], number=1, has_previous=False, has_next=len(rows) > size)
    at = position.segment
    if not position.backwards:
        steps = [Step(at, position.values), *(Step(i) for i in range(at + 1, len(segments)))]
        rows = _read(read, steps, size)
        return _page(
            order, rows[:size], number=position.page, has_previous=True, has_next=len(rows) > size
        )
    steps = [Step(at, position.values), *(Step(i) for i in range(at - 1, -1, -1))]
    rows = _read(read, steps, size, backwards=True)
    if len(rows) <= size:
        # Rows came or went above: this is the top of the list, so show the first page.
        return keyset_read_page(read, None, size=size, order=order)
    return _page(
        order, rows[:size][::-1], number=max(position.page, 2), has_previous=True, has_next=True
    )


def keyset_parts(
    queryset: QuerySet, order: Order, steps: list[Step], *, backwards: bool
) -> list[Part]:
    """Each step's rows of ``queryset`` (its segment's, beyond its key) and their key order."""
    parts = []
    for step in steps:
        segment = order.segments[step.segment]
        part = queryset if segment.where is None else queryset.filter(segment.where)
        if step.after is not None:
            part = part.filter(_beyond(segment, step.after, backwards=backwards))
        parts.append((part, segment.reversed_key() if backwards else segment.key))
    return parts


def _read(read: Read, steps: list[Step], size: int, *, backwards: bool = False) -> list[tuple]:
    """(segment index, row) of the first ``size + 1`` rows the steps reach."""
    found = read(steps, backwards, size + 1)
    rows = [(step.segment, row) for step, got in zip(steps, found, strict=True) for row in got]
    return rows[: size + 1]


def _beyond(segment: Segment, values: tuple, *, backwards: bool) -> Q:
    """Rows after ``values`` in the segment's key order (before it, going back)."""
    return _past(segment.fields, values, "gt" if segment.descending == backwards else "lt")


def _past(fields: Sequence[str], values: Sequence, later: str) -> Q:
    """Rows whose key (``fields``) is beyond ``values``: ``later`` is "gt" or "lt"."""
    ties = [
        Q(**{f"{name}__{later}": values[n]}, **dict(zip(fields[:n], values[:n], strict=True)))
        for n, name in enumerate(fields)
    ]
    # "first key <= its value" is the index condition; the OR only breaks ties inside it.
    bound = Q(**{f"{fields[0]}__{later}e": values[0]})
    return bound & reduce(lambda a, b: a | b, ties)


def _page(
    order: Order, rows: list, *, number: int, has_previous: bool, has_next: bool
) -> KeysetPage:
    previous_cursor = next_cursor = ""
    if rows and has_next:
        index, last = rows[-1]
        next_cursor = encode_cursor(
            order.segments[index].values_of(last), page=number + 1, order=order, segment=index
        )
    if rows and has_previous and number > 2:
        index, first = rows[0]
        previous_cursor = encode_cursor(
            order.segments[index].values_of(first),
            page=number - 1,
            order=order,
            segment=index,
            backwards=True,
        )
    return KeysetPage(
        object_list=[row for _, row in rows],
        number=number,
        has_previous=has_previous,
        has_next=has_next,
        previous_cursor=previous_cursor,
        next_cursor=next_cursor,
    )


def keyset_stream(
    queryset: QuerySet, key: Sequence[str], fields: Sequence[str], *, chunk: int
) -> Iterator[tuple]:
    """Every row of ``queryset`` in ``key`` order, as tuples of ``fields``, read ``chunk`` rows
    a query, each query starting after the last row read.

    For downloads of any length: memory stays at one chunk, and no cursor or transaction is
    held between two queries, so the stream works the same straight to PostgreSQL, through a
    connection pool and behind PgBouncer in transaction mode (where a cursor declared in one
    transaction is not there in the next; ``.iterator()`` then reads the whole result into
    memory at once). ``key``: field names all ascending or all descending (``"-"``), the last
    unique within ``queryset``, none of them null. A row whose key changes while the stream is
    read may be left out or read twice; a row added behind the read position is left out.
    """
    names = tuple(name.lstrip("-") for name in key)
    if len({name.startswith("-") for name in key}) != 1:
        raise ValueError(f"a stream's key runs one way: {tuple(key)}")
    later = "lt" if key[0].startswith("-") else "gt"
    columns = [*fields, *(name for name in names if name not in fields)]
    at = [columns.index(name) for name in names]
    rows = queryset.order_by(*key).values_list(*columns)
    width = len(fields)
    last = None
    while True:
        page = rows if last is None else rows.filter(_past(names, last, later))
        found = list(page[:chunk])
        for row in found:
            yield row[:width]
        if len(found) < chunk:
            return
        last = tuple(found[-1][n] for n in at)
