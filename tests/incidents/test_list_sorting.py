"""Sorting the lists by the columns people sort by (raised, answer due, status): keyset pages in
every order, the same fixed number of queries on every page, headings that say how the list is
sorted, and an index behind each segment of each order."""

import datetime as dt
import html
import re

import pytest
from django.db import connection
from django.urls import reverse

from conftest import INSTALL_CODE
from incidents.models import IncidentStatus
from incidents.selectors import incidents as selectors
from incidents.services import (
    incident_answer,
    incident_answer_not_installed,
    incident_close,
    incident_raise,
)
from incidents.views import lists as views_lists
from ssi_portal.lib.keyset import keyset_page
from tests.factories import DeviceFactory

RAISED = dt.datetime(2027, 2, 3, 10, 0, tzinfo=dt.UTC)
NEXT = re.compile(r'href="([^"]*)" rel="next"')
PREVIOUS = re.compile(r'href="([^"]*)" rel="prev"')
REFERENCE = re.compile(r">(INC\d{7})</a>")
SORTS = ["-raised", "raised", "due", "-due", "status", "-status"]
SIDES = {"assigned": "installing_user", "raised": "gaining_user"}
# the session read with its user and their Supplier (the heading's name), the page of
# incidents (every segment of the order in one query): as the lists in their default order.
LIST_QUERIES = 2
PROCESS = list(IncidentStatus)


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr(views_lists, "PAGE_SIZE", 3)


@pytest.fixture
def mixed(gaining_user, installing_user, installing_supplier):
    """Nine requests from the gaining to the installing Supplier in every status, raised over
    five days (so their deadlines differ), two pairs at the same instant (only the id orders
    them)."""
    days = [0, 2, 2, 4, 1, 3, 1, 5, 5]
    made = []
    for day in days:
        device = DeviceFactory(installing_supplier=installing_supplier)
        made.append(
            incident_raise(
                actor=gaining_user,
                device_id=device.device_id,
                now=RAISED + dt.timedelta(days=day),
            )
        )
    later = RAISED + dt.timedelta(days=6)
    incident_answer(actor=installing_user, incident=made[4], install_code=INSTALL_CODE, now=later)
    incident_close(actor=gaining_user, incident=made[5], outcome="no_longer_needed", now=later)
    incident_answer_not_installed(actor=installing_user, incident=made[6], now=later)
    incident_answer(actor=installing_user, incident=made[8], install_code=INSTALL_CODE, now=later)
    return made


def expected(user, side: str, sort: str) -> list[str]:
    """The references of a side's list in ``sort``, worked out from the rows themselves."""
    base = (
        selectors.incidents_assigned_to_us(user)
        if side == "assigned"
        else selectors.incidents_raised_by_us(user)
    )
    rows = list(base)

    def newest(some):
        return sorted(some, key=lambda i: (i.created_at, i.pk), reverse=True)

    awaiting = [i for i in rows if i.status == IncidentStatus.AWAITING_INSTALLER]
    others = newest(i for i in rows if i.status != IncidentStatus.AWAITING_INSTALLER)
    by_due = sorted(awaiting, key=lambda i: (i.due_at, i.created_at, i.pk))
    ordered = {
        "-raised": newest(rows),
        "raised": newest(rows)[::-1],
        "due": by_due + others,
        "-due": by_due[::-1] + others,
        "status": [i for s in PROCESS for i in newest(r for r in rows if r.status == s)],
        "-status": [i for s in PROCESS[::-1] for i in newest(r for r in rows if r.status == s)],
    }[sort]
    return [i.reference for i in ordered]


def walk(client, url: str, link: re.Pattern) -> tuple[list[list[str]], str]:
    pages = []
    while True:
        page = client.get(url).content.decode()
        pages.append(REFERENCE.findall(page))
        found = link.search(page)
        if not found:
            return pages, url
        url = html.unescape(found.group(1))
        assert len(pages) < 20


def _next(client, url: str) -> str:
    return html.unescape(NEXT.search(client.get(url).content.decode()).group(1))


def login(client, request, side: str):
    user = request.getfixturevalue(SIDES[side])
    client.force_login(user)
    return user


# --- The orders ---------------------------------------------------------------------------------


@pytest.mark.parametrize("side", SIDES)
@pytest.mark.parametrize("sort", SORTS)
def test_next_links_walk_the_whole_list_in_the_order_chosen(
    client, request, mixed, small_pages, side, sort
):
    user = login(client, request, side)

    pages, _ = walk(client, reverse(f"incidents:{side}") + f"?sort={sort}", NEXT)

    assert sum(pages, []) == expected(user, side, sort)
    assert all(len(page) == 3 for page in pages[:-1])


@pytest.mark.parametrize("sort", SORTS)
def test_previous_links_walk_back_through_the_same_pages_in_each_order(
    client, installing_user, mixed, small_pages, sort
):
    client.force_login(installing_user)
    forward, last = walk(client, reverse("incidents:assigned") + f"?sort={sort}", NEXT)

    backward, _ = walk(client, last, PREVIOUS)

    assert backward == forward[::-1]


def test_the_deadline_order_puts_the_soonest_first_and_requests_without_a_clock_last(
    client, installing_user, mixed
):
    client.force_login(installing_user)

    shown = REFERENCE.findall(client.get(reverse("incidents:assigned"), {"sort": "due"}).text)

    assert shown[0] == mixed[0].reference  # raised first, so due first
    assert shown[-3:] == [mixed[8].reference, mixed[5].reference, mixed[4].reference]


def test_the_status_order_follows_the_process(client, gaining_user, mixed):
    client.force_login(gaining_user)

    page = client.get(reverse("incidents:raised"), {"sort": "status"}).text

    labels = re.findall(r'<span class="badge [^"]+">([^<]+)</span>', page)
    assert list(dict.fromkeys(labels)) == [status.label for status in PROCESS]


def test_the_filters_still_apply_in_another_order(client, installing_user, mixed):
    client.force_login(installing_user)

    page = client.get(reverse("incidents:assigned"), {"sort": "due", "status": "code_provided"})

    assert REFERENCE.findall(page.text) == [mixed[8].reference, mixed[4].reference]


def test_the_pages_of_a_sorted_list_keep_its_filters(client, installing_user, mixed, small_pages):
    client.force_login(installing_user)

    pages, _ = walk(client, reverse("incidents:assigned") + "?status=open&sort=-due", NEXT)

    shown = sum(pages, [])
    assert shown == [r for r in expected(installing_user, "assigned", "-due") if r in shown]
    assert mixed[5].reference not in shown and len(shown) == 7


def test_a_cursor_of_one_order_shows_the_first_page_of_another(
    client, installing_user, mixed, small_pages
):
    client.force_login(installing_user)
    second_by_due = _next(client, reverse("incidents:assigned") + "?sort=due")
    cursor = re.search(r"cursor=([^&]+)", second_by_due).group(1)

    page = client.get(reverse("incidents:assigned"), {"sort": "status", "cursor": cursor}).text

    assert REFERENCE.findall(page) == expected(installing_user, "assigned", "status")[:3]
    assert "Page 1," in page


def test_an_unknown_sort_shows_the_list_newest_first(client, installing_user, mixed):
    client.force_login(installing_user)

    page = client.get(reverse("incidents:assigned"), {"sort": "device_id"}).text

    assert REFERENCE.findall(page) == expected(installing_user, "assigned", "-raised")
    assert "Page 1, newest first" in page


# --- The headings -------------------------------------------------------------------------------


def _headings(page: str) -> dict[str, tuple[str, str]]:
    """Column title -> (its aria-sort, where its link leads) of the sortable headings."""
    heading = r'<th scope="col" class="sortable"(?: aria-sort="(\w+)")?>'
    found = re.findall(
        heading + r'<a class="sort-link" href="([^"]+)" aria-label="[^"]+">([^<]+)<', page
    )
    return {title: (aria, html.unescape(url)) for aria, url, title in found}


def test_the_column_the_list_is_sorted_by_says_so_and_no_other(client, installing_user, mixed):
    client.force_login(installing_user)

    headings = _headings(client.get(reverse("incidents:assigned")).text)

    assert {title: aria for title, (aria, _) in headings.items()} == {
        "Status": "",
        "Raised": "descending",
        "Answer due": "",
    }


@pytest.mark.parametrize(
    ("sort", "title", "aria_sort", "leads_to"),
    [
        ("-raised", "Raised", "descending", "sort=raised"),
        ("raised", "Raised", "ascending", ""),
        ("due", "Answer due", "ascending", "sort=-due"),
        ("-due", "Answer due", "descending", "sort=due"),
        ("status", "Status", "ascending", "sort=-status"),
        ("-status", "Status", "descending", "sort=status"),
    ],
)
def test_the_sorted_columns_heading_turns_the_order_round(
    client, installing_user, mixed, sort, title, aria_sort, leads_to
):
    client.force_login(installing_user)

    headings = _headings(client.get(reverse("incidents:assigned"), {"sort": sort}).text)

    aria, url = headings[title]
    assert aria == aria_sort
    assert url == reverse("incidents:assigned") + (f"?{leads_to}" if leads_to else "")


def test_a_heading_keeps_the_filters_and_starts_from_the_first_page(
    client, installing_user, mixed, small_pages
):
    client.force_login(installing_user)
    second = _next(client, reverse("incidents:assigned") + "?status=open")

    headings = _headings(client.get(second).text)

    assert headings["Answer due"][1] == reverse("incidents:assigned") + "?status=open&sort=due"


def test_the_filter_form_keeps_the_order(client, installing_user, mixed):
    client.force_login(installing_user)

    page = client.get(reverse("incidents:assigned"), {"sort": "-status"}).text

    assert '<input type="hidden" name="sort" value="-status">' in page


def test_a_page_names_its_order(client, installing_user, mixed):
    client.force_login(installing_user)

    page = client.get(reverse("incidents:assigned"), {"sort": "due"}).text

    assert "Page 1, answer due soonest first, then those with no deadline running" in page


# --- Queries ------------------------------------------------------------------------------------


@pytest.mark.parametrize("side", SIDES)
@pytest.mark.parametrize("sort", SORTS)
def test_each_order_takes_a_fixed_number_of_queries(
    client, request, mixed, django_assert_num_queries, side, sort
):
    login(client, request, side)

    with django_assert_num_queries(LIST_QUERIES):
        page = client.get(reverse(f"incidents:{side}"), {"sort": sort})

    assert page.status_code == 200 and REFERENCE.findall(page.text)


@pytest.mark.parametrize("sort", SORTS)
def test_a_deep_page_in_each_order_takes_as_many_queries_as_the_first(
    client, installing_user, mixed, small_pages, django_assert_num_queries, sort
):
    client.force_login(installing_user)
    third = _next(client, _next(client, reverse("incidents:assigned") + f"?sort={sort}"))

    with django_assert_num_queries(LIST_QUERIES):
        page = client.get(third).text

    assert "Page 3" in page and REFERENCE.findall(page)


@pytest.mark.parametrize("sort", SORTS)
def test_a_previous_page_in_each_order_takes_as_many_queries_as_the_first(
    client, installing_user, mixed, small_pages, django_assert_num_queries, sort
):
    client.force_login(installing_user)
    third = client.get(
        _next(client, _next(client, reverse("incidents:assigned") + f"?sort={sort}"))
    )
    back = html.unescape(PREVIOUS.search(third.text).group(1))

    with django_assert_num_queries(LIST_QUERIES):
        page = client.get(back).text

    assert "Page 2" in page


# --- Indexes ------------------------------------------------------------------------------------

INDEXES = {
    ("assigned", "-raised"): {"inc_assignee_recent_idx"},
    ("assigned", "raised"): {"inc_assignee_recent_idx"},
    ("assigned", "due"): {"inc_assignee_awaiting_idx", "inc_assignee_noclock_idx"},
    ("assigned", "-due"): {"inc_assignee_awaiting_idx", "inc_assignee_noclock_idx"},
    ("assigned", "status"): {"inc_assignee_status_idx"},
    ("assigned", "-status"): {"inc_assignee_status_idx"},
    ("raised", "-raised"): {"inc_raiser_recent_idx"},
    ("raised", "raised"): {"inc_raiser_recent_idx"},
    ("raised", "due"): {"inc_raiser_awaiting_idx", "inc_raiser_noclock_idx"},
    ("raised", "-due"): {"inc_raiser_awaiting_idx", "inc_raiser_noclock_idx"},
    ("raised", "status"): {"inc_raiser_status_idx"},
    ("raised", "-status"): {"inc_raiser_status_idx"},
}


@pytest.fixture
def many_requests(gaining_user, installing_user, other_supplier_user):
    """2,000 requests among twenty Suppliers in the proportions of life (most closed, a fifth
    awaiting an answer), analysed, so that the planner weighs the indexes as it would in
    production. Written directly: the services would take minutes for this many."""
    from incidents.models import Incident
    from inventory.models import Device
    from tests.factories import SupplierFactory, UserFactory

    suppliers = [gaining_user.supplier, installing_user.supplier, other_supplier_user.supplier]
    suppliers += [SupplierFactory() for _ in range(17)]
    users = {s.pk: UserFactory(supplier=s) for s in suppliers}
    devices = Device.objects.bulk_create(
        Device(
            device_id="-".join(f"{n + 0x7700000000:016X}"[i : i + 2] for i in range(0, 16, 2)),
            device_type="ESME",
            smi_status="InstalledNotCommissioned",
        )
        for n in range(2000)
    )
    rows = []
    for n, device in enumerate(devices):
        # 7n + 3 and n are never the same modulo 20: nobody is assigned its own request.
        raiser, assignee = suppliers[n % 20], suppliers[(n * 7 + 3) % 20]
        at = RAISED - dt.timedelta(minutes=2000 - n)
        status = ["closed"] * 7 + ["awaiting_installer"] * 2 + ["code_provided"]
        status = "with_helpdesk" if n % 50 == 0 else status[n % 10]
        rows.append(
            Incident(
                device=device,
                raised_by=users[raiser.pk],
                raising_supplier=raiser,
                assigned_supplier=None if status == "with_helpdesk" else assignee,
                status=status,
                due_at=at + dt.timedelta(days=7) if status != "with_helpdesk" else None,
                install_code_sealed=b"sealed" if status == "code_provided" else None,
                created_at=at,
                updated_at=at,
                closed_at=at if status == "closed" else None,
            )
        )
    Incident.objects.bulk_create(rows)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE incidents_incident")


def _plans_of_each_segment(base, order, position) -> list[str]:
    """The plan of each part of the page that ``cursor`` names, as the list reads it."""
    plans = []

    def explain(parts, limit):
        for queryset, key in parts:
            plans.append(queryset.order_by(*key).values("pk")[:limit].explain())
        return [[] for _ in parts]

    with connection.cursor() as cursor:
        # Whether an index reads each segment in order: the planner may not read a table
        # whole, nor sort a segment, unless nothing else can answer the query.
        for method in ("seqscan", "bitmapscan", "sort"):
            cursor.execute(f"SET LOCAL enable_{method} = off")
    keyset_page(base, position, size=25, order=order.keyset, fetch=explain)
    return plans


@pytest.mark.postgres("the planner's choice of index")
def test_each_segment_of_each_order_is_read_from_its_index_without_sorting(request, many_requests):
    # One test over every order and side: the data takes seconds to build, the plans none.
    scans = r"Index (?:Only )?Scan(?: Backward)? using (\w+)"
    for (side, sort), indexes in INDEXES.items():
        user = request.getfixturevalue(SIDES[side])
        base = selectors.incident_list(
            selectors.incidents_assigned_to_us(user)
            if side == "assigned"
            else selectors.incidents_raised_by_us(user)
        )
        order = selectors.LIST_ORDERS[sort]
        second = selectors.incident_page(base, None, size=25, order=order).next_cursor

        plans = _plans_of_each_segment(base, order, None)
        plans += _plans_of_each_segment(base, order, second)

        assert not [plan for plan in plans if "Sort" in plan], (side, sort, plans)
        used = {index for plan in plans for index in re.findall(scans, plan)}
        assert used == indexes, (side, sort, plans)
