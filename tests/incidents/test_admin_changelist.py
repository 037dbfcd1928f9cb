"""The helpdesk's change list of incidents is written from values in one pass a page, and says
exactly what Django's admin would have written cell by cell."""

import datetime as dt
import re

import pytest
from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.formats import reset_format_cache

from incidents.admin import filters
from incidents.admin.incidents import IncidentAdmin
from incidents.models import Incident, IncidentStatus
from incidents.services import incident_close, incident_raise
from tests.factories import DeviceFactory, SupplierFactory

CHANGELIST = reverse("admin:incidents_incident_changelist")
SUMMER = dt.datetime(2027, 7, 1, 23, 30, tzinfo=dt.UTC)  # 2 July 00:30 in London (BST)
WINTER = dt.datetime(2027, 1, 5, 9, 5, tzinfo=dt.UTC)  # 5 January 09:05 in London (GMT)


@pytest.fixture
def helpdesk_client(client, helpdesk_user):
    helpdesk_user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_incident", "change_incident"])
    )
    client.force_login(helpdesk_user)
    return client


@pytest.fixture
def incidents(gaining_user):
    """Requests that take every kind of cell: a Supplier whose name is markup, one raised in
    summer time and one in winter time, one with the helpdesk (no Supplier assigned, no
    deadline), one closed."""
    odd = SupplierFactory(name='O\'Brien & <Sons> "Energy"')
    made = []
    for n, raised in enumerate([WINTER, SUMMER, SUMMER, WINTER]):
        device = DeviceFactory(installing_supplier=odd, device_type=["ESME", "GSME"][n % 2])
        made.append(incident_raise(actor=gaining_user, device_id=device.device_id, now=raised))
    Incident.objects.filter(pk=made[2].pk).update(
        status=IncidentStatus.WITH_HELPDESK, assigned_supplier=None, due_at=None
    )
    incident_close(actor=gaining_user, incident=made[3], outcome="no_longer_needed", now=WINTER)
    return made


@pytest.fixture
def djangos_own(monkeypatch):
    """The same admin written by Django alone: its change list, its filters and their
    template."""
    monkeypatch.setattr(IncidentAdmin, "get_changelist", lambda self, request, **kw: ChangeList)
    monkeypatch.setattr(
        IncidentAdmin,
        "list_filter",
        (
            "status",
            filters.OverdueFilter,
            filters.BreachedFilter,
            "assigned_supplier",
            "raising_supplier",
            ("created_at", admin.DateFieldListFilter),
        ),
    )
    for spec in (filters.OverdueFilter, filters.BreachedFilter):
        monkeypatch.setattr(spec, "template", "admin/filter.html")
    monkeypatch.setattr(IncidentAdmin, "media", admin.ModelAdmin.media)


@pytest.fixture
def djangos_date_format(settings):
    """Django's own en-GB formats ("9:30 a.m.") rather than the portal's 24-hour clock."""
    settings.FORMAT_MODULE_PATH = None
    reset_format_cache()
    yield
    reset_format_cache()


def page(client, query: str) -> str:
    response = client.get(CHANGELIST + query)
    assert response.status_code == 200
    text = response.content.decode()
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)
    text = re.sub(r'nonce="[^"]+"', "", text)
    return re.sub(r"\s+", " ", re.sub(r">\s+<", "><", text))


def region(text: str, start: str, end: str) -> str:
    found = re.search(re.escape(start) + ".*?" + re.escape(end), text)
    assert found, start
    return found.group(0)


QUERIES = [
    "",
    "?o=3.-6",  # by assigned Supplier, then newest first
    "?status__exact=with_helpdesk",
    "?assigned_supplier__isnull=True",
    "?q=Sons",
    "?_facets=True",
    "?_popup=1",
]


@pytest.mark.parametrize("query", QUERIES)
def test_the_change_list_is_the_page_django_would_write(helpdesk_client, incidents, query, request):
    ours = page(helpdesk_client, query)
    request.getfixturevalue("djangos_own")

    assert ours == page(helpdesk_client, query)


def test_each_supplier_filter_is_the_one_django_would_write(helpdesk_client, incidents, request):
    supplier = incidents[0].assigned_supplier_id
    query = f"?assigned_supplier__id__exact={supplier}&raising_supplier__id__exact={supplier}"
    ours = region(page(helpdesk_client, query), '<search id="changelist-filter"', "</search>")
    request.getfixturevalue("djangos_own")

    theirs = region(page(helpdesk_client, query), '<search id="changelist-filter"', "</search>")
    assert ours == theirs
    assert 'class="selected"><a href="?assigned_supplier__id__exact=' in ours


def test_times_in_another_format_are_djangos_own(
    helpdesk_client, incidents, djangos_date_format, request
):
    ours = region(page(helpdesk_client, ""), '<table id="result_list">', "</table>")
    request.getfixturevalue("djangos_own")

    assert ours == region(page(helpdesk_client, ""), '<table id="result_list">', "</table>")
    assert "a.m." in ours


def test_each_row_says_what_the_helpdesk_needs(helpdesk_client, incidents):
    with_helpdesk = incidents[2]
    link = f'<a href="/admin/incidents/incident/{with_helpdesk.pk}/change/">'
    row = region(
        page(helpdesk_client, ""), f'<tr><th class="field-reference_display">{link}', "</tr>"
    )

    assert f"{link}{with_helpdesk.reference}</a>" in row
    assert f"{with_helpdesk.device.device_id} (ESME)" in row
    assert '<td class="field-assigned_supplier nowrap">-</td>' in row
    assert "With DCC helpdesk" in row
    assert "2 Jul 2027 00:30" in row  # raised 1 July 23:30 UTC, in summer time


def test_a_filtered_change_list_links_each_incident_with_its_filters(helpdesk_client, incidents):
    text = page(helpdesk_client, "?status__exact=closed")

    assert (
        f'href="/admin/incidents/incident/{incidents[3].pk}/change/'
        '?_changelist_filters=status__exact%3Dclosed"'
    ) in text


def test_a_supplier_name_is_escaped_in_every_cell(helpdesk_client, incidents):
    text = page(helpdesk_client, "")

    assert "<Sons>" not in text
    assert "O&#x27;Brien &amp; &lt;Sons&gt; &quot;Energy&quot;" in text


def test_the_change_list_never_reads_the_sealed_install_codes(helpdesk_client, incidents):
    with CaptureQueriesContext(connection) as queries:
        assert helpdesk_client.get(CHANGELIST).status_code == 200

    page_query = [q["sql"] for q in queries if '"incidents_incident"."created_at"' in q["sql"]]
    assert page_query
    assert not any("install_code" in sql for sql in page_query)


def test_the_supplier_filters_list_what_django_would_list(helpdesk_user, incidents, rf):
    field = Incident._meta.get_field("assigned_supplier")
    request = rf.get(CHANGELIST)
    request.user = helpdesk_user
    model_admin = admin.site.get_model_admin(Incident)
    ordering = admin.site.get_model_admin(field.related_model).get_ordering(request)

    ours = filters.SupplierListFilter(
        field, request, {}, Incident, model_admin, field_path="assigned_supplier"
    ).lookup_choices

    assert ours == field.get_choices(include_blank=False, ordering=ordering)
    assert len(ours) > 1


def test_a_supplier_added_is_in_the_filters_at_the_next_page(helpdesk_client, incidents):
    helpdesk_client.get(CHANGELIST)
    SupplierFactory(name="Newly Registered Energy")

    text = page(helpdesk_client, "")

    assert text.count("Newly Registered Energy</a></li>") == 2  # both Supplier filters


@pytest.mark.django_db
@pytest.mark.parametrize("ordering", [(), ("name",), ("-name",), ("-user_id", "name")])
@pytest.mark.parametrize("named", [True, False])
def test_every_supplier_of_a_filter_is_as_django_lists_them(monkeypatch, ordering, named):
    from accounts.models import Supplier

    SupplierFactory(name='O\'Brien & <Sons> "Energy"')
    SupplierFactory(name="Ärger Gas")
    SupplierFactory(name="a lower-case one")
    if not named:
        monkeypatch.delattr(Supplier.__str__, "text_field")
    field = Incident._meta.get_field("assigned_supplier")

    for _ in range(2):  # compiled, then run again
        ours = filters._every_one(field, ordering)
        assert ours == field.get_choices(include_blank=False, ordering=ordering)
    assert len(ours) == Supplier.objects.count()
