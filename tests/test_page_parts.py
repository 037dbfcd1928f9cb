"""The parts of the busiest pages that are worked out once rather than on every request: the
incident read through SQL compiled once (the same incident, the same related objects, the same
access rule as the ORM's query), its timeline worded once, the lists' rows, the navigation's
URLs."""

import uuid

import pytest
from django.http import Http404
from django.template import Context, Template
from django.urls import reverse

from incidents.models import IncidentStatus
from incidents.selectors.incidents import Viewer, _incident_for, incident_get_for_user
from incidents.selectors.timeline import incident_timeline_entries
from incidents.services import incident_add_note, incident_answer_not_installed
from incidents.templatetags.incident_lists import list_rows
from incidents.views.lists import ListRow
from inventory.models import Device
from ssi_portal.lib.compiled import CompiledObjectsQuery, CompiledQuery

pytestmark = pytest.mark.django_db


def test_the_compiled_incident_is_the_orms_with_its_related_objects(
    gaining_user, incident, django_assert_num_queries
):
    expected = _incident_for(Viewer(False, gaining_user.supplier_id), incident.public_id)[0]
    incident_get_for_user(gaining_user, incident.public_id)  # compiled

    with django_assert_num_queries(1):
        found = incident_get_for_user(gaining_user, incident.public_id)
        # Joined in: no query for the Device, the Suppliers or the raiser.
        names = (found.device.device_id, found.raising_supplier.name, found.raised_by.username)
        assigned = found.assigned_supplier.name

    assert found == expected and found.disclaimed_at is None
    assert names == (incident.device.device_id, incident.raising_supplier.name, "gaining")
    assert assigned == incident.assigned_supplier.name
    assert {f.attname: getattr(found, f.attname) for f in found._meta.concrete_fields} == {
        f.attname: getattr(expected, f.attname) for f in expected._meta.concrete_fields
    }


def test_the_compiled_incident_keeps_the_rule_of_who_sees_it(
    other_supplier_user, helpdesk_user, installing_user, incident
):
    with pytest.raises(Http404):
        incident_get_for_user(other_supplier_user, incident.public_id)
    assert incident_get_for_user(helpdesk_user, incident.public_id) == incident
    incident_answer_not_installed(actor=installing_user, incident=incident)
    # Disclaimed: still seen by the Supplier that disclaimed it, with when it did.
    assert incident_get_for_user(installing_user, incident.public_id).disclaimed_at is not None
    with pytest.raises(Http404):
        incident_get_for_user(installing_user, uuid.uuid4())


def test_a_compiled_query_takes_a_uuid_and_a_value_standing_in_several_places(device):
    query = CompiledObjectsQuery(
        lambda pk: Device.objects.filter(pk=pk, pk__gte=pk).select_related("installing_supplier"),
        kinds=(int,),
        repeated=True,
    )
    [found] = query.objects(device.pk)
    assert found == device and found.installing_supplier.name == device.installing_supplier.name
    assert query.objects(device.pk + 1) == []


def test_a_compiled_query_finds_a_uuid_however_the_database_is_sent_it(incident):
    from incidents.models import Incident

    query = CompiledQuery(
        lambda public_id: Incident.objects.filter(public_id=public_id).values_list("pk"),
        kinds=(uuid.UUID,),
    )

    assert query.rows(incident.public_id) == [[incident.pk]]
    assert query.rows(uuid.uuid4()) == []


def test_the_timeline_is_worded_as_the_page_words_it(incident, gaining_user):
    incident_add_note(actor=gaining_user, incident=incident, text="Engineer booked.")

    raised, note = incident_timeline_entries(incident)

    assert (raised.kind, raised.kind_label) == ("raised", "Raised")
    # "Raised — now Awaiting installing Supplier": the status the event moved it to.
    assert raised.now_status == IncidentStatus.AWAITING_INSTALLER.label
    assert (note.kind_label, note.now_status, note.message) == ("Note", "", "Engineer booked.")
    assert note.organisation == gaining_user.supplier.name
    assert note.actor == (gaining_user.get_full_name() or gaining_user.username)
    assert note.at_iso.endswith(("+00:00", "+01:00")) and "." not in note.at_iso


def test_a_list_row_escapes_what_it_shows():
    row = ListRow(
        url="/incidents/x/",
        reference="INC0000001",
        device_id="00-DB-12",
        device_type="ESME",
        other_party='<script>alert("x")</script>',
        status_label="Awaiting installing Supplier",
        badge="text-bg-primary",
        raised="1 Dec 2026 10:00",
        due="8 Dec 2026",
        due_flag="Overdue",
    )

    drawn = list_rows([row, row._replace(due="", due_flag="")], "assigned")

    assert "<script>" not in drawn and "&lt;script&gt;alert(&quot;x&quot;)" in drawn
    assert '8 Dec 2026 <span class="badge text-bg-danger">Overdue</span>' in drawn
    assert '<td data-label="Answer due">—</td>' in drawn
    assert drawn.count('data-label="Raised by"') == 2


def test_a_fixed_url_is_the_reversed_url_of_the_url_conf_in_force(settings):
    from django.urls import NoReverseMatch

    floor = Template("{% load fixed_urls %}{% fixed_url 'bench_floor' %}")
    assert Template("{% load fixed_urls %}{% fixed_url 'incidents:raise' %}").render(
        Context()
    ) == reverse("incidents:raise")

    settings.ROOT_URLCONF = "bench.http_urls"
    assert floor.render(Context()) == "/bench/floor/"
    settings.ROOT_URLCONF = "ssi_portal.urls"  # the portal's own has no floor
    with pytest.raises(NoReverseMatch):
        floor.render(Context())


def test_a_fixed_static_url_is_the_static_url_of_the_settings_in_force(settings):
    from django.templatetags.static import static

    drawn = Template("{% load fixed_urls %}{% fixed_static 'css/portal.css' %}")
    assert drawn.render(Context()) == static("css/portal.css")

    settings.STATIC_URL = "/assets/"
    assert drawn.render(Context()) == static("css/portal.css")
    assert drawn.render(Context()).startswith("/assets/css/portal")


def test_the_navigation_kept_for_one_kind_of_user_and_page_is_not_shown_to_another(
    client, gaining_user, helpdesk_user
):
    client.force_login(gaining_user)
    assigned = client.get(reverse("incidents:assigned")).content.decode()
    raised = client.get(reverse("incidents:raised")).content.decode()
    client.force_login(helpdesk_user)
    helpdesk = client.get(reverse("incidents:compliance_all")).content.decode()

    current = 'href="{}" aria-current="page"'
    assert current.format(reverse("incidents:assigned")) in assigned
    assert current.format(reverse("incidents:raised")) in raised
    assert current.format(reverse("incidents:assigned")) not in raised
    assert "Raise a request" not in helpdesk and "Supplier compliance" in helpdesk
    assert "Supplier compliance" not in assigned
