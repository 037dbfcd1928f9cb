"""Lists that stay fast: keyset pages with no count, a fixed number of queries on every page,
filter and change list, bounded home-page figures, and the benchmark's floor."""

import datetime as dt
import html
import re

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidents.admin import IncidentPaginator
from incidents.models import Incident, IncidentStatus
from incidents.selectors import home as selectors_home
from incidents.selectors import incidents as selectors
from incidents.selectors.incidents import incident_list, incidents_visible_to
from incidents.services import incident_close, incident_raise
from incidents.views import lists as views_lists
from ssi_portal.lib.keyset import decode_cursor, encode_cursor, keyset_page
from tests.factories import DeviceFactory

RAISED = dt.datetime(2027, 2, 3, 10, 0, tzinfo=dt.UTC)  # due at the end of 10 February 2027
AFTER_DUE = dt.datetime(2027, 2, 11, 9, 0, tzinfo=dt.UTC)
NEXT = re.compile(r'href="([^"]*)" rel="next"')
PREVIOUS = re.compile(r'href="([^"]*)" rel="prev"')
REFERENCE = re.compile(r">(INC\d{7})</a>")
ASSIGNED = reverse("incidents:assigned")


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr(views_lists, "PAGE_SIZE", 3)


@pytest.fixture
def worklist(gaining_user, installing_supplier):
    """Eight requests to the installing Supplier, the last three raised at the same instant
    (so only the id orders them), one of them closed."""
    made = []
    for n in range(8):
        device = DeviceFactory(installing_supplier=installing_supplier)
        raised = RAISED + dt.timedelta(minutes=min(n, 5))
        made.append(incident_raise(actor=gaining_user, device_id=device.device_id, now=raised))
    incident_close(actor=gaining_user, incident=made[2], outcome="no_longer_needed", now=RAISED)
    return made


def newest_first(installing_user, **filters) -> list[str]:
    base = selectors.incidents_assigned_to_us(installing_user)
    return [i.reference for i in incident_list(base, **filters)]


def walk(client, url: str, link: re.Pattern) -> tuple[list[list[str]], str]:
    """Follow ``link`` from ``url`` to the end: the references of each page, and the last URL."""
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
    """The URL of the page after ``url``."""
    return html.unescape(NEXT.search(client.get(url).content.decode()).group(1))


# --- Keyset pages -------------------------------------------------------------------------------


def test_next_links_walk_the_whole_worklist_in_the_old_order(
    client, installing_user, worklist, small_pages
):
    client.force_login(installing_user)

    pages, _ = walk(client, ASSIGNED, NEXT)

    assert [len(p) for p in pages] == [3, 3, 2]
    assert sum(pages, []) == newest_first(installing_user)


def test_previous_links_walk_back_through_the_same_pages(
    client, installing_user, worklist, small_pages
):
    client.force_login(installing_user)
    forward, last = walk(client, ASSIGNED, NEXT)

    backward, first = walk(client, last, PREVIOUS)

    assert backward == forward[::-1]
    assert first == ASSIGNED


def test_a_page_says_its_number_and_never_a_total(client, installing_user, worklist, small_pages):
    client.force_login(installing_user)

    first = client.get(ASSIGNED).content.decode()
    second = client.get(_next(client, ASSIGNED)).content.decode()

    assert "Page 1, newest first" in first and " of " not in first.split("Page 1")[1][:20]
    assert "Page 2, newest first" in second
    assert 'rel="prev"' in second and 'rel="prev"' not in first


def test_the_pages_keep_the_filters(client, installing_user, worklist, small_pages):
    client.force_login(installing_user)
    url = ASSIGNED + "?status=open"

    pages, _ = walk(client, url, NEXT)

    assert sum(pages, []) == newest_first(installing_user, status="open")
    assert worklist[2].reference not in sum(pages, [])


@pytest.mark.parametrize("cursor", ["", "not-a-cursor", "%%%", "bjEuMS4x" * 20, "cDAuMS4x"])
def test_a_malformed_cursor_shows_the_first_page(
    client, installing_user, worklist, small_pages, cursor
):
    client.force_login(installing_user)

    page = client.get(ASSIGNED, {"cursor": cursor}).content.decode()

    assert REFERENCE.findall(page) == newest_first(installing_user)[:3]
    assert "Page 1, newest first" in page


def test_a_cursor_past_the_end_offers_the_way_back(client, installing_user, worklist):
    client.force_login(installing_user)
    oldest = Incident.objects.order_by("created_at", "id").first()
    cursor = encode_cursor((oldest.created_at, oldest.pk), page=4)

    page = client.get(ASSIGNED, {"cursor": cursor}).content.decode()

    assert not REFERENCE.findall(page)
    assert "No more requests match" in page and "Back to the first page" in page


def test_a_cursor_round_trips_to_the_microsecond():
    at = dt.datetime(2027, 2, 3, 10, 0, 0, 123457, tzinfo=dt.UTC)

    position = decode_cursor(encode_cursor((at, 42), page=7, backwards=True))

    assert (position.values, position.page, position.backwards) == ((at, 42), 7, True)


def test_going_back_past_new_arrivals_lands_on_the_first_page(
    installing_user, gaining_user, installing_supplier, worklist
):
    base = incident_list(selectors.incidents_assigned_to_us(installing_user))
    newest = base.first()
    # A "previous" cursor from just below the newest row: only one row lies above it.
    cursor = encode_cursor((newest.created_at, newest.pk), page=3, backwards=True)

    page = keyset_page(base, cursor, size=3)

    assert page.number == 1 and not page.has_previous
    assert [i.reference for i in page.object_list] == newest_first(installing_user)[:3]


@pytest.mark.parametrize("status", IncidentStatus.values)
def test_a_list_row_shows_the_status_badge_the_other_pages_show(status):
    incident = Incident(status=status)
    elsewhere = render_to_string("includes/status_badge.html", {"incident": incident}).strip()

    badge = views_lists.STATUS_BADGES.get(status, "text-bg-secondary")
    assert elsewhere == f'<span class="badge {badge}">{incident.get_status_display()}</span>'


def test_a_row_says_when_the_deadline_was_missed(client, installing_user, worklist):
    from incidents.services import incident_escalate_overdue

    incident_escalate_overdue(now=AFTER_DUE)
    Incident.objects.filter(pk=worklist[0].pk).update(breached_at=None)

    with time_machine.travel(AFTER_DUE):
        client.force_login(installing_user)
        page = client.get(ASSIGNED).content.decode()

    rows = {ref: row for row in page.split("<tr>")[2:] for ref in REFERENCE.findall(row)}
    assert "Overdue" in rows[worklist[0].reference]
    assert "Breached" in rows[worklist[1].reference]
    assert "10 Feb 2027" in rows[worklist[1].reference]
    assert "—" in rows[worklist[2].reference]  # closed: no clock


# --- Queries per page ---------------------------------------------------------------------------

# the session read with its user and their Supplier (the heading's name), the page of
# incidents (Device and Suppliers joined in). No COUNT, whatever the page or the filter.
LIST_QUERIES = 2


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?status=open",
        "?status=awaiting_installer",
        "?status=closed",
        "?overdue=on",
        "?status=open&overdue=on",
        "?q=INC0000001",
        "?q=00-db-12",
        "?q=nonsense",
    ],
)
def test_each_filter_of_the_worklist_takes_a_fixed_number_of_queries(
    client, installing_user, worklist, django_assert_num_queries, query
):
    client.force_login(installing_user)

    with django_assert_num_queries(LIST_QUERIES):
        assert client.get(ASSIGNED + query).status_code == 200


def test_a_device_id_search_takes_a_fixed_number_of_queries(
    client, installing_user, worklist, django_assert_num_queries
):
    client.force_login(installing_user)
    device_id = worklist[4].device.device_id.lower().replace("-", ":")

    with django_assert_num_queries(LIST_QUERIES):
        html_page = client.get(ASSIGNED, {"q": device_id}).content.decode()

    assert REFERENCE.findall(html_page) == [worklist[4].reference]


def test_a_deep_page_takes_as_many_queries_as_the_first(
    client, installing_user, worklist, small_pages, django_assert_num_queries
):
    client.force_login(installing_user)
    third = _next(client, _next(client, ASSIGNED))

    with django_assert_num_queries(LIST_QUERIES):
        page = client.get(third).content.decode()

    assert "Page 3" in page and REFERENCE.findall(page)


def test_a_previous_page_takes_as_many_queries_as_the_first(
    client, installing_user, worklist, small_pages, django_assert_num_queries
):
    client.force_login(installing_user)
    third = client.get(_next(client, _next(client, ASSIGNED)))
    back = html.unescape(PREVIOUS.search(third.content.decode()).group(1))

    with django_assert_num_queries(LIST_QUERIES):
        page = client.get(back).content.decode()

    assert "Page 2" in page


@pytest.mark.parametrize("query", ["", "?status=open", "?overdue=on", "?q=00-DB-12-00"])
def test_the_raised_by_us_list_takes_a_fixed_number_of_queries(
    client, gaining_user, worklist, django_assert_num_queries, query
):
    client.force_login(gaining_user)

    with django_assert_num_queries(LIST_QUERIES):
        assert client.get(reverse("incidents:raised") + query).status_code == 200


@pytest.mark.parametrize("persona", ["gaining_user", "installing_user", "other_supplier_user"])
def test_the_narrow_lists_are_exactly_what_the_user_sees_on_that_side(request, worklist, persona):
    user = request.getfixturevalue(persona)
    visible = incidents_visible_to(user)

    assert set(selectors.incidents_raised_by_us(user)) == set(
        visible.filter(raising_supplier_id=user.supplier_id)
    )
    assert set(selectors.incidents_assigned_to_us(user)) == set(
        visible.filter(assigned_supplier_id=user.supplier_id)
    )


def test_a_user_without_supplier_has_no_list_of_its_own(helpdesk_user, worklist):
    assert not selectors.incidents_raised_by_us(helpdesk_user).exists()
    assert not selectors.incidents_assigned_to_us(helpdesk_user).exists()


# --- Home page figures --------------------------------------------------------------------------


def test_home_figures_past_the_cap_read_as_the_cap_and_more(
    client, installing_user, gaining_user, worklist, monkeypatch, django_assert_num_queries
):
    monkeypatch.setattr(selectors_home, "HOME_COUNT_CAP", 5)
    client.force_login(gaining_user)

    # the session read with its user and their Supplier (the heading), the figures (one query)
    with django_assert_num_queries(2):
        page = client.get(reverse("incidents:home")).content.decode()

    assert 'id="count-raised-open">5+</p>' in page


def test_home_figures_count_at_most_one_past_the_cap(installing_user, worklist, monkeypatch):
    monkeypatch.setattr(selectors_home, "HOME_COUNT_CAP", 2)

    figures = selectors_home.home_counts(installing_user, now=AFTER_DUE)

    assert figures == {
        "overdue": 3,
        "due_today": 0,
        "to_reveal": 0,
        "bulk_running": 0,
        "raised_open": 0,
        "awaiting_us": 3,
    }


def test_home_figures_are_compiled_once_for_every_user_of_a_kind(
    installing_user, gaining_user, worklist, monkeypatch
):
    compiled = []
    compile_once = selectors_home._capped_counts_sql

    def counted(*args, **kwargs):
        compiled.append(kwargs["cap"])
        return compile_once(*args, **kwargs)

    monkeypatch.setattr(selectors_home, "_COMPILED", {})
    monkeypatch.setattr(selectors_home, "_capped_counts_sql", counted)
    monkeypatch.setattr(selectors_home, "HOME_COUNT_CAP", 7)

    installing = selectors_home.home_counts(installing_user, now=AFTER_DUE)
    gaining = selectors_home.home_counts(gaining_user, now=AFTER_DUE)
    assert selectors_home.home_counts(installing_user, now=AFTER_DUE) == installing

    assert compiled == [7]  # one statement for both Suppliers' users
    # Seven of the eight open, each Supplier's on its own side.
    assert (installing["awaiting_us"], gaining["awaiting_us"]) == (7, 0)
    assert (installing["raised_open"], gaining["raised_open"]) == (0, 7)


def test_home_figures_for_a_user_of_no_organisation_need_no_query(django_assert_num_queries, db):
    from tests.factories import UserFactory

    user = UserFactory(supplier=None)

    with django_assert_num_queries(0):
        assert selectors_home.home_counts(user) == {"with_helpdesk": 0, "overdue": 0}


# --- The helpdesk's change list -----------------------------------------------------------------


@pytest.fixture
def helpdesk_client(client, helpdesk_user):
    helpdesk_user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_incident", "change_incident"])
    )
    client.force_login(helpdesk_user)
    return client


CHANGELIST = reverse("admin:incidents_incident_changelist")


@pytest.mark.parametrize(
    "query",
    [
        "?status__exact=closed",
        "?overdue=yes",
        "?breached=yes",
        "?assigned_supplier__id__exact=1",
        "?created_at__gte=2027-02-03+00%3A00%3A00%2B00%3A00",
        "?q=INC0000002",
        "?q=00-DB-12-34-56-78-90-A0",
        "?q=00db12",
    ],
)
def test_the_filtered_change_list_takes_a_fixed_number_of_queries(
    helpdesk_client, worklist, django_assert_num_queries, query
):
    # the session read with its user, its permissions (their own and their groups', one
    # query), the Suppliers of both Supplier filters (one query), count, page
    with django_assert_num_queries(5):
        assert helpdesk_client.get(CHANGELIST + query).status_code == 200


@pytest.mark.parametrize("query", ["", "?p=1"])
def test_the_whole_change_list_takes_a_fixed_number_of_queries(
    helpdesk_client, worklist, django_assert_num_queries, query
):
    # As filtered; PostgreSQL reads the table's row estimate and, a table this small, counts
    # it exactly in the same query (next tests: a big one is not counted).
    with django_assert_num_queries(5):
        assert helpdesk_client.get(CHANGELIST + query).status_code == 200


def test_a_search_that_names_no_device_id_nor_supplier_asks_nothing_of_the_incidents(
    helpdesk_client, worklist, django_assert_num_queries
):
    # As a page with nothing found, and the Suppliers' names read once.
    with django_assert_num_queries(4):
        page = helpdesk_client.get(CHANGELIST, {"q": "Nobody Energy"}).content.decode()

    assert not any(incident.reference in page for incident in worklist)


def test_a_search_by_supplier_name_takes_a_fixed_number_of_queries(
    helpdesk_client, worklist, django_assert_num_queries
):
    # As a filtered list, and the Suppliers' names read once.
    with django_assert_num_queries(6):
        page = helpdesk_client.get(CHANGELIST, {"q": "Gaining"}).content.decode()

    assert all(incident.reference in page for incident in worklist)


def test_the_change_list_filters_by_date_raised(helpdesk_client, worklist):
    page = helpdesk_client.get(
        CHANGELIST,
        {
            "created_at__gte": "2027-02-03 00:00:00+00:00",
            "created_at__lt": "2027-02-04 00:00:00+00:00",
        },
    ).content.decode()

    assert all(incident.reference in page for incident in worklist)


def test_a_partial_device_id_in_the_change_list_search_matches_its_start(helpdesk_client, worklist):
    device_id = worklist[0].device.device_id
    start, middle = device_id[:8].lower(), device_id[9:20]

    assert worklist[0].reference in helpdesk_client.get(CHANGELIST, {"q": start}).content.decode()
    assert (
        worklist[0].reference not in helpdesk_client.get(CHANGELIST, {"q": middle}).content.decode()
    )


def test_a_big_filtered_change_list_is_counted_only_up_to_the_cap(
    helpdesk_client, worklist, monkeypatch
):
    monkeypatch.setattr(IncidentPaginator, "exact_up_to", 2)

    with CaptureQueriesContext(connection) as queries:
        helpdesk_client.get(CHANGELIST, {"status__exact": "awaiting_installer"})

    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
    # Past the cap PostgreSQL estimates (next test); SQLite, the demo's database, counts.
    assert "LIMIT 3" in counts[0]


@pytest.mark.postgres("the planner's estimate")
def test_past_the_cap_the_filtered_count_is_the_planners_estimate(
    helpdesk_client, worklist, monkeypatch
):
    monkeypatch.setattr(IncidentPaginator, "exact_up_to", 2)

    with CaptureQueriesContext(connection) as queries:
        helpdesk_client.get(CHANGELIST, {"status__exact": "awaiting_installer"})

    sql = [q["sql"] for q in queries]
    assert any(s.startswith("EXPLAIN") for s in sql)
    assert sum("COUNT(" in s.upper() for s in sql) == 1


@pytest.mark.postgres("the table's row estimate in pg_class")
def test_the_whole_change_list_of_a_big_table_is_not_counted(
    helpdesk_client, worklist, monkeypatch
):
    monkeypatch.setattr(IncidentPaginator, "exact_below", 1)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE incidents_incident")

    with CaptureQueriesContext(connection) as queries:
        page = helpdesk_client.get(CHANGELIST).content.decode()

    # The estimate and the exact count are one query; the count runs only for a table whose
    # estimate is below the threshold, so here PostgreSQL never runs it.
    (estimate,) = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
    assert "pg_class" in estimate
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) {estimate}")
        plan = [row[0] for row in cursor.fetchall()]
    assert any("Aggregate (never executed)" in line for line in plan), plan
    assert worklist[0].reference in page


@pytest.mark.postgres("the table's row estimate in pg_class")
def test_the_whole_change_list_of_a_small_table_is_counted_exactly(
    helpdesk_client, worklist, gaining_user, installing_supplier
):
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE incidents_incident")
    device = DeviceFactory(installing_supplier=installing_supplier)
    incident_raise(actor=gaining_user, device_id=device.device_id)  # after the estimate

    response = helpdesk_client.get(CHANGELIST)

    assert response.context["cl"].result_count == len(worklist) + 1
