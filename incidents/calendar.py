"""The one Working-Day calendar every deadline and figure uses: SEC Working Days, the bank
holidays of the configured region, and the extra non-working days the helpdesk adds in admin."""

import datetime as dt

from django.conf import settings

from ssi_portal.lib.working_days import WorkingDayCalendar


def working_day_calendar() -> WorkingDayCalendar:
    """A calendar with today's extra non-working days (one small query)."""
    from .models import NonWorkingDay

    return WorkingDayCalendar(
        country=settings.SSI_HOLIDAY_COUNTRY,
        subdivision=settings.SSI_HOLIDAY_SUBDIVISION,
        extra_non_working_days=NonWorkingDay.objects.values_list("date", flat=True),
    )


def answer_deadline(
    notified_at: dt.datetime, calendar: WorkingDayCalendar | None = None
) -> dt.datetime:
    """End of the fifth Working Day (``SSI_ANSWER_WORKING_DAYS``) after the day of notice."""
    calendar = calendar or working_day_calendar()
    return calendar.deadline_after(notified_at, settings.SSI_ANSWER_WORKING_DAYS)
