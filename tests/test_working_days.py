"""SEC Working Days and the five-Working-Day deadline, across holidays and clock changes."""

import datetime as dt
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ssi_portal.lib.working_days import WorkingDayCalendar

PROPERTIES = settings(max_examples=200, deadline=None)

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
ENGLAND = WorkingDayCalendar()
SCOTLAND = WorkingDayCalendar(subdivision="SCT")
ENG_BANK_HOLIDAYS = holidays.country_holidays("GB", subdiv="ENG", years=range(2025, 2031))

# DOMAIN.md: notified Wednesday 1 April 2026 -> Good Friday and Easter Monday do not count ->
# due at the end of Friday 10 April 2026, 23:59:59 BST.
DOMAIN_NOTIFIED = dt.datetime(2026, 4, 1, 10, 0, tzinfo=LONDON)
DOMAIN_DUE = dt.datetime(2026, 4, 10, 22, 59, 59, tzinfo=dt.UTC)


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def london(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=LONDON)


def due_day(calendar: WorkingDayCalendar, notified_at: dt.datetime) -> dt.date:
    return calendar.deadline_after(notified_at, 5).astimezone(LONDON).date()


# --- The deadline -------------------------------------------------------------------------------


def test_the_domain_example_is_due_at_the_end_of_friday_10_april_2026():
    assert ENGLAND.deadline_after(DOMAIN_NOTIFIED, 5) == DOMAIN_DUE


def test_the_deadline_is_returned_in_utc():
    assert ENGLAND.deadline_after(DOMAIN_NOTIFIED, 5).tzinfo is dt.UTC


@pytest.mark.parametrize(
    ("notified_at", "due_at"),
    [
        (london(2026, 1, 12, 9), utc(2026, 1, 19, 23, 59, 59)),
        (london(2026, 6, 15, 9), utc(2026, 6, 22, 22, 59, 59)),
    ],
    ids=["winter: GMT equals UTC", "summer: BST is an hour ahead of UTC"],
)
def test_the_deadline_is_one_second_before_london_midnight(notified_at, due_at):
    assert ENGLAND.deadline_after(notified_at, 5) == due_at


@pytest.mark.parametrize(
    ("notified_at", "due_at"),
    [
        # Clocks go back on Sunday 25 October 2026: notified in BST, due in GMT.
        (london(2026, 10, 21, 9), utc(2026, 10, 28, 23, 59, 59)),
        # Clocks go forward on Sunday 29 March 2026: notified in GMT, due in BST.
        (london(2026, 3, 25, 9), utc(2026, 4, 1, 22, 59, 59)),
    ],
    ids=["October clock change", "March clock change"],
)
def test_a_deadline_spanning_a_clock_change_takes_the_offset_of_its_own_day(notified_at, due_at):
    assert ENGLAND.deadline_after(notified_at, 5) == due_at


@pytest.mark.parametrize(
    ("notified_at", "due_at"),
    [
        # 23:30 BST on Tuesday 31 March is 22:30 UTC the same day: it counts from 31 March.
        (utc(2026, 3, 31, 22, 30), utc(2026, 4, 9, 22, 59, 59)),
        # 00:30 BST on Wednesday 1 April is still 31 March in UTC: it counts from 1 April.
        (utc(2026, 3, 31, 23, 30), utc(2026, 4, 10, 22, 59, 59)),
        # In winter London and UTC agree: the last second of Thursday 15 January...
        (utc(2026, 1, 15, 23, 59, 59), utc(2026, 1, 22, 23, 59, 59)),
        # ...and the first second of Friday 16 January.
        (utc(2026, 1, 16, 0, 0, 0), utc(2026, 1, 23, 23, 59, 59)),
    ],
    ids=[
        "late evening in BST",
        "just after London midnight in BST",
        "last second of a winter day",
        "first second of a winter day",
    ],
)
def test_the_notification_counts_from_its_day_in_london(notified_at, due_at):
    assert ENGLAND.deadline_after(notified_at, 5) == due_at


def test_a_notification_time_in_another_zone_is_read_on_the_london_calendar():
    # 19:30 EDT in New York on 31 March 2026 is 00:30 BST on 1 April in London.
    notified_at = dt.datetime(2026, 3, 31, 19, 30, tzinfo=NEW_YORK)

    assert ENGLAND.deadline_after(notified_at, 5) == DOMAIN_DUE


def test_a_notification_before_christmas_skips_christmas_boxing_day_and_new_year():
    # 2026: Christmas Friday, Boxing Day Saturday (substitute Monday 28th), New Year Friday.
    assert ENGLAND.deadline_after(london(2026, 12, 23, 9), 5) == utc(2027, 1, 4, 23, 59, 59)


def test_a_notification_before_christmas_2027_skips_both_substitute_days():
    # 2027: Christmas on Saturday, Boxing Day on Sunday, substitutes on Monday 27 and Tuesday 28;
    # New Year 2028 on Saturday, substitute Monday 3 January.
    assert ENGLAND.deadline_after(london(2027, 12, 23, 9), 5) == utc(2028, 1, 4, 23, 59, 59)


@pytest.mark.parametrize(
    "notified_at",
    [london(2026, 6, 13, 11), london(2026, 6, 14, 23, 59)],
    ids=["Saturday", "Sunday"],
)
def test_a_request_raised_at_the_weekend_counts_from_monday(notified_at):
    assert due_day(ENGLAND, notified_at) == dt.date(2026, 6, 19)


@pytest.mark.parametrize(
    "notified_at",
    [london(2026, 4, 3, 11), london(2026, 4, 6, 11)],
    ids=["Good Friday", "Easter Monday"],
)
def test_a_request_raised_on_a_bank_holiday_counts_from_the_next_working_day(notified_at):
    # Tuesday 7 April is Working Day 1, so Monday 13 April is Working Day 5.
    assert due_day(ENGLAND, notified_at) == dt.date(2026, 4, 13)


def test_an_extra_non_working_day_pushes_the_deadline_back_a_day():
    calendar = WorkingDayCalendar(extra_non_working_days=[dt.date(2026, 4, 8)])

    assert due_day(calendar, DOMAIN_NOTIFIED) == dt.date(2026, 4, 13)


@pytest.mark.parametrize(
    "extra",
    [dt.date(2026, 4, 6), dt.date(2026, 4, 11), dt.date(2026, 4, 13), dt.date(2026, 4, 1)],
    ids=["already a bank holiday", "a Saturday", "after the deadline", "the day notified"],
)
def test_an_extra_non_working_day_that_is_not_a_counted_day_leaves_the_deadline(extra):
    calendar = WorkingDayCalendar(extra_non_working_days=[extra])

    assert due_day(calendar, DOMAIN_NOTIFIED) == dt.date(2026, 4, 10)


@pytest.mark.parametrize(
    ("notified_at", "in_england", "in_scotland"),
    [
        # Scotland keeps 2 January as a bank holiday.
        (london(2025, 12, 31, 9), dt.date(2026, 1, 8), dt.date(2026, 1, 9)),
        # Scotland has no Easter Monday bank holiday.
        (DOMAIN_NOTIFIED, dt.date(2026, 4, 10), dt.date(2026, 4, 9)),
    ],
    ids=["2 January", "Easter Monday"],
)
def test_the_subdivision_changes_the_deadline(notified_at, in_england, in_scotland):
    assert (due_day(ENGLAND, notified_at), due_day(SCOTLAND, notified_at)) == (
        in_england,
        in_scotland,
    )


def test_a_count_other_than_five_is_honoured():
    assert ENGLAND.deadline_after(DOMAIN_NOTIFIED, 1) == utc(2026, 4, 2, 22, 59, 59)


@pytest.mark.parametrize("count", [0, -1])
def test_a_deadline_needs_a_count_of_at_least_one(count):
    with pytest.raises(ValueError, match="at least 1"):
        ENGLAND.deadline_after(DOMAIN_NOTIFIED, count)


def test_a_deadline_refuses_a_naive_notification_time():
    with pytest.raises(ValueError, match="notified_at must be an aware datetime"):
        ENGLAND.deadline_after(dt.datetime(2026, 4, 1, 10, 0), 5)  # noqa: DTZ001


@PROPERTIES
@given(
    notified_at=st.datetimes(
        min_value=dt.datetime(2025, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive
        max_value=dt.datetime(2030, 12, 31),  # noqa: DTZ001
        timezones=st.just(dt.UTC),
    ),
    count=st.integers(1, 30),
)
def test_any_deadline_is_the_last_second_of_a_working_day_in_london(notified_at, count):
    due = ENGLAND.deadline_after(notified_at, count).astimezone(LONDON)

    assert due.time() == dt.time(23, 59, 59)
    assert ENGLAND.is_working_day(due.date())
    notified_day = notified_at.astimezone(LONDON).date()
    assert ENGLAND.working_days_between(notified_day, due.date()) == count


# --- Which days are Working Days ----------------------------------------------------------------


@pytest.mark.parametrize(
    "day",
    [
        dt.date(2026, 4, 11),
        dt.date(2026, 4, 12),
        dt.date(2026, 4, 3),
        dt.date(2026, 4, 6),
        dt.date(2026, 12, 25),
        dt.date(2026, 12, 26),
        dt.date(2026, 12, 28),
        dt.date(2027, 1, 1),
        dt.date(2027, 12, 27),
        dt.date(2027, 12, 28),
    ],
    ids=[
        "Saturday",
        "Sunday",
        "Good Friday 2026",
        "Easter Monday 2026",
        "Christmas Day 2026",
        "Boxing Day 2026 (a Saturday)",
        "Boxing Day 2026 substitute",
        "New Year's Day 2027",
        "Christmas 2027 substitute",
        "Boxing Day 2027 substitute",
    ],
)
def test_weekends_and_bank_holidays_are_not_working_days(day):
    assert not ENGLAND.is_working_day(day)


@pytest.mark.parametrize(
    "day",
    [dt.date(2026, 4, 10), dt.date(2026, 12, 24), dt.date(2026, 12, 29), dt.date(2027, 12, 29)],
    ids=["an ordinary Friday", "Christmas Eve", "29 December 2026", "29 December 2027"],
)
def test_an_ordinary_weekday_is_a_working_day(day):
    assert ENGLAND.is_working_day(day)


def test_the_christmas_2027_substitute_days_are_the_holidays_package_s_own():
    # Christmas 2027 falls on a Saturday; the package, not this test, says which days replace it.
    substitutes = {
        day for day, name in ENG_BANK_HOLIDAYS.items() if day.year == 2027 and "observed" in name
    }

    assert substitutes == {dt.date(2027, 12, 27), dt.date(2027, 12, 28)}
    assert not any(ENGLAND.is_working_day(day) for day in substitutes)


def test_every_england_and_wales_bank_holiday_in_the_package_is_not_a_working_day():
    assert [day for day in ENG_BANK_HOLIDAYS if ENGLAND.is_working_day(day)] == []


def test_a_scottish_bank_holiday_is_a_working_day_in_england():
    second_of_january = dt.date(2026, 1, 2)

    assert ENGLAND.is_working_day(second_of_january)
    assert not SCOTLAND.is_working_day(second_of_january)


@pytest.mark.parametrize(
    "day", [dt.date(2026, 12, 25), dt.date(2026, 4, 3)], ids=["Christmas", "Good Friday"]
)
def test_christmas_day_and_good_friday_are_never_working_days_whatever_the_region(day):
    # The SEC names both; a region whose list left them out must still not count them.
    calendar = WorkingDayCalendar(country="JP", subdivision=None)

    assert not calendar.is_working_day(day)


def test_an_extra_non_working_day_is_not_a_working_day():
    calendar = WorkingDayCalendar(extra_non_working_days=[dt.date(2026, 4, 8)])

    assert not calendar.is_working_day(dt.date(2026, 4, 8))


# --- Counting Working Days ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "count", "expected"),
    [
        (dt.date(2026, 4, 1), 5, dt.date(2026, 4, 10)),
        (dt.date(2026, 6, 12), 1, dt.date(2026, 6, 15)),
        (dt.date(2026, 6, 15), 1, dt.date(2026, 6, 16)),
    ],
    ids=["over Easter", "Friday to Monday", "the day itself never counts"],
)
def test_add_working_days_counts_from_the_day_after(start, count, expected):
    assert ENGLAND.add_working_days(start, count) == expected


@pytest.mark.parametrize("count", [0, -5])
def test_add_working_days_needs_a_count_of_at_least_one(count):
    with pytest.raises(ValueError, match="count must be at least 1"):
        ENGLAND.add_working_days(dt.date(2026, 4, 1), count)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (dt.date(2026, 4, 1), dt.date(2026, 4, 1), 0),
        (dt.date(2026, 4, 10), dt.date(2026, 4, 1), 0),
        (dt.date(2026, 6, 12), dt.date(2026, 6, 14), 0),
        (dt.date(2026, 6, 12), dt.date(2026, 6, 15), 1),
        (dt.date(2026, 4, 2), dt.date(2026, 4, 7), 1),
        (dt.date(2026, 4, 1), dt.date(2026, 4, 10), 5),
    ],
    ids=[
        "same day",
        "end before start",
        "Friday to Sunday",
        "Friday to Monday",
        "across Easter",
        "the domain example",
    ],
)
def test_working_days_between_counts_days_after_start_up_to_and_including_end(start, end, expected):
    assert ENGLAND.working_days_between(start, end) == expected


@PROPERTIES
@given(
    start=st.dates(min_value=dt.date(2025, 1, 1), max_value=dt.date(2030, 12, 31)),
    count=st.integers(1, 40),
)
def test_working_days_between_undoes_add_working_days(start, count):
    assert ENGLAND.working_days_between(start, ENGLAND.add_working_days(start, count)) == count


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (london(2026, 4, 1, 10), 5),
        (london(2026, 4, 3, 10), 4),
        (london(2026, 4, 9, 9), 1),
        (london(2026, 4, 10, 9), 0),
        (DOMAIN_DUE, 0),
        (DOMAIN_DUE + dt.timedelta(seconds=1), 0),
        (london(2026, 4, 20, 9), 0),
    ],
    ids=[
        "on the day notified: all five",
        "on Good Friday",
        "on the day before the due day",
        "on the due day",
        "at the deadline itself",
        "a second after the deadline",
        "long after the deadline",
    ],
)
def test_working_days_left_counts_the_working_days_after_today_up_to_the_due_day(now, expected):
    assert ENGLAND.working_days_left(now, DOMAIN_DUE) == expected


@pytest.mark.parametrize(
    ("now", "due_at", "name"),
    [
        (dt.datetime(2026, 4, 8, 10), DOMAIN_DUE, "now"),  # noqa: DTZ001
        (london(2026, 4, 8, 10), dt.datetime(2026, 4, 10, 23, 59, 59), "due_at"),  # noqa: DTZ001
    ],
    ids=["naive now", "naive due_at"],
)
def test_working_days_left_refuses_a_naive_datetime(now, due_at, name):
    with pytest.raises(ValueError, match=f"{name} must be an aware datetime"):
        ENGLAND.working_days_left(now, due_at)
