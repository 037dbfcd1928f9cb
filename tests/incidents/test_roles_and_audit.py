"""Roles limit what a Supplier's users may do; reveals, reassignments and exports are audited."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from accounts.models import SecurityEvent
from conftest import INSTALL_CODE_WITH_CRC
from incidents.services import (
    incident_answer,
    incident_close,
    incident_raise,
    incident_reassign,
    incident_reveal_code,
)


def test_a_user_without_the_raise_role_cannot_raise(gaining_user, device):
    gaining_user.can_raise = False
    gaining_user.save()
    with pytest.raises(PermissionDenied, match="role to raise"):
        incident_raise(actor=gaining_user, device_id=device.device_id)


def test_the_raise_page_refuses_a_user_without_the_raise_role(client, gaining_user):
    gaining_user.can_raise = False
    gaining_user.save()
    client.force_login(gaining_user)
    assert client.get(reverse("incidents:raise")).status_code == 403


def test_a_user_without_the_answer_role_cannot_answer(incident, installing_user):
    installing_user.can_answer = False
    installing_user.save()
    with pytest.raises(PermissionDenied):
        incident_answer(
            actor=installing_user, incident=incident, install_code=INSTALL_CODE_WITH_CRC
        )


def test_a_user_without_the_answer_role_is_not_offered_the_answer_form(
    client, incident, installing_user
):
    installing_user.can_answer = False
    installing_user.save()
    client.force_login(installing_user)
    html = client.get(reverse("incidents:detail", args=[incident.public_id])).content.decode()
    assert "Provide install code" not in html


def test_a_raiser_without_the_raise_role_cannot_close(incident, gaining_user):
    gaining_user.can_raise = False
    gaining_user.save()
    with pytest.raises(PermissionDenied):
        incident_close(actor=gaining_user, incident=incident, outcome="no_longer_needed")


def test_a_raiser_without_the_raise_role_cannot_reveal_the_code(answered_incident, gaining_user):
    gaining_user.can_raise = False
    gaining_user.save()

    with pytest.raises(PermissionDenied, match="with the role to raise requests"):
        incident_reveal_code(actor=gaining_user, incident=answered_incident)


def test_a_provider_without_the_answer_role_cannot_reveal_the_code(
    answered_incident, installing_user
):
    installing_user.can_answer = False
    installing_user.save()

    with pytest.raises(PermissionDenied, match="with the role to answer them"):
        incident_reveal_code(actor=installing_user, incident=answered_incident)


def test_a_provider_with_only_the_raise_role_cannot_reveal_the_code(
    answered_incident, installing_user
):
    installing_user.can_answer = False
    installing_user.can_raise = True
    installing_user.save()

    with pytest.raises(PermissionDenied):
        incident_reveal_code(actor=installing_user, incident=answered_incident)


def test_a_user_without_the_role_is_not_offered_the_reveal_button(
    client, answered_incident, gaining_user
):
    gaining_user.can_raise = False
    gaining_user.save()
    client.force_login(gaining_user)

    html = client.get(reverse("incidents:detail", args=[answered_incident.public_id])).content
    assert reverse("incidents:reveal", args=[answered_incident.public_id]).encode() not in html
    assert b"It is hidden." in html


def test_revealing_a_code_is_audited(answered_incident, gaining_user):
    incident_reveal_code(actor=gaining_user, incident=answered_incident)
    event = SecurityEvent.objects.get(kind="code_revealed")
    assert (event.actor, event.reference) == (gaining_user, answered_incident.reference)
    assert "83FE" not in event.detail.upper()


def test_reassigning_is_audited(incident, helpdesk_user, other_supplier):
    incident_reassign(
        actor=helpdesk_user, incident=incident, supplier=other_supplier, reason="Registration"
    )
    event = SecurityEvent.objects.get(kind="reassigned")
    assert event.reference == incident.reference and other_supplier.name in event.detail


def test_a_compliance_export_is_audited(client, installing_user):
    client.force_login(installing_user)
    response = client.get(reverse("incidents:compliance_csv"))
    assert response.status_code == 200
    event = SecurityEvent.objects.get(kind="export")
    assert event.actor == installing_user and event.reference.endswith(".csv")
