"""The deadline as people read it: its date first ("due by the end of Friday 10 April, UK
time"), then the Working Days left, counted so that a request raised today shows 5."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from incidents.calendar import days_left_text, deadline_text, moment_text
from incidents.models import IncidentEvent, NonWorkingDay
from incidents.services import incident_raise
from notifications.models import Notification
from ssi_portal.lib.email import render_email

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
# Wednesday 1 April 2026, 10:00 in London: due at the end of Friday 10 April (Easter between).
RAISED_AT = dt.datetime(2026, 4, 1, 10, 0, tzinfo=LONDON)
DUE_AT = dt.datetime(2026, 4, 10, 23, 59, 59, tzinfo=LONDON)


def london(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=LONDON)


# --- The words ----------------------------------------------------------------------------------


def test_a_deadline_reads_as_the_end_of_its_day_in_uk_time():
    assert deadline_text(DUE_AT, now=RAISED_AT) == "the end of Friday 10 April, UK time"


def test_a_deadline_in_another_year_names_its_year():
    due = london(2027, 1, 5, 23, 59, 59)

    assert deadline_text(due, now=london(2026, 12, 29, 9)) == (
        "the end of Tuesday 5 January 2027, UK time"
    )


def test_a_deadline_stored_in_utc_is_read_in_london_across_the_clock_change():
    # 22:59:59 UTC in British Summer Time is 23:59:59 in London.
    due = dt.datetime(2026, 4, 10, 22, 59, 59, tzinfo=dt.UTC)

    assert deadline_text(due, now=RAISED_AT) == "the end of Friday 10 April, UK time"


def test_a_deadline_that_is_not_at_the_end_of_a_day_gives_its_time():
    assert deadline_text(london(2026, 4, 10, 17, 0), now=RAISED_AT) == (
        "17:00 on Friday 10 April, UK time"
    )


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (RAISED_AT, "5 Working Days left"),
        (london(2026, 4, 3, 10), "4 Working Days left"),  # Good Friday
        (london(2026, 4, 6, 10), "4 Working Days left"),  # Easter Monday
        (london(2026, 4, 9, 10), "1 Working Day left"),
        (london(2026, 4, 10, 0, 0), "due today"),
        (DUE_AT, "due today"),
        (DUE_AT + dt.timedelta(seconds=1), "overdue"),
    ],
    ids=[
        "on the day it is raised",
        "on a bank holiday after it",
        "on the next bank holiday",
        "the day before the last",
        "the last day, at midnight",
        "the last second",
        "past the deadline",
    ],
)
def test_the_days_left_count_the_working_days_after_today_up_to_the_last(now, expected):
    assert days_left_text(now, DUE_AT) == expected


def test_a_request_raised_on_a_saturday_also_shows_five_working_days():
    saturday = london(2026, 4, 11, 10)
    due = london(2026, 4, 17, 23, 59, 59)  # Friday: the fifth Working Day after Saturday

    assert days_left_text(saturday, due) == "5 Working Days left"


# --- The incident page ------------------------------------------------------------------------


@pytest.fixture
def raised(gaining_user, device):
    return incident_raise(actor=gaining_user, device_id=device.device_id, now=RAISED_AT)


def _due_on_page(client, user, incident, now) -> str:
    client.force_login(user)
    with time_machine.travel(now, tick=False):
        response = client.get(reverse("incidents:detail", args=[incident.public_id]))
    html = response.content.decode()
    start = html.index('id="due">')
    return " ".join(html[start : html.index("</dd>", start)].split())


def test_the_page_shows_the_deadline_first_and_five_days_left_on_the_day_raised(
    client, installing_user, raised
):
    due = _due_on_page(client, installing_user, raised, RAISED_AT)

    assert due == (
        'id="due"> <span class="d-block fw-semibold">Due by the end of Friday 10 April, '
        'UK time</span> <span class="d-block" id="days-left">5 Working Days left</span>'
    )


def test_the_page_counts_a_day_the_helpdesk_added_after_the_request_was_raised(
    client, installing_user, raised
):
    # Read with the incident: the days the helpdesk adds count from then on.
    NonWorkingDay.objects.create(date=dt.date(2026, 4, 8), description="Stocktake")
    NonWorkingDay.objects.create(date=dt.date(2026, 4, 9), description="Stocktake")

    due = _due_on_page(client, installing_user, raised, london(2026, 4, 7, 9))

    assert '<span class="d-block" id="days-left">1 Working Day left</span>' in due


def test_the_page_says_due_today_on_the_last_day(client, installing_user, raised):
    due = _due_on_page(client, installing_user, raised, london(2026, 4, 10, 9))

    assert '<span class="d-block" id="days-left">Due today</span>' in due


def test_the_page_says_overdue_once_the_deadline_has_passed(client, installing_user, raised):
    due = _due_on_page(client, installing_user, raised, london(2026, 4, 11, 9))

    assert '<span class="d-block" id="days-left">Overdue</span>' in due


# --- The timeline and the emails ---------------------------------------------------------------


def test_the_raised_event_names_the_deadline_the_same_way(raised):
    event = IncidentEvent.objects.get(incident=raised)

    assert event.message == (
        "Assigned to the installing Supplier, Installing Power. The five-Working-Day clock "
        "starts: answer due by the end of Friday 10 April, UK time."
    )


def test_the_assignment_email_gives_the_deadline_as_its_date(raised):
    notification = Notification.objects.filter(template="incident_assigned").first()

    subject, text, html = render_email(notification.template, notification.context)

    assert "Answer due: by the end of Friday 10 April, UK time\n" in text
    assert "<td>by the end of Friday 10 April, UK time</td>" in html


# --- Moments in a sentence ("at 14:33", "at 14:33 on Tuesday 8 December") ----------------------


def test_a_moment_today_is_its_time_alone():
    now = dt.datetime(2026, 4, 3, 9, 0, tzinfo=dt.UTC)

    assert moment_text(dt.datetime(2026, 4, 3, 13, 33, tzinfo=dt.UTC), now=now) == "14:33"


def test_a_moment_another_day_names_the_day_as_a_deadline_does():
    now = dt.datetime(2026, 4, 3, 9, 0, tzinfo=dt.UTC)

    assert moment_text(dt.datetime(2026, 4, 4, 13, 33, tzinfo=dt.UTC), now=now) == (
        "14:33 on Saturday 4 April"
    )


def test_a_moment_in_another_year_names_the_year_as_a_deadline_does():
    now = dt.datetime(2026, 12, 31, 12, 0, tzinfo=dt.UTC)

    assert moment_text(dt.datetime(2027, 1, 1, 9, 5, tzinfo=dt.UTC), now=now) == (
        "09:05 on Friday 1 January 2027"
    )
