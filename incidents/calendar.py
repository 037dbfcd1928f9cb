"""The Working-Day calendar the incidents app uses for every deadline."""

from django.conf import settings

from ssi_portal.lib.working_days import WorkingDayCalendar


def working_day_calendar() -> WorkingDayCalendar:
    return _calendar_for(settings.SSI_HOLIDAY_COUNTRY, settings.SSI_HOLIDAY_SUBDIVISION)


_calendars: dict[tuple[str, str], WorkingDayCalendar] = {}


def _calendar_for(country: str, subdivision: str) -> WorkingDayCalendar:
    key = (country, subdivision)
    if key not in _calendars:
        _calendars[key] = WorkingDayCalendar(country=country, subdivision=subdivision)
    return _calendars[key]


def answer_deadline(notified_at):
    return working_day_calendar().deadline_after(notified_at, settings.SSI_ANSWER_WORKING_DAYS)
