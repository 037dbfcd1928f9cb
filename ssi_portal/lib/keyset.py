"""Keyset ("seek") pagination of newest-first lists, with an opaque cursor.

A page is "the next N rows after this (created_at, id)": one index range scan whose cost does
not grow with the page number (an OFFSET reads and throws away every row before the page), and
no COUNT of the list. Pages are numbered for the reader; there is no total and no jumping to
page N, only previous and next. The cursor is a position, not a secret: a made-up one shows a
page of the same list the user may see anyway, a malformed one the first page.
"""

import base64
import binascii
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Q, QuerySet

NEWEST_FIRST = ("-created_at", "-id")
OLDEST_FIRST = ("created_at", "id")
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)
_MAX_PAGE = 10_000_000


@dataclass(frozen=True)
class Position:
    created_at: dt.datetime
    pk: int
    page: int
    backwards: bool = False


@dataclass(frozen=True)
class KeysetPage:
    object_list: list
    number: int
    has_previous: bool
    has_next: bool
    # "" for the first page, which needs no cursor.
    previous_cursor: str
    next_cursor: str


def encode_cursor(created_at: dt.datetime, pk: int, *, page: int, backwards: bool = False) -> str:
    micros = (created_at - _EPOCH) // _MICROSECOND
    raw = f"{'p' if backwards else 'n'}{page}.{micros}.{pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> Position | None:
    """The position a cursor names, or None for a missing or malformed one."""
    if not cursor or len(cursor) > 80:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        direction, rest = raw[0], raw[1:]
        page, micros, pk = (int(part) for part in rest.split("."))
    except (binascii.Error, UnicodeDecodeError, ValueError, IndexError):
        return None
    if direction not in "np" or not 1 <= page <= _MAX_PAGE or pk < 1 or micros < 0:
        return None
    try:
        created_at = _EPOCH + micros * _MICROSECOND
    except OverflowError:
        return None
    return Position(created_at=created_at, pk=pk, page=page, backwards=direction == "p")


def _fetch(queryset: QuerySet, ordering: tuple[str, ...], limit: int) -> list:
    return list(queryset.order_by(*ordering)[:limit])


def keyset_page(
    queryset: QuerySet,
    cursor: str | None,
    *,
    size: int,
    fetch: Callable[[QuerySet, tuple[str, ...], int], list] = _fetch,
) -> KeysetPage:
    """The page of ``queryset`` (newest first by ``created_at`` then ``id``) that ``cursor``
    names, read as ``size + 1`` rows to know whether another page follows.

    ``fetch(queryset, ordering, limit)`` reads the rows; the default orders and slices.
    Usually one query; two when a "previous" cursor finds the top of the list moved, and the
    first page is read instead.
    """
    position = decode_cursor(cursor)
    if position is None:
        rows = fetch(queryset, NEWEST_FIRST, size + 1)
        return _page(rows[:size], number=1, has_previous=False, has_next=len(rows) > size)
    at, pk = position.created_at, position.pk
    if not position.backwards:
        # "created_at <= at" is the index condition; the OR only breaks ties inside it.
        after = queryset.filter(
            Q(created_at__lt=at) | Q(created_at=at, id__lt=pk), created_at__lte=at
        )
        rows = fetch(after, NEWEST_FIRST, size + 1)
        return _page(
            rows[:size], number=position.page, has_previous=True, has_next=len(rows) > size
        )
    before = queryset.filter(Q(created_at__gt=at) | Q(created_at=at, id__gt=pk), created_at__gte=at)
    rows = fetch(before, OLDEST_FIRST, size + 1)
    if len(rows) <= size:
        # Rows came or went above: this is the top of the list, so show the first page.
        return keyset_page(queryset, None, size=size, fetch=fetch)
    return _page(rows[:size][::-1], number=max(position.page, 2), has_previous=True, has_next=True)


def _page(rows: list, *, number: int, has_previous: bool, has_next: bool) -> KeysetPage:
    previous_cursor = next_cursor = ""
    if rows and has_next:
        last = rows[-1]
        next_cursor = encode_cursor(last.created_at, last.pk, page=number + 1)
    if rows and has_previous and number > 2:
        first = rows[0]
        previous_cursor = encode_cursor(first.created_at, first.pk, page=number - 1, backwards=True)
    return KeysetPage(
        object_list=rows,
        number=number,
        has_previous=has_previous,
        has_next=has_next,
        previous_cursor=previous_cursor,
        next_cursor=next_cursor,
    )
