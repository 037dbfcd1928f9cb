"""Numbered pages of a list without counting it: ``size + 1`` rows say whether another follows.

The page number comes from a query string, so anything may arrive: a missing, non-numeric, zero
or negative number is the first page, and a number past the end (however large: the OFFSET
must fit the database's integers) is the last page. Only that last case counts the list.
"""

from dataclasses import dataclass

from django.db.models import QuerySet

# Far past any list a user pages through, and small enough that (MAX_PAGE - 1) * size stays a
# 64-bit integer for any page size.
MAX_PAGE = 10**9


def page_number(value) -> int:
    """The page a query-string value asks for: 1 unless it is a positive whole number; capped
    at ``MAX_PAGE`` (read as "past the end")."""
    text = str(value or "").strip()
    if not (text.isascii() and text.isdigit()):
        return 1
    if len(text) > 12:
        return MAX_PAGE  # more digits than any page has: past the end
    return min(max(int(text), 1), MAX_PAGE)


@dataclass(frozen=True)
class NumberedPage:
    rows: list
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def numbered_page(queryset: QuerySet, number: int, size: int) -> NumberedPage:
    """Page ``number`` (from :func:`page_number`) of an ordered ``queryset``; past the end, the
    last page (the first, for an empty list)."""
    number = min(max(number, 1), MAX_PAGE)
    rows = _slice(queryset, number, size)
    if not rows and number > 1:
        number = max(1, -(-queryset.count() // size))
        rows = _slice(queryset, number, size)
    return NumberedPage(rows=rows[:size], number=number, has_next=len(rows) > size)


def _slice(queryset: QuerySet, number: int, size: int) -> list:
    start = (number - 1) * size
    return list(queryset[start : start + size + 1])
