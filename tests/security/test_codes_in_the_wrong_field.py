"""An install code typed where it does not belong (a note, a reason, a Device ID, a search) is
refused, and the refused page neither repeats it nor lets a cache keep it."""

import re

import pytest
from django.urls import reverse

from conftest import INSTALL_CODE, INSTALL_CODE_WITH_CRC
from incidents.models import IncidentEvent
from incidents.services import CODE_AS_DEVICE_ID_MESSAGE, CONTAINS_CODE_MESSAGE

pytestmark = pytest.mark.django_db

GROUPED = "83FE D340 7A93 9723 A5C6 39B2 6916 D505"
TYPED = [INSTALL_CODE, INSTALL_CODE_WITH_CRC.lower(), GROUPED]


def _hex(body: bytes) -> str:
    """The page's text with separators removed, so that a code shows however it is grouped."""
    return re.sub(r"[^0-9A-F]", "", body.decode().upper())


def assert_not_echoed(response) -> None:
    assert INSTALL_CODE not in _hex(response.content)


def assert_not_stored(response) -> None:
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert {"no-store", "private"} <= directives


# (url name, incident state, persona, field); the persona may use the form.
FREE_TEXT = {
    "note": ("incident", "raiser", "text"),
    "not_installed": ("incident", "installer", "reason"),
    "code_failed": ("answered", "raiser", "reason"),
}


@pytest.mark.parametrize("typed", TYPED)
@pytest.mark.parametrize("name", list(FREE_TEXT))
def test_a_code_in_free_text_is_refused_and_not_sent_back(
    name, typed, client, incident, installing_user, gaining_user
):
    state, persona, field = FREE_TEXT[name]
    if state == "answered":
        from incidents.services import incident_answer

        incident_answer(
            actor=installing_user, incident=incident, install_code=INSTALL_CODE_WITH_CRC
        )
    client.force_login(gaining_user if persona == "raiser" else installing_user)
    events = IncidentEvent.objects.count()

    response = client.post(
        reverse(f"incidents:{name}", args=[incident.public_id]),
        {field: f"Tried {typed} twice."},
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert CONTAINS_CODE_MESSAGE in html
    assert_not_echoed(response)
    assert IncidentEvent.objects.count() == events
    textarea = re.search(rf'<textarea name="{field}"[^>]*>(.*?)</textarea>', html, re.S)
    assert textarea and textarea.group(1).strip() == ""


def test_a_refused_note_without_a_code_is_sent_back_to_correct(client, incident, gaining_user):
    client.force_login(gaining_user)

    response = client.post(
        reverse("incidents:note", args=[incident.public_id]), {"text": "x" * 2001}
    )

    assert response.status_code == 400
    assert "x" * 2001 in response.content.decode()


@pytest.mark.parametrize("typed", TYPED)
def test_a_code_typed_as_a_device_id_is_refused_and_not_sent_back(
    typed, client, gaining_user, device
):
    client.force_login(gaining_user)

    response = client.post(reverse("incidents:raise"), {"device_id": typed})

    assert response.status_code == 400
    assert CODE_AS_DEVICE_ID_MESSAGE in response.content.decode()
    assert_not_echoed(response)
    assert_not_stored(response)


def test_a_mistyped_device_id_is_sent_back_to_correct(client, gaining_user, device):
    client.force_login(gaining_user)

    response = client.post(reverse("incidents:raise"), {"device_id": "00-DB-12-34-56-78-90"})

    assert response.status_code == 400
    assert 'value="00-DB-12-34-56-78-90"' in response.content.decode()


def test_a_code_typed_as_a_search_is_refused_and_not_repeated_in_the_page(
    client, gaining_user, incident
):
    client.force_login(gaining_user)

    response = client.get(reverse("incidents:raised"), {"q": GROUPED, "status": "open"})

    assert response.status_code == 200
    assert CONTAINS_CODE_MESSAGE in response.content.decode()
    assert_not_echoed(response)
    assert_not_stored(response)


def test_a_code_in_a_reassignment_reason_is_refused_and_not_sent_back(
    client, helpdesk_user, incident, other_supplier
):
    helpdesk_user.is_superuser = True
    helpdesk_user.save(update_fields=["is_superuser"])
    client.force_login(helpdesk_user)

    response = client.post(
        reverse("admin:incidents_incident_reassign", args=[incident.pk]),
        {"supplier": other_supplier.pk, "reason": f"Code {INSTALL_CODE_WITH_CRC}"},
    )

    assert response.status_code == 400
    assert CONTAINS_CODE_MESSAGE in response.content.decode()
    assert_not_echoed(response)
    assert_not_stored(response)


def test_a_refused_answer_page_is_not_stored(client, installing_user, incident):
    client.force_login(installing_user)

    response = client.post(
        reverse("incidents:answer", args=[incident.public_id]),
        {"install_code": INSTALL_CODE_WITH_CRC[:-1]},
    )

    assert response.status_code == 400
    assert_not_echoed(response)
    assert_not_stored(response)


def test_the_reveal_page_is_still_never_cached(client, gaining_user, answered_incident):
    client.force_login(gaining_user)

    response = client.post(reverse("incidents:reveal", args=[answered_incident.public_id]))

    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert {"no-store", "private", "no-cache", "must-revalidate", "max-age=0"} <= directives


@pytest.mark.parametrize(
    "path", ["/incidents/not-a-request/", "/bulk/nothing-here/", "/compliance/x.csv"]
)
def test_a_page_not_found_under_the_request_paths_is_not_stored(client, gaining_user, path):
    client.force_login(gaining_user)

    response = client.get(path)

    assert response.status_code == 404
    assert_not_stored(response)
