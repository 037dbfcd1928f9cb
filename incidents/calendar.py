"""The one Working-Day calendar every deadline and figure uses: SEC Working Days, the bank
holidays of the configured region, and the extra non-working days the helpdesk adds in admin."""

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.db.models import CharField, StringAgg, Subquery, Value
from django.db.models.functions import Cast

from ssi_portal.lib.compiled import CompiledQuery
from ssi_portal.lib.working_days import END_OF_DAY, LONDON, WorkingDayCalendar


def _non_working_days():
    from .models import NonWorkingDay

    return NonWorkingDay.objects.order_by("date").values_list("date")


# Read on every raise and every incident page: compiled once (ssi_portal.lib.compiled), read
# afresh each time, so a day the helpdesk adds counts from the next deadline on.
_NON_WORKING_DAYS = CompiledQuery(_non_working_days, kinds=())


def working_day_calendar(
    extra_non_working_days: Iterable[dt.date] | None = None,
) -> WorkingDayCalendar:
    """A calendar with today's extra non-working days: one small query, unless the caller
    read them with another (``extra_non_working_days``, as :func:`non_working_days` reads
    them)."""
    if extra_non_working_days is None:
        extra_non_working_days = [day for (day,) in _NON_WORKING_DAYS.rows()]
    return WorkingDayCalendar(
        country=settings.SSI_HOLIDAY_COUNTRY,
        subdivision=settings.SSI_HOLIDAY_SUBDIVISION,
        extra_non_working_days=extra_non_working_days,
    )


def non_working_days() -> Subquery:
    """The extra non-working days as one text (ISO dates and commas) for a query of
    something else to bring along (:func:`non_working_days_from` reads it back)."""
    from .models import NonWorkingDay

    return Subquery(
        NonWorkingDay.objects.order_by()
        .annotate(every=Value(1))
        .values("every")
        .annotate(days=StringAgg(Cast("date", CharField()), Value(",")))
        .values("days")
    )


def non_working_days_from(text: str | None) -> list[dt.date]:
    return [dt.date.fromisoformat(day) for day in text.split(",")] if text else []


def answer_deadline(
    notified_at: dt.datetime, calendar: WorkingDayCalendar | None = None
) -> dt.datetime:
    """End of the fifth Working Day (``SSI_ANSWER_WORKING_DAYS``) after the day of notice."""
    calendar = calendar or working_day_calendar()
    return calendar.deadline_after(notified_at, settings.SSI_ANSWER_WORKING_DAYS)


def deadline_text(due_at: dt.datetime, *, now: dt.datetime) -> str:
    """A deadline as people say it: "the end of Tuesday 8 December, UK time".

    The year is named only when it is not the year of ``now``. A deadline that is not at the
    end of its day (the portal's always are) is given with its time.
    """
    local = due_at.astimezone(LONDON)
    day = day_text(local, now=now)
    if (local.hour, local.minute) == (END_OF_DAY.hour, END_OF_DAY.minute):
        return f"the end of {day}, UK time"
    return f"{local:%H:%M} on {day}, UK time"


def day_text(at: dt.datetime, *, now: dt.datetime) -> str:
    """A day as the portal writes it in a sentence: "Tuesday 8 December", with the year only
    when it is not the year of ``now`` (UK time)."""
    local = at.astimezone(LONDON)
    day = f"{local:%A} {local.day} {local:%B}"
    if local.year != now.astimezone(LONDON).year:
        day += f" {local.year}"
    return day


def moment_text(at: dt.datetime, *, now: dt.datetime) -> str:
    """A moment as the portal writes it in a sentence: "14:33" today, "14:33 on Tuesday 8
    December" another day (UK time)."""
    local = at.astimezone(LONDON)
    if local.date() == now.astimezone(LONDON).date():
        return f"{local:%H:%M}"
    return f"{local:%H:%M} on {day_text(local, now=now)}"


def days_left_text(
    now: dt.datetime,
    due_at: dt.datetime,
    calendar: WorkingDayCalendar | None = None,
    *,
    non_working_days: Iterable[dt.date] | None = None,
) -> str:
    """How long is left, beside the deadline's date: "5 Working Days left" on the day a request
    is raised, "1 Working Day left" on the day before the last, "due today" on the last day,
    "overdue" once the deadline has passed.

    The rule: the Working Days after today, up to and including the day the answer is due.
    The deadline is the end of the fifth Working Day after the day of notice, so the day of
    notice shows 5 whether or not it is a Working Day itself.

    Without a ``calendar``, today's (:func:`working_day_calendar`), with the extra
    ``non_working_days`` if the caller read them along with something else.
    """
    if now > due_at:
        return "overdue"
    calendar = calendar or working_day_calendar(non_working_days)
    left = calendar.working_days_left(now, due_at)
    if left == 0:
        return "due today"
    return f"{left} Working Day{'' if left == 1 else 's'} left"
