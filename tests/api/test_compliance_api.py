"""A Supplier's own compliance figures through the API: exactly the page's, its period refused
in the page's words naming the field."""

import datetime as dt

import pytest
import time_machine

from incidents.selectors.compliance import Period, compliance_for_supplier
from incidents.services import incident_answer, incident_raise
from tests.factories import DeviceFactory

from .conftest import caller

pytestmark = pytest.mark.django_db
COMPLIANCE = "/api/v1/compliance/"
# Thursday 16 April 2026, in the middle of a London working day.
TODAY = dt.datetime(2026, 4, 16, 11, 0, tzinfo=dt.UTC)


@pytest.fixture
def requests_answered(gaining_user, installing_user, installing_supplier, device):
    """Two requests notified to the installing Supplier in March 2026: one answered, one open."""
    with time_machine.travel(dt.datetime(2026, 3, 4, 10, 0, tzinfo=dt.UTC), tick=False):
        answered = incident_raise(actor=gaining_user, device_id=device.device_id)
        incident_raise(
            actor=gaining_user,
            device_id=DeviceFactory(installing_supplier=installing_supplier).device_id,
        )
    with time_machine.travel(dt.datetime(2026, 3, 6, 10, 0, tzinfo=dt.UTC), tick=False):
        incident_answer(
            actor=installing_user,
            incident=answered,
            install_code="83FED3407A939723A5C639B26916D505",
        )


def test_a_supplier_gets_its_own_figures_exactly_as_its_page_counts_them(
    installing_api, installing_supplier, requests_answered
):
    response = installing_api.get(COMPLIANCE, {"start": "2026-02-01", "end": "2026-03-31"})

    assert response.status_code == 200
    body = response.json()
    report = compliance_for_supplier(
        installing_supplier, Period(dt.date(2026, 2, 1), dt.date(2026, 3, 31))
    )
    assert body["supplier"] == "Installing Power"
    assert body["period"] == {"start": "2026-02-01", "end": "2026-03-31"}
    assert [m["month"] for m in body["months"]] == ["2026-02", "2026-03"]
    march = body["months"][1]["figures"]
    assert march == {
        "received": 2,
        "on_time": 1,
        "late": 0,
        "open": 1,
        "reassigned": 0,
        "withdrawn": 0,
        "breached": 0,
        "median_working_days": float(report.months[1].figures.median_working_days),
    }
    assert body["total"]["received"] == report.total.received == 2


def test_the_raising_supplier_has_no_figures_of_requests_it_raised(gaining_api, requests_answered):
    body = gaining_api.get(COMPLIANCE, {"start": "2026-03-01", "end": "2026-03-31"}).json()

    assert body["total"]["received"] == 0
    assert body["total"]["median_working_days"] is None


def test_without_dates_the_period_is_the_pages_default(installing_api):
    with time_machine.travel(TODAY, tick=False):
        body = installing_api.renew().get(COMPLIANCE).json()

    assert body["period"] == {"start": "2026-01-01", "end": "2026-04-16"}
    assert [m["month"] for m in body["months"]] == ["2026-01", "2026-02", "2026-03", "2026-04"]


def test_a_date_left_out_is_the_default_periods(installing_api):
    with time_machine.travel(TODAY, tick=False):
        body = installing_api.renew().get(COMPLIANCE, {"start": "2026-04-01"}).json()

    assert body["period"] == {"start": "2026-04-01", "end": "2026-04-16"}


@pytest.mark.parametrize(
    ("query", "field", "detail"),
    [
        ({"start": "2026-02-30"}, "start", "Enter a real date, for example 2026-04-01."),
        ({"end": "16/04/2026"}, "end", "Enter a real date, for example 2026-04-01."),
        ({"start": "1999-12-31"}, "start", "Enter a date between 2000 and 2099."),
        (
            {"start": "2026-04-02", "end": "2026-04-01"},
            "start",
            "The start date must be on or before the end date.",
        ),
        (
            {"start": "2023-01-01", "end": "2026-01-02"},
            "end",
            "The period can be at most 2 years long: choose a later start date.",
        ),
    ],
)
def test_a_period_the_page_refuses_is_refused_naming_the_field(
    installing_api, query, field, detail
):
    response = installing_api.get(COMPLIANCE, query)

    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": field, "code": "invalid", "detail": detail}]


def test_the_figures_need_the_read_scope(installing_supplier):
    api = caller(installing_supplier, scopes=["answer"])

    response = api.get(COMPLIANCE)

    assert response.status_code == 403
    assert "needs the read scope" in response.json()["detail"]


def test_a_nul_in_the_query_string_is_refused_as_a_problem_like_every_answer_of_the_api(
    installing_api,
):
    response = installing_api.get(COMPLIANCE, {"start": "2026-01-01\x00"})

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "bad_request"
    assert "NUL character" in response.json()["detail"]
