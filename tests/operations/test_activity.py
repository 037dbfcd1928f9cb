"""The last 24 hours on the operations page: the figures hour by hour, and the chart drawn
from them."""

import datetime as dt

import pytest

from conftest import INSTALL_CODE_WITH_CRC
from incidents import services
from operations import charts
from operations.selectors.activity import Hour, activity_by_hour
from tests.factories import DeviceFactory
from tests.support.outbox import make_notification

NOW = dt.datetime(2026, 4, 1, 9, 30, tzinfo=dt.UTC)
FIRST_HOUR = dt.datetime(2026, 3, 31, 10, 0, tzinfo=dt.UTC)  # 23 hours before NOW's hour


def at(hours: int, minutes: int = 0) -> dt.datetime:
    """``hours`` whole hours after the first hour of the chart, and ``minutes``."""
    return FIRST_HOUR + dt.timedelta(hours=hours, minutes=minutes)


def sent(when: dt.datetime, queued_before: dt.timedelta = dt.timedelta(minutes=1)) -> None:
    make_notification(
        status="sent", recipient="ops@dcc.example", now=when, age=queued_before, sent_at=when
    )


@pytest.fixture
def known_rows(gaining_user, installing_user, installing_supplier):
    def raised(when):
        device = DeviceFactory(installing_supplier=installing_supplier)
        return services.incident_raise(actor=gaining_user, device_id=device.device_id, now=when)

    sent(at(23, 10))
    sent(at(22, 59))
    sent(at(22, 1))
    sent(at(0))  # the first moment of the chart
    sent(at(-1, 59))  # a minute before it: left out
    make_notification(status="failed", recipient="ops@dcc.example", now=at(22, 15))
    make_notification(status="pending", recipient="ops@dcc.example", now=at(22, 20))
    raised(at(0))
    answered = raised(at(-2))  # raised before the chart, answered inside it
    services.incident_answer(
        actor=installing_user, incident=answered, install_code=INSTALL_CODE_WITH_CRC, now=at(23, 25)
    )
    disclaimed = raised(at(23, 20))
    services.incident_answer_not_installed(
        actor=installing_user, incident=disclaimed, reason="", now=at(23, 28)
    )


@pytest.mark.django_db
def test_the_figures_of_each_hour_come_from_the_rows_of_that_hour(known_rows):
    hours = activity_by_hour(now=NOW)

    assert [h.start for h in hours] == [at(n) for n in range(24)]
    nonzero = {
        index: (h.emails_sent, h.emails_failed, h.requests_raised, h.requests_answered)
        for index, h in enumerate(hours)
        if (h.emails_sent, h.emails_failed, h.requests_raised, h.requests_answered) != (0,) * 4
    }
    assert nonzero == {0: (1, 0, 1, 0), 22: (2, 1, 0, 0), 23: (1, 0, 1, 2)}


@pytest.mark.django_db
def test_nothing_after_now_is_counted(known_rows):
    hours = activity_by_hour(now=at(23, 5))

    assert (hours[-1].emails_sent, hours[-1].requests_answered) == (0, 0)


@pytest.mark.django_db
def test_the_page_shows_the_figures_in_its_table(client, helpdesk_user, known_rows):
    import time_machine

    with time_machine.travel(NOW, tick=False):
        client.force_login(helpdesk_user)
        html = client.get("/operations/").content.decode()

    table = html[html.index('id="hours"') :]
    # 10:00 UTC on 31 March is 11:00 in London (summer time).
    assert '<time datetime="2026-03-31T11:00:00+01:00">31 Mar 11:00</time> to 12:00' in table
    assert "<td>2</td><td>1</td><td>0</td><td>0</td>" in table  # 08:00 UTC, 09:00 in London
    assert "Totals of the 24 hours: emails sent, 4; emails failed, 1." in html
    assert "Totals of the 24 hours: requests raised, 2; requests answered, 2." in html


def test_each_bar_is_as_high_as_its_figure_on_a_round_axis():
    hours = [Hour(at(n)) for n in range(24)]
    hours[5] = Hour(at(5), emails_sent=3, emails_failed=1)

    chart = charts.hourly_chart(hours, charts.EMAIL_SERIES)

    assert [tick["value"] for tick in chart["ticks"]] == [0, 1, 2, 3]
    sent_bar, failed_bar = chart["groups"][5]["bars"]
    full = charts.PLOT_BOTTOM - charts.PLOT_TOP
    assert (sent_bar["series"], sent_bar["height"]) == ("emails-sent", full)
    assert (failed_bar["series"], failed_bar["height"]) == ("emails-failed", round(full / 3, 1))
    assert chart["groups"][0]["bars"][0]["height"] == 0
    assert failed_bar["x"] > sent_bar["x"] + sent_bar["width"]
    assert chart["totals"] == [
        {"label": "Emails sent", "value": 3},
        {"label": "Emails failed", "value": 1},
    ]


def test_every_third_hour_is_labelled():
    chart = charts.hourly_chart([Hour(at(n)) for n in range(24)], charts.REQUEST_SERIES)

    assert [i for i, group in enumerate(chart["groups"]) if group["label"]] == list(range(0, 24, 3))


@pytest.mark.parametrize(
    ("maximum", "top", "ticks"),
    [
        (0, 1, [0, 1]),
        (5, 5, [0, 1, 2, 3, 4, 5]),
        (7, 8, [0, 2, 4, 6, 8]),
        (420, 500, [0, 100, 200, 300, 400, 500]),
    ],
)
def test_the_axis_ends_on_a_round_number(maximum, top, ticks):
    assert charts.axis(maximum) == (top, ticks)
