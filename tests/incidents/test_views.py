"""What the pages show and how they answer bad input."""

import pytest
from django.urls import reverse

from conftest import INSTALL_CODE, INSTALL_CODE_WITH_CRC
from incidents.models import Incident, IncidentEvent
from notifications.models import Notification


def detail_url(incident):
    return reverse("incidents:detail", args=[incident.public_id])


def test_raising_redirects_to_the_new_incident_and_says_who_was_emailed(
    client, gaining_user, device
):
    client.force_login(gaining_user)
    response = client.post(
        reverse("incidents:raise"), {"device_id": "00db1234567890a0"}, follow=True
    )
    incident = Incident.objects.get()
    assert response.redirect_chain[-1][0] == detail_url(incident)
    assert (
        f"{incident.reference} raised and assigned to Installing Power" in response.content.decode()
    )


def test_a_refused_raise_lists_the_error_at_the_top_linked_to_the_field(client, gaining_user):
    client.force_login(gaining_user)
    response = client.post(reverse("incidents:raise"), {"device_id": "00-DB-12-34-56-78-90"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "data-error-summary" in html
    assert 'href="#id_device_id"' in html
    assert "A Device ID has 16 hex digits" in html
    assert html.index("There is a problem") < html.index('name="device_id"')
    assert not Incident.objects.exists() and not IncidentEvent.objects.exists()
    assert not Notification.objects.exists()


def test_an_empty_device_id_is_refused_as_required(client, gaining_user):
    client.force_login(gaining_user)
    response = client.post(reverse("incidents:raise"), {"device_id": ""})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()


def test_a_bad_install_code_is_shown_next_to_the_field_and_changes_nothing(
    client, installing_user, incident
):
    client.force_login(installing_user)
    response = client.post(
        reverse("incidents:answer", args=[incident.public_id]),
        {"install_code": INSTALL_CODE + "0000"},
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert 'href="#id_install_code"' in html
    assert "are not the CRC of the first 32 (expected C3B5)" in html
    incident.refresh_from_db()
    assert incident.status == "awaiting_installer" and incident.install_code_sealed is None


def test_the_code_is_hidden_until_revealed(client, gaining_user, answered_incident):
    client.force_login(gaining_user)
    page = client.get(detail_url(answered_incident)).content.decode()
    assert "Reveal install code" in page
    assert "83FE" not in page


def test_revealing_shows_the_code_in_groups_with_its_crc_and_is_never_cached(
    client, gaining_user, answered_incident
):
    client.force_login(gaining_user)
    response = client.post(reverse("incidents:reveal", args=[answered_incident.public_id]))
    html = response.content.decode()
    assert "83FE D340 7A93 9723 A5C6 39B2 6916 D505" in html
    assert "C3B5" in html
    assert "no-store" in response["Cache-Control"]
    assert answered_incident.events.filter(kind="code_revealed", actor=gaining_user).exists()


def test_lists_never_show_install_codes(client, gaining_user, answered_incident):
    client.force_login(gaining_user)
    html = client.get(reverse("incidents:raised")).content.decode()
    assert answered_incident.reference in html
    assert "83FE" not in html.upper()


def test_the_close_form_offers_code_worked_only_once_a_code_is_provided(
    client, gaining_user, incident
):
    client.force_login(gaining_user)
    before = client.get(detail_url(incident)).content.decode()
    assert "No longer needed" in before and "The install code worked" not in before


def test_closing_as_code_worked_before_an_answer_is_refused_with_a_message(
    client, gaining_user, incident
):
    client.force_login(gaining_user)
    response = client.post(
        reverse("incidents:close", args=[incident.public_id]), {"outcome": "code_worked"}
    )
    assert response.status_code == 400
    incident.refresh_from_db()
    assert incident.is_open


def test_the_installer_sees_the_answer_forms_and_not_the_raisers_actions(
    client, installing_user, incident
):
    client.force_login(installing_user)
    html = client.get(detail_url(incident)).content.decode()
    assert "Provide install code" in html and "We did not install this Device" in html
    assert "Close request" not in html and "did not work" not in html


def test_the_raiser_can_report_that_the_code_did_not_work(client, gaining_user, answered_incident):
    client.force_login(gaining_user)
    response = client.post(
        reverse("incidents:code_failed", args=[answered_incident.public_id]),
        {"reason": "HAN join refused"},
        follow=True,
    )
    assert "returned to the installing Supplier" in response.content.decode()
    answered_incident.refresh_from_db()
    assert answered_incident.status == "awaiting_installer"


@pytest.mark.parametrize(
    "query,shown",
    [
        ("", True),
        ("?status=closed", False),
        ("?q=00-db-12-34-56-78-90-a0", True),
        ("?q=00-DB-FF", False),
        ("?overdue=on", False),
    ],
)
def test_the_worklist_filters(client, installing_user, incident, query, shown):
    client.force_login(installing_user)
    html = client.get(reverse("incidents:assigned") + query).content.decode()
    assert (incident.reference in html) is shown


def test_the_worklist_pages_in_constant_queries(
    client, installing_user, gaining_user, installing_supplier, django_assert_num_queries
):
    from incidents.services import incident_raise
    from tests.factories import DeviceFactory

    for device in DeviceFactory.create_batch(30, installing_supplier=installing_supplier):
        incident_raise(actor=gaining_user, device_id=device.device_id)
    client.force_login(installing_user)
    # the session read with its user and their Supplier, page of incidents (with Device and
    # Suppliers joined); no count (keyset pages: tests/incidents/test_list_performance.py)
    with django_assert_num_queries(2):
        response = client.get(reverse("incidents:assigned"))
    assert response.status_code == 200


def test_home_shows_the_counts(client, installing_user, incident):
    client.force_login(installing_user)
    html = client.get(reverse("incidents:home")).content.decode()
    assert '<p class="display-6 mb-0" id="count-awaiting-us">1</p>' in html


def test_the_answer_works_with_the_code_as_typed_with_spaces(client, installing_user, incident):
    client.force_login(installing_user)
    spaced = " ".join(INSTALL_CODE_WITH_CRC[i : i + 4] for i in range(0, 36, 4)).lower()
    response = client.post(
        reverse("incidents:answer", args=[incident.public_id]), {"install_code": spaced}
    )
    assert response.status_code == 302


def test_a_refused_install_code_is_not_echoed_back(client, installing_user, incident):
    client.force_login(installing_user)
    typed = INSTALL_CODE + "0000"
    response = client.post(
        reverse("incidents:answer", args=[incident.public_id]), {"install_code": typed}
    )
    assert response.status_code == 400
    assert INSTALL_CODE not in response.content.decode()
