"""The helpdesk's change list of incidents is written in Python (incidents/admin/page.py), byte for
byte the page its templates write, for every kind of list the helpdesk asks for."""

import re

import pytest
from django.contrib import messages
from django.contrib.auth.models import Permission
from django.urls import reverse

from incidents.admin import page as page_module
from tests.factories import SupplierFactory

from .test_admin_changelist import incidents  # noqa: F401 (a fixture)

CHANGELIST = reverse("admin:incidents_incident_changelist")
_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


@pytest.fixture
def helpdesk_client(client, helpdesk_user):
    helpdesk_user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_incident", "change_incident"])
    )
    client.force_login(helpdesk_user)
    return client


def both(client, query: str, monkeypatch) -> tuple[str, str]:
    """The page as written in Python, then as the templates write it (each CSRF token, new
    on every request, left out)."""
    ours = client.get(CHANGELIST + query)
    with monkeypatch.context() as patched:
        patched.setattr(page_module, "page_html", lambda request, context: None)
        theirs = client.get(CHANGELIST + query)
    assert ours.status_code == theirs.status_code == 200
    return (_TOKEN.sub("", ours.content.decode()), _TOKEN.sub("", theirs.content.decode()))


QUERIES = [
    "",
    "?o=3.-6",  # two columns sorted: each with its priority
    "?o=-1",
    "?status__exact=with_helpdesk",
    "?assigned_supplier__isnull=True",
    "?q=Sons",
    "?q=%3Cb%3E%22O%27Brien%22+%26",  # markup in the search box
    "?q=no+such+supplier",  # no rows: no table
    "?_facets=True",
    "?overdue=yes&breached=no&_facets=True",
    "?created_at__gte=2027-01-01+00%3A00%3A00%2B00%3A00&created_at__lt=2028-01-01+00%3A00%3A00%2B00%3A00",
    "?p=2",
    "?_popup=1",  # the templates' own
]


@pytest.mark.parametrize("query", QUERIES)
def test_the_page_is_byte_for_byte_the_one_its_templates_write(
    helpdesk_client,
    incidents,  # noqa: F811 (the fixture imported above)
    query,
    monkeypatch,
):
    ours, theirs = both(helpdesk_client, query, monkeypatch)

    assert ours == theirs


def test_many_pages_are_written_as_the_templates_write_them(
    helpdesk_client,
    incidents,  # noqa: F811 (the fixture imported above)
    monkeypatch,
):
    from incidents.admin.incidents import IncidentAdmin

    monkeypatch.setattr(IncidentAdmin, "list_per_page", 1)
    for query in ("", "?p=3", "?o=2&p=4"):
        ours, theirs = both(helpdesk_client, query, monkeypatch)
        assert ours == theirs
        assert 'class="paginator"' in ours


def test_a_message_is_written_as_the_templates_write_it(
    helpdesk_client,
    incidents,  # noqa: F811 (the fixture imported above)
    monkeypatch,
):
    from incidents.admin.incidents import IncidentAdmin

    said = []
    original = IncidentAdmin.get_changelist_instance

    def with_messages(self, request):
        self.message_user(request, "reassigned <b>O'Brien</b> & co", messages.SUCCESS)
        self.message_user(request, "lowercase first", messages.WARNING)
        said.append(request)
        return original(self, request)

    monkeypatch.setattr(IncidentAdmin, "get_changelist_instance", with_messages)
    ours, theirs = both(helpdesk_client, "", monkeypatch)

    assert ours == theirs
    assert "Reassigned &lt;b&gt;O&#x27;Brien&lt;/b&gt; &amp; co" in ours
    assert len(said) == 2


def test_a_user_with_view_permission_only_is_written_as_the_templates_write_it(
    client,
    helpdesk_user,
    incidents,  # noqa: F811 (the fixture imported above)
    monkeypatch,
):
    helpdesk_user.user_permissions.add(Permission.objects.get(codename="view_incident"))
    helpdesk_user.first_name = "Ada <Helpdesk>"
    helpdesk_user.set_unusable_password()
    helpdesk_user.save()
    client.force_login(helpdesk_user)

    ours, theirs = both(client, "", monkeypatch)

    assert ours == theirs
    assert "Select incident to view" in ours
    assert "Ada &lt;Helpdesk&gt;" in ours


def test_supplier_names_are_escaped_wherever_they_appear(
    helpdesk_client,
    incidents,  # noqa: F811 (the fixture imported above)
    monkeypatch,
):
    SupplierFactory(name="<script>alert(1)</script>")

    ours, theirs = both(helpdesk_client, "?q=%3Cscript%3E", monkeypatch)

    assert ours == theirs
    assert "<script>alert" not in ours
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in ours


def test_the_page_says_which_template_it_stands_for(helpdesk_client, incidents):  # noqa: F811
    response = helpdesk_client.get(CHANGELIST)

    assert response.context["cl"].result_count == len(incidents)
    assert "admin/incidents/incident/change_list.html" in [t.name for t in response.templates]


def changelist_for(rf, user, query: dict):
    from django.contrib import admin

    from incidents.models import Incident

    request = rf.get(CHANGELIST, query)
    request.user = user
    return admin.site.get_model_admin(Incident).get_changelist_instance(request)


@pytest.mark.parametrize(
    ("new_params", "remove"),
    [
        (None, None),
        ({"p": 2}, None),
        ({"p": "2"}, None),
        ({"_facets": True}, None),
        ({"_facets": 1}, None),  # not the same as True
        ({"status__exact": None}, ["o"]),
        ({"created_at__gte": "2027-01-01 00:00:00+00:00", "created_at__lt": "x y"}, None),
        ({"o": ["1", "2"]}, None),  # a list: Django's answer each time
    ],
)
def test_the_kept_links_are_the_ones_django_makes(
    rf,
    helpdesk_user,
    incidents,  # noqa: F811 (the fixture imported above)
    new_params,
    remove,
):
    from django.contrib.admin.views.main import ChangeList

    helpdesk_user.user_permissions.add(Permission.objects.get(codename="view_incident"))
    cl = changelist_for(rf, helpdesk_user, {"o": "3.-6", "status__exact": "closed"})

    for _ in range(2):  # made, then kept
        ours = cl.get_query_string(new_params, remove)
        assert ours == ChangeList.get_query_string(cl, new_params, remove)


@pytest.mark.parametrize("query", [{}, {"o": "3.-6"}, {"o": "-1", "p": "2"}])
def test_a_compiled_page_reads_the_rows_the_orm_reads(
    rf,
    helpdesk_user,
    incidents,  # noqa: F811 (the fixture imported above)
    monkeypatch,
    query,
):
    helpdesk_user.user_permissions.add(Permission.objects.get(codename="view_incident"))
    from incidents.admin.incidents import IncidentAdmin

    monkeypatch.setattr(IncidentAdmin, "list_per_page", 2)
    for _ in range(2):  # compiled, then run again
        cl = changelist_for(rf, helpdesk_user, query)
        assert isinstance(cl.result_list, list)
        columns = ["pk", "device__device_id", "device__device_type", "raising_supplier__name"]
        columns += ["assigned_supplier__name", "status", "due_at", "created_at"]
        orm = cl.paginator.page(cl.page_num).object_list.values_list(*columns)
        assert [tuple(row) for row in cl.result_list] == list(orm)
        assert cl.result_list
