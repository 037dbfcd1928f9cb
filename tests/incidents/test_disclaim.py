""" "We did not install this Device": asked to confirm first, then landing on the request,
which the Supplier that disclaimed it keeps in sight, read only, under "Disclaimed by us"."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from conftest import INSTALL_CODE
from incidents.models import Incident, IncidentStatus
from incidents.selectors import incidents as selectors
from incidents.services import (
    incident_answer_not_installed,
    incident_raise,
    incident_reassign,
)
from tests.factories import DeviceFactory
from tests.test_html import assert_valid_page

REFERENCE = re.compile(r">(INC\d{7})</a>")
DISCLAIMED = reverse("incidents:disclaimed")


def _not_installed(client, incident, **data):
    return client.post(reverse("incidents:not_installed", args=[incident.public_id]), data)


@pytest.fixture
def disclaimed(incident, installing_user):
    return incident_answer_not_installed(
        actor=installing_user, incident=incident, reason="Our records show no visit."
    )


# --- Asking first ---------------------------------------------------------------------------


def test_the_not_installed_form_first_asks_to_confirm_and_changes_nothing(
    client, installing_user, incident
):
    client.force_login(installing_user)

    response = _not_installed(client, incident, reason="No visit on our records.")

    assert response.status_code == 200
    assert response.templates[0].name == "incidents/not_installed_confirm.html"
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.AWAITING_INSTALLER
    assert not incident.events.filter(kind="not_installed").exists()
    assert_valid_page(response.content.decode())


def test_the_confirmation_says_what_will_happen_and_keeps_the_reason_typed(
    client, installing_user, incident
):
    client.force_login(installing_user)

    html = _not_installed(client, incident, reason="No visit on our records.").content.decode()

    text = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    assert '<h1 class="h3 mb-3">Confirm: we did not install this Device</h1>' in html
    assert (
        f"{incident.reference} goes to the DCC helpdesk, which finds the Supplier that installed "
        "the Device and assigns the request to it. The DCC helpdesk and Gaining Energy are "
        "emailed."
    ) in text
    assert (
        "It leaves your worklist. You can still read it under Disclaimed by us, but no longer "
        "answer it or add notes."
    ) in text
    assert "No visit on our records.</textarea>" in html
    assert '<input type="hidden" name="confirm" value="yes">' in html
    assert f'href="{reverse("incidents:detail", args=[incident.public_id])}"' in html


def test_a_reason_holding_an_install_code_is_refused_before_the_confirmation(
    client, installing_user, incident
):
    client.force_login(installing_user)

    response = _not_installed(client, incident, reason=f"The code is {INSTALL_CODE}")

    assert response.status_code == 400
    assert response.templates[0].name == "incidents/detail.html"
    assert "looks like it contains an install code" in response.content.decode()


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("gaining_user", 403),
        ("installing_user", 200),
        ("other_supplier_user", 404),
        ("helpdesk_user", 403),
        (None, 302),
    ],
)
def test_only_the_assigned_supplier_reaches_the_confirmation(
    request, client, persona, expected, incident
):
    if persona:
        client.force_login(request.getfixturevalue(persona))

    assert _not_installed(client, incident, reason="").status_code == expected


# --- Confirming and landing -------------------------------------------------------------------


def test_confirming_sends_the_request_to_the_helpdesk(client, installing_user, incident):
    client.force_login(installing_user)

    response = _not_installed(client, incident, reason="No visit.", confirm="yes")

    assert response.status_code == 302
    assert response["Location"] == reverse("incidents:detail", args=[incident.public_id])
    incident.refresh_from_db()
    assert (incident.status, incident.assigned_supplier) == (IncidentStatus.WITH_HELPDESK, None)
    assert incident.events.get(kind="not_installed").message.startswith(
        "Installing Power says it did not install this Device. Reason: No visit."
    )


def test_after_confirming_the_supplier_lands_on_the_request_with_what_happened(
    client, installing_user, incident
):
    client.force_login(installing_user)

    response = _not_installed(client, incident, reason="", confirm="yes")
    page = client.get(response["Location"])

    assert page.status_code == 200
    [message] = list(page.context["messages"])
    assert str(message) == (
        f"{incident.reference} sent to the DCC helpdesk to find the installing Supplier. It has "
        "left your worklist; you can still read it under Disclaimed by us."
    )
    assert_valid_page(page.content.decode())


def test_the_supplier_that_disclaimed_reads_the_request_without_any_action(
    client, installing_user, disclaimed
):
    client.force_login(installing_user)

    html = client.get(reverse("incidents:detail", args=[disclaimed.public_id])).content.decode()

    assert (
        "Installing Power answered that it did not install this Device. You can still read this "
        "request, but no longer act on it"
    ) in html
    assert "<form" not in html.split("</header>")[1]  # the log-out form is in the header
    assert "Our records show no visit." in html


def test_a_supplier_reassigned_away_without_disclaiming_no_longer_sees_the_request(
    client, installing_user, other_supplier, helpdesk_user, incident
):
    incident_reassign(
        actor=helpdesk_user, incident=incident, supplier=other_supplier, reason="Wrong SMI data."
    )
    client.force_login(installing_user)

    response = client.get(reverse("incidents:detail", args=[incident.public_id]))

    assert response.status_code == 404


def test_a_disclaimed_request_assigned_back_may_be_answered_again(
    installing_user, installing_supplier, helpdesk_user, disclaimed
):
    incident_reassign(
        actor=helpdesk_user,
        incident=disclaimed,
        supplier=installing_supplier,
        reason="The SMI is right after all.",
    )

    incident = selectors.incident_get_for_user(installing_user, disclaimed.public_id)

    from incidents import permissions

    assert permissions.incident_access(installing_user, incident).answer.allowed


# --- "Disclaimed by us" -----------------------------------------------------------------------


def test_the_disclaimed_request_leaves_the_worklist_for_disclaimed_by_us(
    client, installing_user, disclaimed
):
    client.force_login(installing_user)

    worklist = client.get(reverse("incidents:assigned")).content.decode()
    listed = client.get(DISCLAIMED).content.decode()

    assert REFERENCE.findall(worklist) == []
    assert REFERENCE.findall(listed) == [disclaimed.reference]
    assert '<h1 class="h3 mb-3">Requests disclaimed by Installing Power</h1>' in listed
    assert_valid_page(listed)


def test_a_disclaimed_request_stays_listed_once_the_helpdesk_assigns_it_elsewhere(
    client, installing_user, other_supplier, helpdesk_user, disclaimed
):
    incident_reassign(
        actor=helpdesk_user, incident=disclaimed, supplier=other_supplier, reason="Found them."
    )
    client.force_login(installing_user)

    assert REFERENCE.findall(client.get(DISCLAIMED).content.decode()) == [disclaimed.reference]
    page = client.get(reverse("incidents:detail", args=[disclaimed.public_id]))
    assert page.status_code == 200


def test_the_read_only_view_ends_with_the_disclaimer_and_names_no_later_supplier(
    client, installing_user, other_supplier, other_supplier_user, helpdesk_user, disclaimed
):
    from incidents.services import incident_add_note, incident_answer

    incident_reassign(
        actor=helpdesk_user, incident=disclaimed, supplier=other_supplier, reason="Found them."
    )
    incident_add_note(actor=other_supplier_user, incident=disclaimed, text="Engineer booked.")
    incident_answer(actor=other_supplier_user, incident=disclaimed, install_code=INSTALL_CODE)
    client.force_login(installing_user)

    response = client.get(reverse("incidents:detail", args=[disclaimed.public_id]))

    html = response.content.decode()
    assert [event.kind for event in response.context["timeline"]] == ["raised", "not_installed"]
    assert "Engineer booked." not in html
    assert "Third Party Gas" not in html
    assert '<dd class="col-sm-8" id="assigned-to">Another Supplier</dd>' in html
    assert "<p>Another Supplier provided the install code on" in html


def test_disclaimed_by_us_lists_only_our_own_disclaimers(
    client, gaining_user, other_supplier_user, disclaimed
):
    for user in (gaining_user, other_supplier_user):
        client.force_login(user)
        assert REFERENCE.findall(client.get(DISCLAIMED).content.decode()) == []


def test_disclaimed_by_us_is_for_supplier_users_only(client, helpdesk_user):
    client.force_login(helpdesk_user)

    assert client.get(DISCLAIMED).status_code == 403


def test_the_worklist_links_to_disclaimed_by_us(client, installing_user):
    client.force_login(installing_user)

    html = client.get(reverse("incidents:assigned")).content.decode()

    assert f'<a href="{DISCLAIMED}">Disclaimed by us</a>' in html


def test_disclaimed_by_us_takes_a_fixed_number_of_queries(
    client, gaining_user, installing_user, installing_supplier, django_assert_num_queries
):
    now = dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC)
    for _ in range(6):
        device = DeviceFactory(installing_supplier=installing_supplier)
        made = incident_raise(actor=gaining_user, device_id=device.device_id, now=now)
        incident_answer_not_installed(actor=installing_user, incident=made, now=now)
    client.force_login(installing_user)

    # The session read with its user and their Supplier, the page's rows: as many as "Raised
    # by us" or "Assigned to us".
    with django_assert_num_queries(2):
        html = client.get(DISCLAIMED).content.decode()

    assert len(REFERENCE.findall(html)) == Incident.objects.count() == 6
