"""The DCC helpdesk works incidents in the Django admin."""

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from incidents.models import Incident, IncidentStatus


@pytest.fixture
def helpdesk_client(client, helpdesk_user):
    helpdesk_user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_incident", "change_incident"])
    )
    client.force_login(helpdesk_user)
    return client


def changelist(client, query=""):
    return client.get(reverse("admin:incidents_incident_changelist") + query).content.decode()


def test_the_helpdesk_finds_an_incident_by_reference(helpdesk_client, incident, other_supplier):
    assert incident.reference in changelist(helpdesk_client, f"?q={incident.reference.lower()}")


def test_the_helpdesk_finds_an_incident_by_a_pasted_device_id(helpdesk_client, incident):
    html = changelist(helpdesk_client, "?q=00:db:12:34:56:78:90:a0")
    assert incident.reference in html


def test_a_search_for_another_device_finds_nothing(helpdesk_client, incident):
    assert incident.reference not in changelist(helpdesk_client, "?q=00-DB-12-34-56-78-90-A1")


@pytest.mark.parametrize("flag,shown", [("yes", True), ("no", False)])
def test_the_overdue_filter(helpdesk_client, incident, flag, shown):
    Incident.objects.filter(pk=incident.pk).update(due_at=incident.due_at - dt.timedelta(days=30))
    assert (incident.reference in changelist(helpdesk_client, f"?overdue={flag}")) is shown


def test_the_change_page_says_a_code_is_held_but_never_shows_it(helpdesk_client, answered_incident):
    html = helpdesk_client.get(
        reverse("admin:incidents_incident_change", args=[answered_incident.pk])
    ).content.decode()
    assert "Held (encrypted)" in html
    assert "83FE" not in html.upper()


def test_reassigning_in_the_admin_assigns_the_supplier_and_records_the_reason(
    helpdesk_client, helpdesk_user, incident, installing_user, other_supplier
):
    from incidents.services import incident_answer_not_installed

    incident_answer_not_installed(actor=installing_user, incident=incident)
    response = helpdesk_client.post(
        reverse("admin:incidents_incident_reassign", args=[incident.pk]),
        {"supplier": other_supplier.pk, "reason": "Registration history shows Third Party Gas"},
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.AWAITING_INSTALLER
    assert incident.assigned_supplier == other_supplier
    event = incident.events.get(kind="reassigned")
    assert event.actor == helpdesk_user
    assert "Registration history shows Third Party Gas" in event.message


def test_reassigning_without_a_reason_is_refused_and_changes_nothing(
    helpdesk_client, incident, other_supplier
):
    response = helpdesk_client.post(
        reverse("admin:incidents_incident_reassign", args=[incident.pk]),
        {"supplier": other_supplier.pk, "reason": ""},
    )
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    incident.refresh_from_db()
    assert incident.assigned_supplier != other_supplier


def test_the_raising_supplier_is_not_offered_as_assignee(helpdesk_client, incident):
    html = helpdesk_client.get(
        reverse("admin:incidents_incident_reassign", args=[incident.pk])
    ).content.decode()
    assert "Installing Power" in html
    assert "Gaining Energy" not in html.split("<select", 1)[1].split("</select>", 1)[0]


def test_a_closed_incident_cannot_be_reassigned(
    helpdesk_client, incident, gaining_user, other_supplier
):
    from incidents.services import incident_close

    incident_close(actor=gaining_user, incident=incident, outcome="no_longer_needed")
    response = helpdesk_client.post(
        reverse("admin:incidents_incident_reassign", args=[incident.pk]),
        {"supplier": other_supplier.pk, "reason": "late"},
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.CLOSED


def test_the_changelist_stays_at_a_fixed_number_of_queries(
    helpdesk_client, gaining_user, installing_supplier, django_assert_max_num_queries
):
    from incidents.services import incident_raise
    from tests.factories import DeviceFactory

    for device in DeviceFactory.create_batch(25, installing_supplier=installing_supplier):
        incident_raise(actor=gaining_user, device_id=device.device_id)
    with django_assert_max_num_queries(12):
        assert (
            helpdesk_client.get(reverse("admin:incidents_incident_changelist")).status_code == 200
        )


def test_the_helpdesk_adds_a_non_working_day_that_moves_new_deadlines(
    client, helpdesk_user, gaining_user, device
):
    import datetime as dt
    from zoneinfo import ZoneInfo

    from incidents.services import incident_raise

    helpdesk_user.user_permissions.add(
        *Permission.objects.filter(codename__in=["add_nonworkingday", "view_nonworkingday"])
    )
    client.force_login(helpdesk_user)
    response = client.post(
        reverse("admin:incidents_nonworkingday_add"),
        {"date": "08/04/2026", "description": "Industry-wide shutdown"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    london = ZoneInfo("Europe/London")
    incident = incident_raise(
        actor=gaining_user,
        device_id=device.device_id,
        now=dt.datetime(2026, 4, 1, 10, 0, tzinfo=london),
    )
    assert incident.due_at == dt.datetime(2026, 4, 13, 23, 59, 59, tzinfo=london)


@pytest.mark.parametrize("flag,shown", [("yes", True), ("no", False)])
def test_the_breached_filter(helpdesk_client, incident, flag, shown):
    from incidents.services import incident_escalate_overdue

    incident_escalate_overdue(now=incident.due_at + dt.timedelta(seconds=1))
    assert (incident.reference in changelist(helpdesk_client, f"?breached={flag}")) is shown


# --- Finding requests by Supplier name ---------------------------------------------------------


def test_the_helpdesk_finds_the_requests_a_supplier_raised_by_its_name(
    helpdesk_client, incident, other_supplier
):
    assert incident.reference in changelist(helpdesk_client, "?q=gaining energy")


def test_the_helpdesk_finds_the_requests_assigned_to_a_supplier_by_part_of_its_name(
    helpdesk_client, incident
):
    assert incident.reference in changelist(helpdesk_client, "?q=Installing")


def test_a_supplier_whose_name_could_be_hex_digits_is_found_by_its_name(
    helpdesk_client, gaining_user
):
    from incidents.services import incident_raise
    from tests.factories import DeviceFactory, SupplierFactory

    device = DeviceFactory(installing_supplier=SupplierFactory(name="EDF"))
    raised = incident_raise(actor=gaining_user, device_id=device.device_id)

    assert raised.reference in changelist(helpdesk_client, "?q=edf")


def test_a_search_for_a_supplier_that_has_no_requests_finds_none(
    helpdesk_client, incident, other_supplier
):
    assert incident.reference not in changelist(helpdesk_client, "?q=Third Party")


# --- The reassign page ---------------------------------------------------------------------------


def reassign_page(client, incident) -> str:
    return client.get(
        reverse("admin:incidents_incident_reassign", args=[incident.pk])
    ).content.decode()


def test_the_reassign_page_shows_why_the_supplier_disclaimed_the_request(
    helpdesk_client, incident, installing_user
):
    from incidents.services import incident_answer_not_installed

    incident_answer_not_installed(
        actor=installing_user, incident=incident, reason="Our records show another installer."
    )

    html = reassign_page(helpdesk_client, incident)

    said = html.split('aria-labelledby="said-heading"', 1)[1].split("</aside>", 1)[0]
    assert "Installing Power" in said
    assert "Reason: Our records show another installer." in said


def test_the_reassign_page_says_when_no_supplier_has_disclaimed_the_request(
    helpdesk_client, incident
):
    assert "No Supplier has said it did not install this Device." in reassign_page(
        helpdesk_client, incident
    )


def test_the_reassign_page_has_the_admins_breadcrumbs(helpdesk_client, incident):
    html = reassign_page(helpdesk_client, incident)

    crumbs = html.split('<ol class="breadcrumbs">', 1)[1].split("</ol>", 1)[0]
    assert f">{incident.reference}</a></li>" in crumbs
    assert '<li aria-current="page">Reassign</li>' in crumbs


# --- Read-only pages and times -------------------------------------------------------------------


def test_the_incident_page_offers_no_save_button_since_nothing_on_it_can_be_changed(
    helpdesk_client, incident
):
    html = helpdesk_client.get(
        reverse("admin:incidents_incident_change", args=[incident.pk])
    ).content.decode()

    assert 'name="_save"' not in html
    assert 'name="_continue"' not in html
    assert 'class="closelink"' in html


def test_the_admin_shows_times_on_the_24_hour_clock(helpdesk_client, gaining_user, device):
    from zoneinfo import ZoneInfo

    from incidents.services import incident_raise

    raised = incident_raise(
        actor=gaining_user,
        device_id=device.device_id,
        now=dt.datetime(2026, 4, 1, 14, 30, tzinfo=ZoneInfo("Europe/London")),
    )

    html = helpdesk_client.get(
        reverse("admin:incidents_incident_change", args=[raised.pk])
    ).content.decode()

    assert "1 Apr 2026 14:30" in html
    assert "p.m." not in html
