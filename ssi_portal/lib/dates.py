"""Dates and times as the portal's pages write them, worked out in Python where a page shows
many: the template's ``date`` filter reads its format and translates the month's name again for
every value it formats."""

import datetime as dt

from django.utils import timezone, translation
from django.utils.dates import MONTHS, MONTHS_3, WEEKDAYS

_MONTHS: dict[str | None, list[str]] = {}
_LONG_NAMES: dict[str | None, tuple[list[str], list[str]]] = {}


def month_names() -> list[str]:
    """The months' short names ("Jan"), as ``date:"M"`` writes them, in the active language."""
    language = translation.get_language()
    names = _MONTHS.get(language)
    if names is None:
        names = _MONTHS[language] = ["", *(str(MONTHS_3[n]).title() for n in range(1, 13))]
    return names


def short_date(
    value: dt.datetime,
    *,
    with_time: bool = False,
    comma: bool = False,
    zone: dt.tzinfo | None = None,
    months: list[str] | None = None,
) -> str:
    """``value|date:"j M Y"`` in the portal's time zone; with ``with_time``, ``"j M Y H:i"``
    (``"j M Y, H:i"`` with ``comma``). ``zone`` and ``months``: the current time zone and
    :func:`month_names`, looked up once by a caller that formats many."""
    local = value.astimezone(zone or timezone.get_current_timezone())
    text = f"{local.day} {(months or month_names())[local.month]} {local.year}"
    if not with_time:
        return text
    return f"{text}{',' if comma else ''} {local.hour:02d}:{local.minute:02d}"


def long_date(value: dt.datetime, *, weekday: bool = False) -> str:
    """``value|date:"j F Y, H:i"`` in the portal's time zone ("3 December 2026, 14:05"); with
    ``weekday``, ``"l j F Y, H:i"`` ("Thursday 3 December 2026, 14:05"), the names in the
    active language."""
    language = translation.get_language()
    names = _LONG_NAMES.get(language)
    if names is None:
        months = ["", *(str(MONTHS[n]) for n in range(1, 13))]
        names = _LONG_NAMES[language] = (months, [str(WEEKDAYS[n]) for n in range(7)])
    months, weekdays = names
    local = value.astimezone(timezone.get_current_timezone())
    text = f"{local.day} {months[local.month]} {local.year}, {local.hour:02d}:{local.minute:02d}"
    return f"{weekdays[local.weekday()]} {text}" if weekday else text
