"""Words on the pages and in the messages: a status said as a sentence says it ("is with the
DCC helpdesk", not "is with dcc helpdesk"), a timeline line says nothing twice, the admin
names a request by its reference, and an error is listed once."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from incidents.models import IncidentEvent, IncidentStatus
from incidents.services import (
    IncidentError,
    incident_add_note,
    incident_answer_not_installed,
    incident_close,
)
from notifications.models import Notification
from ssi_portal.lib.email import render_email


def _refusal(call) -> str:
    with pytest.raises(IncidentError) as caught:
        call()
    return caught.value.message


# --- A status in the middle of a sentence -------------------------------------------------------


def test_an_action_no_longer_possible_after_an_answer_says_the_request_was_answered(
    answered_incident, gaining_user, installing_user
):
    message = _refusal(
        lambda: incident_answer_not_installed(actor=installing_user, incident=answered_incident)
    )

    assert message == (
        f"{answered_incident.reference} has been answered with the install code; that action is "
        "no longer possible."
    )


def test_an_action_no_longer_possible_with_the_helpdesk_says_so_in_words(
    incident, installing_user, helpdesk_user, other_supplier
):
    from incidents.services import incident_reassign

    incident_answer_not_installed(actor=installing_user, incident=incident)
    incident.refresh_from_db()
    incident_close(actor=incident.raised_by, incident=incident, outcome="no_longer_needed")

    message = _refusal(
        lambda: incident_reassign(
            actor=helpdesk_user, incident=incident, supplier=other_supplier, reason="Found."
        )
    )

    assert message == (
        f"{incident.reference} is closed; only a request awaiting an answer can be reassigned."
    )


@pytest.mark.parametrize(
    ("status", "phrase"),
    [
        (IncidentStatus.AWAITING_INSTALLER, "is awaiting the installing Supplier's answer"),
        (IncidentStatus.WITH_HELPDESK, "is with the DCC helpdesk"),
        (IncidentStatus.CODE_PROVIDED, "has been answered with the install code"),
        (IncidentStatus.CLOSED, "is closed"),
    ],
)
def test_each_status_reads_as_words_after_the_reference(status, phrase):
    from incidents.models import Incident

    assert Incident(status=status).status_phrase == phrase


def test_the_reassign_page_says_the_status_in_words(
    client, helpdesk_user, incident, installing_user
):
    incident_answer_not_installed(actor=installing_user, incident=incident)
    helpdesk_user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_incident", "change_incident"])
    )
    client.force_login(helpdesk_user)

    html = client.get(reverse("admin:incidents_incident_reassign", args=[incident.pk])).content

    assert b", raised by Gaining Energy,\n  is with the DCC helpdesk." in html
    assert b"dcc helpdesk" not in html


def test_a_closed_request_cannot_be_reassigned_in_words(
    client, helpdesk_user, incident, gaining_user
):
    incident_close(actor=gaining_user, incident=incident, outcome="no_longer_needed")
    helpdesk_user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_incident", "change_incident"])
    )
    client.force_login(helpdesk_user)

    response = client.get(
        reverse("admin:incidents_incident_reassign", args=[incident.pk]), follow=True
    )

    assert [str(m) for m in response.context["messages"]] == [
        f"{incident.reference} is closed and cannot be reassigned."
    ]


# --- The timeline ---------------------------------------------------------------------------


def _timeline(client, user, incident) -> str:
    client.force_login(user)
    html = client.get(reverse("incidents:detail", args=[incident.public_id])).content.decode()
    return html.split('id="timeline"')[1].split("</ol>")[0]


def test_a_timeline_line_does_not_repeat_the_event_as_the_new_status(
    client, gaining_user, answered_incident
):
    timeline = _timeline(client, gaining_user, answered_incident)

    assert "<strong>Install code provided</strong></p>" in timeline
    assert "now Install code provided" not in timeline


def test_a_timeline_line_names_a_new_status_the_event_does_not_say(
    client, gaining_user, incident, installing_user
):
    incident_answer_not_installed(actor=installing_user, incident=incident)

    timeline = _timeline(client, gaining_user, incident)

    assert (
        "<strong>Installing Supplier did not install the Device</strong> — now With DCC helpdesk"
    ) in timeline


# --- The admin ------------------------------------------------------------------------------


def test_an_event_is_named_by_its_requests_reference_not_its_database_id(incident):
    event = IncidentEvent.objects.get(incident=incident)

    assert str(event) == f"Raised on {incident.reference}"


def test_the_admin_inline_of_events_names_the_reference(client, helpdesk_user, incident):
    helpdesk_user.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["view_incident", "change_incident", "view_incidentevent"]
        )
    )
    client.force_login(helpdesk_user)

    html = client.get(reverse("admin:incidents_incident_change", args=[incident.pk])).content

    assert f"Raised on {incident.reference}".encode() in html
    assert f"Raised on {incident.pk}<".encode() not in html


# --- Errors listed once --------------------------------------------------------------------------


def test_a_failed_login_says_so_once(client, gaining_user):
    response = client.post(
        reverse("login"), {"username": gaining_user.username, "password": "not the password"}
    )

    html = response.content.decode()
    assert html.count("Please enter a correct username and password") == 1
    assert html.count('role="alert"') == 1


def test_an_error_of_the_whole_form_is_listed_once_in_the_summary(
    client, gaining_user, installing_supplier, settings
):
    from tests.factories import DeviceFactory

    settings.SSI_RAISE_LIMIT_PER_USER = "1/hour"
    client.force_login(gaining_user)
    first, second = (DeviceFactory(installing_supplier=installing_supplier) for _ in range(2))
    client.post(reverse("incidents:raise"), {"device_id": first.device_id})

    response = client.post(reverse("incidents:raise"), {"device_id": second.device_id})

    assert response.status_code == 429
    assert response.content.decode().count("You have raised 1 request in the last hour") == 1


# --- The bulk answer's hint ---------------------------------------------------------------------


def test_a_refused_code_in_a_bulk_answer_reads_as_the_answer_form_does(installing_user, incident):
    from incidents import services
    from tests.support.bulk import ANSWER_HEADER, only_result, run

    row = only_result(run(installing_user, "answer", ANSWER_HEADER, f"{incident.reference},12"))
    with pytest.raises(services.IncidentError) as refused:
        services.incident_answer(actor=installing_user, incident=incident, install_code="12")

    assert row.message == (
        "An install code has 32 hex digits, or 36 when its 4-digit CRC is included; this one has 2."
    )
    assert refused.value.message == row.message


# --- Emails say what happened in words ------------------------------------------------------------


def _rendered(template: str) -> tuple[str, str, str]:
    notification = Notification.objects.filter(template=template).latest("pk")
    return render_email(notification.template, notification.context)


def test_the_helpdesk_email_says_what_the_installer_said(incident, installing_user):
    incident_answer_not_installed(actor=installing_user, incident=incident)

    _, text, html = _rendered("incident_helpdesk")

    assert text.startswith(
        "A Request for Install Code needs the DCC helpdesk: Installing Power says it did not "
        "install the Device. Assign it to the installing Supplier in the admin."
    )


def test_the_update_email_says_what_happened_in_a_sentence(incident, installing_user):
    incident_add_note(actor=installing_user, incident=incident, text="Visit booked.")

    _, text, _ = _rendered("incident_updated")

    assert text.startswith(
        "Update on this Request for Install Code: Installing Power added a note."
    )


def test_the_update_email_of_a_reassignment_names_the_new_supplier(
    incident, installing_user, helpdesk_user, other_supplier
):
    from incidents.services import incident_reassign

    incident_reassign(
        actor=helpdesk_user, incident=incident, supplier=other_supplier, reason="Found them."
    )

    _, text, _ = _rendered("incident_updated")

    assert text.startswith(
        "Update on this Request for Install Code: the DCC helpdesk assigned it to Third Party Gas."
    )
