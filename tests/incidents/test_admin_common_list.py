"""The list the helpdesk opens most (no filter, no search, in any order, any page) is built
without the filters' and the search's calls that change nothing there, and its change list and
page are the ones Django's own path gives, for every user and every request."""

import re

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.urls import reverse

from incidents.admin import changelist as changelist_module
from incidents.admin.changelist import IncidentChangeList
from incidents.admin.incidents import IncidentAdmin
from incidents.models import Incident
from ssi_portal.lib.kept import Kept
from tests.factories import HelpdeskUserFactory, UserFactory

from .test_admin_changelist import incidents  # noqa: F401 (a fixture)

CHANGELIST = reverse("admin:incidents_incident_changelist")
_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')

COMMON = [{}, {"o": "3.-6"}, {"o": "-1"}, {"p": "2"}, {"o": "2", "p": "2"}, {"o": "1.2.3.4.5"}]
OTHERS = [
    {"status__exact": "closed"},
    {"q": "Sons"},
    {"q": ""},
    {"_facets": "True"},
    {"_popup": "1"},
    {"all": ""},
    {"overdue": "no"},
    {"breached": "yes"},
    {"assigned_supplier__isnull": "True"},
]


def users():
    viewer = HelpdeskUserFactory(username="viewer")
    viewer.user_permissions.add(Permission.objects.get(codename="view_incident"))
    changer = HelpdeskUserFactory(username="changer")
    changer.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_incident", "change_incident"])
    )
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    return [viewer, changer, root]


def changelist_for(rf, user, query: dict, *, common: bool = True):
    request = rf.get(CHANGELIST, query)
    request.user = user
    model_admin = admin.site.get_model_admin(Incident)
    if not common:
        with pytest.MonkeyPatch.context() as patched:
            patched.setattr(IncidentChangeList, "_common_request", lambda self: False)
            return model_admin.get_changelist_instance(request)
    return model_admin.get_changelist_instance(request)


def described(cl) -> dict:
    """What the page and the view read of a change list."""
    return {
        "sql": str(cl.queryset.query),
        "specs": [
            (type(spec), spec.title, [dict(choice) for choice in spec.choices(cl)])
            for spec in cl.filter_specs
        ],
        "has_filters": cl.has_filters,
        "has_active_filters": cl.has_active_filters,
        "clear_all_filters_qs": cl.clear_all_filters_qs,
        "result_count": cl.result_count,
        "rows": [tuple(row) for row in cl.result_list] if cl.rows_as_values else None,
        "title": cl.title,
        "ordering": cl.get_ordering_field_columns(),
        "page": (cl.page_num, cl.paginator.num_pages, cl.multi_page, cl.can_show_all),
    }


@pytest.mark.django_db
@pytest.mark.parametrize("query", COMMON)
def test_the_whole_list_is_the_change_list_djangos_path_builds(
    rf,
    incidents,  # noqa: F811 (the fixture imported above)
    monkeypatch,
    query,
):
    monkeypatch.setattr(IncidentAdmin, "list_per_page", 2)
    for user in users():
        for _ in range(2):  # compiled, then kept
            ours = changelist_for(rf, user, query)
            assert ours.common
            assert described(ours) == described(changelist_for(rf, user, query, common=False))


@pytest.mark.django_db
@pytest.mark.parametrize("query", OTHERS)
def test_any_other_list_takes_djangos_path(
    rf,
    incidents,  # noqa: F811 (the fixture imported above)
    query,
):
    [_, changer, _] = users()

    assert not changelist_for(rf, changer, query).common


@pytest.mark.django_db
def test_an_admin_with_its_own_queryset_takes_djangos_path(
    rf,
    incidents,  # noqa: F811 (the fixture imported above)
    monkeypatch,
):
    [_, changer, _] = users()
    monkeypatch.setattr(
        IncidentAdmin, "get_queryset", lambda self, request: Incident.objects.filter(pk=0)
    )

    cl = changelist_for(rf, changer, {})

    assert not cl.common
    assert cl.result_count == 0


@pytest.mark.django_db
def test_a_filter_that_changes_the_rows_unasked_takes_djangos_path(
    rf,
    incidents,  # noqa: F811 (the fixture imported above)
    monkeypatch,
):
    from incidents.admin.filters import OverdueFilter

    [_, changer, _] = users()
    monkeypatch.setattr(OverdueFilter, "queryset", lambda self, request, qs: qs.none())

    cl = changelist_for(rf, changer, {})

    assert not cl.common
    assert cl.result_count == 0


def pages(client, query: str, monkeypatch) -> tuple[str, str]:
    ours = client.get(CHANGELIST + query)
    with monkeypatch.context() as patched:
        patched.setattr(IncidentChangeList, "_common_request", lambda self: False)
        patched.setattr(changelist_module, "_HEADINGS", Kept(2_000))
        patched.setattr(changelist_module, "_LINKS", Kept(2_000))
        theirs = client.get(CHANGELIST + query)
    assert ours.status_code == theirs.status_code == 200
    return (_TOKEN.sub("", ours.content.decode()), _TOKEN.sub("", theirs.content.decode()))


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["", "?o=3.-6", "?p=2", "?o=-1&p=3", "?q=Sons", "?_facets=True"])
def test_the_page_is_byte_for_byte_the_one_of_djangos_path_for_every_user(
    client,
    incidents,  # noqa: F811 (the fixture imported above)
    monkeypatch,
    query,
):
    monkeypatch.setattr(IncidentAdmin, "list_per_page", 1)
    for user in users():
        client.force_login(user)
        ours, theirs = pages(client, query, monkeypatch)
        assert ours == theirs
        assert "field-reference_display" in ours


@pytest.mark.django_db
def test_an_empty_list_is_byte_for_byte_the_one_of_djangos_path(client, monkeypatch):
    for user in users():
        client.force_login(user)
        ours, theirs = pages(client, "", monkeypatch)
        assert ours == theirs
        assert "0 incidents" in ours
