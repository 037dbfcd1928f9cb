"""SEC Working Days: every day but Saturdays, Sundays, Christmas Day, Good Friday and bank holidays.

Bank holidays come from the ``holidays`` package for a configured country and subdivision
(England and Wales by default); extra non-working days can be supplied on top. Deadlines fall
at the end (23:59:59) of a Working Day in Europe/London and are returned as aware datetimes, so
they are right across the clock changes.
"""

import datetime as dt
from collections.abc import Iterable
from functools import cache
from zoneinfo import ZoneInfo

import holidays
from dateutil.easter import easter

LONDON = ZoneInfo("Europe/London")
END_OF_DAY = dt.time(23, 59, 59)


def _require_aware(name: str, value: dt.datetime) -> None:
    if value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime")


@cache
def _bank_holidays(country: str, subdivision: str | None) -> holidays.HolidayBase:
    # Built once a process: the package computes each year's holidays on first use.
    return holidays.country_holidays(country, subdiv=subdivision)


class WorkingDayCalendar:
    def __init__(
        self,
        *,
        country: str = "GB",
        subdivision: str | None = "ENG",
        extra_non_working_days: Iterable[dt.date] = (),
    ):
        self._bank_holidays = _bank_holidays(country, subdivision or None)
        self._extra = frozenset(extra_non_working_days)

    def is_working_day(self, day: dt.date) -> bool:
        if day.weekday() >= 5 or day in self._extra:
            return False
        # Christmas Day and Good Friday are named by the SEC whatever the region's list says.
        if (day.month, day.day) == (12, 25) or day == easter(day.year) - dt.timedelta(days=2):
            return False
        return day not in self._bank_holidays

    def add_working_days(self, day: dt.date, count: int) -> dt.date:
        """The ``count``-th Working Day after ``day`` (``day`` itself never counts)."""
        if count < 1:
            raise ValueError("count must be at least 1")
        current = day
        remaining = count
        while remaining:
            current += dt.timedelta(days=1)
            if self.is_working_day(current):
                remaining -= 1
        return current

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working Days after ``start`` up to and including ``end`` (0 when end <= start)."""
        count = 0
        current = start
        while current < end:
            current += dt.timedelta(days=1)
            if self.is_working_day(current):
                count += 1
        return count

    def deadline_after(self, notified_at: dt.datetime, working_days: int) -> dt.datetime:
        """End of the ``working_days``-th Working Day after the London day of ``notified_at``."""
        _require_aware("notified_at", notified_at)
        notified_day = notified_at.astimezone(LONDON).date()
        due_day = self.add_working_days(notified_day, working_days)
        return dt.datetime.combine(due_day, END_OF_DAY, tzinfo=LONDON).astimezone(dt.UTC)

    def working_days_left(self, now: dt.datetime, due_at: dt.datetime) -> int:
        """Working Days left before ``due_at``: those after today, up to and including the day
        of ``due_at`` (0 on that day itself, and once it has passed). On the day of notice of
        a deadline ``n`` Working Days on, ``n`` are left."""
        # A naive ``now`` would otherwise be read in the server's local zone (or fail the
        # comparison below with a TypeError), so refuse it as deadline_after does.
        _require_aware("now", now)
        _require_aware("due_at", due_at)
        today = now.astimezone(LONDON).date()
        due_day = due_at.astimezone(LONDON).date()
        if now > due_at:
            return 0
        return self.working_days_between(today, due_day)
