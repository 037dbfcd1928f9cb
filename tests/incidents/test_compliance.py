"""Compliance figures per installing Supplier: the counts, the median, the period in UK time,
the pages, who may see them, and the CSV downloads."""

import csv
import datetime as dt
import io
import statistics
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import INSTALL_CODE
from incidents.models import Assignment
from incidents.selectors.compliance import (
    ANSWERED,
    Figures,
    Period,
    assignments_in_period,
    compliance_by_supplier,
    compliance_for_supplier,
    default_period,
    medians_in_python,
)
from incidents.services import (
    incident_answer,
    incident_answer_not_installed,
    incident_close,
    incident_escalate_overdue,
    incident_raise,
    incident_reassign,
)
from incidents.views.compliance import month_chart
from tests.factories import DeviceFactory, SupplierFactory, UserFactory
from tests.test_html import assert_valid_page

LONDON = ZoneInfo("Europe/London")
UTC = dt.UTC
QUARTER = Period(dt.date(2026, 1, 1), dt.date(2026, 3, 31))
QUARTER_QUERY = {"start": "2026-01-01", "end": "2026-03-31"}
# 23:30 UTC on Wednesday 15 April 2026 is already Thursday 16 April in London (BST).
TODAY = dt.datetime(2026, 4, 15, 23, 30, tzinfo=dt.UTC)
# Figures from the database in one GROUP BY and one total; SQLite adds one fetch for medians.
SELECTOR_QUERIES = 2 if connection.vendor == "postgresql" else 3


def london(day: int, hour: int = 10, *, month: int = 2, year: int = 2026) -> dt.datetime:
    return dt.datetime(year, month, day, hour, 0, tzinfo=LONDON)


def raise_for(installer, raiser, at: dt.datetime):
    device = DeviceFactory(installing_supplier=installer)
    return incident_raise(actor=raiser, device_id=device.device_id, now=at)


def answer(incident, user, at: dt.datetime):
    return incident_answer(actor=user, incident=incident, install_code=INSTALL_CODE, now=at)


@pytest.fixture
def quarter(
    gaining_user,
    installing_supplier,
    installing_user,
    other_supplier,
    other_supplier_user,
    helpdesk_user,
):
    """A quarter of requests, played in time order through the services.

    Raised on Monday 2 February 2026 unless said otherwise, so due at the end of Monday 9
    February. Installing Power: answered after 1, 3 and (not installed) 4 Working Days; one
    breached then answered after 7; one breached and still open; one withdrawn; one
    reassigned; one in March answered late (6 Working Days) without a sweep in between; and one
    in December, outside the quarter. Third Party Gas: the reassigned one (answered after 1
    Working Day), the not-installed one (still open) and one of its own (answered after 4).
    """

    def reassign(incident, at):
        return incident_reassign(
            actor=helpdesk_user,
            incident=incident,
            supplier=other_supplier,
            reason="Found in the registration history",
            now=at,
        )

    december = raise_for(installing_supplier, gaining_user, london(15, month=12, year=2025))
    one_day, three_days, not_installed, breached_late, breached_open, withdrawn, moved = (
        raise_for(installing_supplier, gaining_user, london(2)) for _ in range(7)
    )
    third_own = raise_for(other_supplier, gaining_user, london(2))
    answer(one_day, installing_user, london(3))
    incident_close(
        actor=gaining_user, incident=withdrawn, outcome="no_longer_needed", now=london(3, 12)
    )
    reassign(moved, london(4))
    answer(moved, other_supplier_user, london(5))
    answer(three_days, installing_user, london(5))
    incident_answer_not_installed(actor=installing_user, incident=not_installed, now=london(6))
    answer(third_own, other_supplier_user, london(6))
    reassign(not_installed, london(9, 11))
    incident_escalate_overdue(now=london(10, 9))
    answer(breached_late, installing_user, london(11))
    march = raise_for(installing_supplier, gaining_user, london(2, month=3))
    answer(march, installing_user, london(10, month=3))
    return {"december": december, "march": march, "breached_open": breached_open}


INSTALLING_POWER = Figures(
    received=8,
    on_time=3,
    late=2,
    open=1,
    reassigned=1,
    withdrawn=1,
    breached=2,
    median_working_days=Decimal("4.0"),
)
THIRD_PARTY_GAS = Figures(
    received=3,
    on_time=2,
    late=0,
    open=1,
    reassigned=0,
    withdrawn=0,
    breached=0,
    median_working_days=Decimal("2.5"),
)


def rows_by_name(table):
    return {row.supplier_name: row.figures for row in table.rows}


def parse_csv(response) -> list[list[str]]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


# --- The figures --------------------------------------------------------------------------------


def test_each_supplier_row_counts_every_outcome_and_the_median(quarter):
    assert rows_by_name(compliance_by_supplier(QUARTER)) == {
        "Installing Power": INSTALLING_POWER,
        "Third Party Gas": THIRD_PARTY_GAS,
    }


def test_the_columns_other_than_breached_add_up_to_received(quarter):
    for figures in rows_by_name(compliance_by_supplier(QUARTER)).values():
        assert (
            figures.on_time + figures.late + figures.open + figures.reassigned + figures.withdrawn
            == figures.received
        )


def test_a_breached_request_answered_afterwards_counts_as_late_and_breached(quarter):
    installing = rows_by_name(compliance_by_supplier(QUARTER))["Installing Power"]
    # Two late answers: one after a breach, one before the sweep noticed; two breaches: the
    # late answer and the one still open.
    assert (installing.late, installing.breached, installing.open) == (2, 2, 1)


def test_the_total_row_adds_every_supplier_and_takes_the_median_of_all_answers(quarter):
    total = compliance_by_supplier(QUARTER).total
    assert total == Figures(
        received=11,
        on_time=5,
        late=2,
        open=2,
        reassigned=1,
        withdrawn=1,
        breached=2,
        median_working_days=Decimal("4.0"),
    )


def test_a_request_notified_before_the_period_is_left_out(quarter):
    december = Period(dt.date(2025, 12, 1), dt.date(2025, 12, 31))
    assert rows_by_name(compliance_by_supplier(december)) == {
        "Installing Power": Figures(received=1, open=1, breached=1)
    }


def test_a_supplier_that_received_nothing_in_the_period_has_no_row(quarter):
    assert "Gaining Energy" not in rows_by_name(compliance_by_supplier(QUARTER))


def test_the_all_supplier_rows_are_sorted_by_name(quarter, gaining_user):
    SupplierFactory(name="Aardvark Utilities")
    raise_for(SupplierFactory(name="Zephyr Gas"), gaining_user, london(2))
    raise_for(SupplierFactory(name="Aardvark Energy"), gaining_user, london(2))
    names = [row.supplier_name for row in compliance_by_supplier(QUARTER).rows]
    assert names == ["Aardvark Energy", "Installing Power", "Third Party Gas", "Zephyr Gas"]


def test_an_empty_period_has_no_rows_zero_totals_and_no_median(db):
    table = compliance_by_supplier(QUARTER)
    assert (table.rows, table.total) == ([], Figures())


def test_a_suppliers_report_lists_every_month_of_the_period(quarter, installing_supplier):
    report = compliance_for_supplier(installing_supplier, QUARTER)
    assert [(row.month, row.figures) for row in report.months] == [
        (dt.date(2026, 1, 1), Figures()),
        (
            dt.date(2026, 2, 1),
            Figures(
                received=7,
                on_time=3,
                late=1,
                open=1,
                reassigned=1,
                withdrawn=1,
                breached=2,
                median_working_days=Decimal("3.5"),
            ),
        ),
        (dt.date(2026, 3, 1), Figures(received=1, late=1, median_working_days=Decimal("6.0"))),
    ]
    assert report.total == INSTALLING_POWER


def test_the_default_period_is_the_last_three_full_months_and_this_month_so_far():
    assert default_period(dt.date(2026, 5, 14)) == Period(dt.date(2026, 2, 1), dt.date(2026, 5, 14))
    assert default_period(dt.date(2026, 1, 1)) == Period(dt.date(2025, 10, 1), dt.date(2026, 1, 1))


# --- The period in UK time ----------------------------------------------------------------------


@pytest.fixture
def notified_late_on_31_march(gaining_user, installing_supplier):
    # 23:30 UTC on Tuesday 31 March 2026 is 00:30 on Wednesday 1 April in London (BST).
    return raise_for(
        installing_supplier, gaining_user, dt.datetime(2026, 3, 31, 23, 30, tzinfo=UTC)
    )


def test_a_request_notified_at_2330_utc_on_31_march_counts_on_1_april(notified_late_on_31_march):
    april_first = Period(dt.date(2026, 4, 1), dt.date(2026, 4, 1))
    march = Period(dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    assert compliance_by_supplier(april_first).total.received == 1
    assert compliance_by_supplier(march).total.received == 0


def test_a_request_notified_at_2330_utc_on_31_march_falls_in_the_april_bar(
    notified_late_on_31_march, installing_supplier
):
    spring = Period(dt.date(2026, 3, 1), dt.date(2026, 4, 30))
    report = compliance_for_supplier(installing_supplier, spring)
    assert [(row.month.month, row.figures.received) for row in report.months] == [(3, 0), (4, 1)]


def test_the_last_minute_of_the_end_date_in_london_is_inside_the_period(
    gaining_user, installing_supplier
):
    raise_for(installing_supplier, gaining_user, dt.datetime(2026, 3, 31, 23, 59, tzinfo=LONDON))
    raise_for(installing_supplier, gaining_user, dt.datetime(2026, 4, 1, 0, 0, tzinfo=LONDON))
    assert compliance_by_supplier(QUARTER).total.received == 1


# --- Staying set-based --------------------------------------------------------------------------


def _suppliers_with_requests(count: int, raiser) -> None:
    for _ in range(count):
        incident = raise_for(SupplierFactory(), raiser, london(2))
        answerer = UserFactory(supplier=incident.assigned_supplier)
        answer(incident, answerer, london(4))


def test_the_supplier_table_takes_the_same_queries_for_3_and_30_suppliers(
    gaining_user, django_assert_num_queries
):
    _suppliers_with_requests(3, gaining_user)
    with django_assert_num_queries(SELECTOR_QUERIES):
        assert len(compliance_by_supplier(QUARTER).rows) == 3
    _suppliers_with_requests(27, gaining_user)
    with django_assert_num_queries(SELECTOR_QUERIES):
        assert len(compliance_by_supplier(QUARTER).rows) == 30


def test_the_supplier_report_takes_the_same_queries_for_one_month_and_for_two_years(
    quarter, installing_supplier, django_assert_num_queries
):
    two_years = Period(dt.date(2024, 4, 1), dt.date(2026, 3, 31))
    with django_assert_num_queries(SELECTOR_QUERIES):
        compliance_for_supplier(installing_supplier, Period(QUARTER.start, QUARTER.start))
    with django_assert_num_queries(SELECTOR_QUERIES):
        assert len(compliance_for_supplier(installing_supplier, two_years).months) == 24


def test_the_helpdesk_page_takes_the_same_queries_for_3_and_30_suppliers(
    client, gaining_user, helpdesk_user
):
    client.force_login(helpdesk_user)
    url = reverse("incidents:compliance_all")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url, QUARTER_QUERY).status_code == 200
        return len(captured)

    _suppliers_with_requests(3, gaining_user)
    with_three = queries()
    _suppliers_with_requests(27, gaining_user)
    assert queries() == with_three


@pytest.mark.postgres("percentile_cont")
def test_the_median_from_postgresql_equals_the_python_median(quarter, gaining_user):
    for days_later, supplier in enumerate([SupplierFactory() for _ in range(4)] * 3):
        incident = raise_for(supplier, gaining_user, london(2, month=3))
        answer(incident, UserFactory(supplier=supplier), london(3 + days_later, month=3))
    table = compliance_by_supplier(QUARTER)
    medians, overall = medians_in_python(assignments_in_period(QUARTER), "supplier_id")
    assert {row.supplier_id: float(row.figures.median_working_days) for row in table.rows} == {
        supplier: float(Decimal(str(median)).quantize(Decimal("0.1")))
        for supplier, median in medians.items()
    }
    assert float(table.total.median_working_days) == overall


@pytest.mark.postgres("percentile_cont")
def test_postgresql_interpolates_the_median_of_an_even_count(quarter, other_supplier):
    answered = Assignment.objects.filter(ANSWERED, supplier=other_supplier)
    values = sorted(answered.values_list("answer_working_days", flat=True))
    assert values == [1, 4]
    assert rows_by_name(compliance_by_supplier(QUARTER))["Third Party Gas"].median_working_days == (
        Decimal(str(statistics.median(values)))
    )


# --- A Supplier's page --------------------------------------------------------------------------


@pytest.fixture
def supplier_page(client, installing_user, quarter):
    client.force_login(installing_user)
    return client.get(reverse("incidents:compliance"), QUARTER_QUERY).content.decode()


def test_a_supplier_sees_its_own_figures(supplier_page):
    assert "Compliance: Installing Power" in supplier_page
    assert "<dt>Received</dt><dd>8</dd>" in supplier_page
    assert "<dt>Breached</dt><dd>2</dd>" in supplier_page
    assert '<dd>4.0<span class="compliance-unit">Working Days</span></dd>' in supplier_page


def test_a_supplier_never_sees_another_suppliers_name(supplier_page):
    assert "Third Party Gas" not in supplier_page
    assert "Gaining Energy" not in supplier_page


def test_the_chart_is_an_svg_image_named_by_its_title_and_description(supplier_page):
    assert 'role="img" aria-labelledby="chart-title chart-desc"' in supplier_page
    assert '<title id="chart-title">' in supplier_page
    assert (
        "February 2026: 7 received, 3 answered on time, 1 answered late, 2 breached."
        in supplier_page
    )


def test_the_chart_uses_no_script_and_no_inline_styles(supplier_page):
    assert " style=" not in supplier_page
    assert "<script>" not in supplier_page and "<script " not in supplier_page.split("</head>")[1]


def test_the_chart_is_followed_by_a_table_of_the_same_numbers(supplier_page):
    after_chart = supplier_page.split("</svg>")[1]
    assert after_chart.lstrip().startswith("</div>")
    assert (
        '<caption id="by-month-caption">Requests sent to Installing Power by month' in after_chart
    )
    assert '<th scope="row">February 2026</th><td class="text-end">7</td>' in after_chart
    assert '<th scope="col">Month</th>' in after_chart


def test_the_page_says_that_breached_requests_are_also_counted_elsewhere(supplier_page):
    assert "breached is not part of the sum" in supplier_page


def test_the_download_link_carries_the_period(supplier_page):
    assert 'href="/compliance/export.csv?start=2026-01-01&amp;end=2026-03-31"' in supplier_page


def test_the_supplier_page_is_valid_html(supplier_page):
    assert_valid_page(supplier_page)


def test_without_a_period_the_page_shows_the_default_period(client, installing_user):
    client.force_login(installing_user)
    with time_machine.travel(TODAY, tick=False):
        response = client.get(reverse("incidents:compliance"))
    html = response.content.decode()
    assert response.context["report"].period == Period(dt.date(2026, 1, 1), dt.date(2026, 4, 16))
    assert 'name="start" value="2026-01-01"' in html and 'name="end" value="2026-04-16"' in html
    assert "was sent no requests in this period" in html


def test_a_blank_end_date_means_today(client, installing_user):
    client.force_login(installing_user)
    with time_machine.travel(TODAY, tick=False):
        response = client.get(reverse("incidents:compliance"), {"start": "2026-03-01", "end": ""})
    assert response.context["report"].period == Period(dt.date(2026, 3, 1), dt.date(2026, 4, 16))


def test_a_helpdesk_user_is_sent_from_the_supplier_page_to_the_all_supplier_table(
    client, helpdesk_user
):
    client.force_login(helpdesk_user)
    response = client.get(reverse("incidents:compliance"), QUARTER_QUERY)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("incidents:compliance_all") + "?start=")


def test_an_anonymous_visitor_is_sent_to_log_in_from_the_supplier_page(anonymous):
    response = anonymous.get(reverse("incidents:compliance"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_the_navigation_links_a_supplier_to_its_compliance_page(client, gaining_user):
    client.force_login(gaining_user)
    page = client.get(reverse("incidents:home")).content.decode()
    assert f'href="{reverse("incidents:compliance")}"' in page
    assert reverse("incidents:compliance_all") not in page


def test_the_navigation_links_the_helpdesk_to_the_all_supplier_table(client, helpdesk_user):
    client.force_login(helpdesk_user)
    page = client.get(reverse("incidents:home")).content.decode()
    assert f'href="{reverse("incidents:compliance_all")}"' in page


# --- The helpdesk's table: who may see it -------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("gaining_user", 403),
        ("installing_user", 403),
        ("other_supplier_user", 403),
        ("helpdesk_user", 200),
    ],
)
@pytest.mark.parametrize("page", ["incidents:compliance_all", "incidents:compliance_all_csv"])
def test_only_the_helpdesk_sees_every_suppliers_figures(client, request, persona, status, page):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse(page), QUARTER_QUERY).status_code == status


@pytest.mark.parametrize("page", ["incidents:compliance_all", "incidents:compliance_all_csv"])
def test_an_anonymous_visitor_is_sent_to_log_in_from_the_all_supplier_pages(anonymous, page):
    response = anonymous.get(reverse(page))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_the_supplier_page_is_refused_to_a_user_of_no_organisation(client, db):
    client.force_login(UserFactory(supplier=None))
    assert client.get(reverse("incidents:compliance")).status_code == 403


@pytest.fixture
def all_page(client, helpdesk_user, quarter):
    client.force_login(helpdesk_user)
    return client.get(reverse("incidents:compliance_all"), QUARTER_QUERY).content.decode()


def test_the_helpdesk_table_has_a_row_per_supplier_and_a_total(all_page):
    assert (
        '<th scope="row">Installing Power</th><td class="text-end">8</td>'
        '<td class="text-end">3</td><td class="text-end">2</td>' in all_page
    )
    assert '<th scope="row">Third Party Gas</th><td class="text-end">3</td>' in all_page
    assert '<th scope="row">All Suppliers</th><td class="text-end">11</td>' in all_page
    assert ">Requests sent to each installing Supplier</caption>" in all_page


def test_the_helpdesk_page_is_valid_html(all_page):
    assert_valid_page(all_page)


# --- Bad periods --------------------------------------------------------------------------------

BAD_PERIODS = [
    (
        {"start": "2026-03-01", "end": "2026-02-01"},
        "id_start",
        "The start date must be on or before the end date.",
    ),
    (
        {"start": "2024-01-01", "end": "2026-01-02"},
        "id_end",
        "The period can be at most 2 years long",
    ),
    ({"start": "2026-02-30", "end": "2026-03-31"}, "id_start", "Enter a real date"),
    ({"start": "2026-01-01", "end": "soon"}, "id_end", "Enter a real date"),
    ({"start": "0001-01-01", "end": "0001-12-31"}, "id_start", "Enter a date between 2000"),
]


@pytest.mark.parametrize(("query", "field", "message"), BAD_PERIODS)
def test_a_bad_period_is_refused_with_the_message_in_the_error_summary(
    client, installing_user, query, field, message
):
    client.force_login(installing_user)
    response = client.get(reverse("incidents:compliance"), query)
    html = response.content.decode()
    assert response.status_code == 400
    summary = html.split("data-error-summary")[1].split("</div>")[0]
    assert f'href="#{field}"' in summary and message in summary
    assert 'aria-invalid="true"' in html
    assert "Download CSV" not in html
    assert_valid_page(html)


@pytest.mark.parametrize(("query", "field", "message"), BAD_PERIODS[:2])
def test_a_bad_period_is_refused_on_the_helpdesk_page_and_its_csv(
    client, helpdesk_user, query, field, message
):
    client.force_login(helpdesk_user)
    for page in ("incidents:compliance_all", "incidents:compliance_all_csv"):
        response = client.get(reverse(page), query)
        assert response.status_code == 400
        assert message in response.content.decode()


def test_a_period_of_exactly_two_years_is_accepted(client, installing_user):
    client.force_login(installing_user)
    response = client.get(
        reverse("incidents:compliance"), {"start": "2024-01-01", "end": "2026-01-01"}
    )
    assert response.status_code == 200


# --- CSV ----------------------------------------------------------------------------------------


def test_the_helpdesk_csv_has_a_header_and_one_row_per_supplier(client, helpdesk_user, quarter):
    client.force_login(helpdesk_user)
    response = client.get(reverse("incidents:compliance_all_csv"), QUARTER_QUERY)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="compliance-all-2026-01-01-2026-03-31.csv"'
    )
    assert parse_csv(response) == [
        [
            "Supplier",
            "Received",
            "Answered on time",
            "Answered late",
            "Open",
            "Reassigned",
            "Withdrawn",
            "Breached",
            "Median answer time (Working Days)",
        ],
        ["Installing Power", "8", "3", "2", "1", "1", "1", "2", "4.0"],
        ["Third Party Gas", "3", "2", "0", "1", "0", "0", "0", "2.5"],
    ]


def test_the_supplier_csv_has_one_row_per_month(client, installing_user, quarter):
    client.force_login(installing_user)
    response = client.get(reverse("incidents:compliance_csv"), QUARTER_QUERY)
    assert response["Content-Disposition"] == (
        'attachment; filename="compliance-installing-power-2026-01-01-2026-03-31.csv"'
    )
    rows = parse_csv(response)
    assert rows[0][0] == "Month"
    assert rows[1:] == [
        ["2026-01", "0", "0", "0", "0", "0", "0", "0", ""],
        ["2026-02", "7", "3", "1", "1", "1", "1", "2", "3.5"],
        ["2026-03", "1", "0", "1", "0", "0", "0", "0", "6.0"],
    ]


def test_a_supplier_csv_holds_only_its_own_figures(client, other_supplier_user, quarter):
    client.force_login(other_supplier_user)
    response = client.get(reverse("incidents:compliance_csv"), QUARTER_QUERY)
    body = response.content.decode()
    assert (
        "Installing Power" not in body and "installing-power" not in response["Content-Disposition"]
    )
    assert [row[1] for row in parse_csv(response)[1:]] == ["0", "3", "0"]


def test_a_supplier_named_like_a_formula_comes_out_quoted_in_the_csv(
    client, helpdesk_user, quarter, installing_supplier
):
    installing_supplier.name = '=HYPERLINK("http://evil.example","Click")'
    installing_supplier.save(update_fields=["name"])
    client.force_login(helpdesk_user)
    response = client.get(reverse("incidents:compliance_all_csv"), QUARTER_QUERY)
    names = [row[0] for row in parse_csv(response)[1:]]
    assert names == ['\'=HYPERLINK("http://evil.example","Click")', "Third Party Gas"]


def test_a_supplier_named_like_a_formula_gets_a_safe_file_name(client, installing_user, quarter):
    installing_user.supplier.name = "=cmd|' /C calc'!A0"
    installing_user.supplier.save(update_fields=["name"])
    client.force_login(installing_user)
    response = client.get(reverse("incidents:compliance_csv"), QUARTER_QUERY)
    assert response["Content-Disposition"] == (
        'attachment; filename="compliance-cmd-c-calca0-2026-01-01-2026-03-31.csv"'
    )


# --- The chart's geometry -----------------------------------------------------------------------


def test_the_tallest_bar_fills_the_chart_up_to_a_round_axis_top(quarter, installing_supplier):
    chart = month_chart(compliance_for_supplier(installing_supplier, QUARTER).months)
    assert [tick["value"] for tick in chart["ticks"]] == [0, 2, 4, 6, 8]
    february = chart["groups"][1]["bars"]
    assert [bar["value"] for bar in february] == [7, 3, 1, 2]
    assert february[0]["height"] > february[1]["height"] > february[3]["height"] > 0


def test_a_two_year_chart_labels_at_most_twelve_months_and_drops_the_bar_values(
    installing_supplier, db
):
    two_years = Period(dt.date(2024, 4, 1), dt.date(2026, 3, 31))
    chart = month_chart(compliance_for_supplier(installing_supplier, two_years).months)
    assert sum(group["label"] for group in chart["groups"]) == 12
    assert not chart["show_values"]
