"""Who may open every incident URL and take every action, for the five personas.

A foreign incident answers exactly like a missing one (404); an incident a user may see but
not change refuses the action (403); anonymous users are sent to the login page.
"""

import re

import pytest
from django.urls import reverse

from conftest import INSTALL_CODE_WITH_CRC

PERSONAS = ["raiser", "installer", "other", "helpdesk", "anonymous"]

# (url name, incident state, form data)
ACTIONS = {
    "answer": ("awaiting", {"install_code": INSTALL_CODE_WITH_CRC}),
    "not_installed": ("awaiting", {"reason": "", "confirm": "yes"}),
    "reveal": ("answered", {}),
    "code_failed": ("answered", {"reason": "The meter rejected it."}),
    "close": ("awaiting", {"outcome": "no_longer_needed"}),
    "note": ("awaiting", {"text": "Site visit booked."}),
}

# What each persona gets for each action: 302 = done and redirected, 200 = page shown.
EXPECTED = {
    "raiser": {
        "answer": 403,
        "not_installed": 403,
        "reveal": 200,
        "code_failed": 302,
        "close": 302,
        "note": 302,
    },
    "installer": {
        "answer": 302,
        "not_installed": 302,
        "reveal": 200,
        "code_failed": 403,
        "close": 403,
        "note": 302,
    },
    "other": dict.fromkeys(ACTIONS, 404),
    "helpdesk": {
        "answer": 403,
        "not_installed": 403,
        "reveal": 403,
        "code_failed": 403,
        "close": 403,
        "note": 302,
    },
    "anonymous": dict.fromkeys(ACTIONS, 302),
}


@pytest.fixture
def as_persona(client, gaining_user, installing_user, other_supplier_user, helpdesk_user):
    users = {
        "raiser": gaining_user,
        "installer": installing_user,
        "other": other_supplier_user,
        "helpdesk": helpdesk_user,
        "anonymous": None,
    }

    def login(persona):
        if users[persona] is not None:
            client.force_login(users[persona])
        return client

    return login


@pytest.fixture
def incident_in(request, incident, installing_user):
    from incidents.services import incident_answer

    def make(state):
        if state == "answered":
            incident_answer(
                actor=installing_user, incident=incident, install_code=INSTALL_CODE_WITH_CRC
            )
        return incident

    return make


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("action", list(ACTIONS))
def test_each_persona_gets_the_right_answer_for_each_action(
    action, persona, as_persona, incident_in
):
    state, data = ACTIONS[action]
    incident = incident_in(state)
    client = as_persona(persona)
    url = reverse(f"incidents:{action}", kwargs={"public_id": incident.public_id})
    response = client.post(url, data)
    assert response.status_code == EXPECTED[persona][action]
    if persona == "anonymous":
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    "persona,expected",
    [
        ("raiser", 200),
        ("installer", 200),
        ("other", 404),
        ("helpdesk", 200),
        ("anonymous", 302),
    ],
)
def test_the_incident_page_is_shown_only_to_those_who_may_see_it(
    persona, expected, as_persona, incident
):
    response = as_persona(persona).get(reverse("incidents:detail", args=[incident.public_id]))
    assert response.status_code == expected


def test_a_foreign_incident_answers_exactly_like_a_missing_one(as_persona, incident):
    client = as_persona("other")
    foreign = client.get(reverse("incidents:detail", args=[incident.public_id]))
    missing = client.get(reverse("incidents:detail", args=["00000000-0000-4000-8000-000000000000"]))
    assert foreign.status_code == missing.status_code == 404
    # Same page apart from the per-response masking of the CSRF token in the logout form.
    assert _without_csrf(foreign.content) == _without_csrf(missing.content)


def _without_csrf(content: bytes) -> bytes:
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", content)


@pytest.mark.parametrize("persona", ["raiser", "installer", "other", "helpdesk"])
@pytest.mark.parametrize("action", list(ACTIONS))
def test_actions_refuse_get_requests(action, persona, as_persona, incident):
    client = as_persona(persona)
    url = reverse(f"incidents:{action}", kwargs={"public_id": incident.public_id})
    assert client.get(url).status_code == 405


@pytest.mark.parametrize(
    "name,persona,expected",
    [
        ("raise", "raiser", 200),
        ("raise", "installer", 200),
        ("raise", "helpdesk", 403),
        ("raise", "anonymous", 302),
        ("raised", "raiser", 200),
        ("raised", "helpdesk", 403),
        ("raised", "anonymous", 302),
        ("assigned", "installer", 200),
        ("assigned", "helpdesk", 403),
        ("assigned", "anonymous", 302),
        ("home", "raiser", 200),
        ("home", "helpdesk", 200),
        ("home", "anonymous", 302),
    ],
)
def test_pages_without_an_incident_are_open_to_the_right_personas(
    name, persona, expected, as_persona, incident
):
    assert as_persona(persona).get(reverse(f"incidents:{name}")).status_code == expected


@pytest.mark.parametrize(
    "persona,shown",
    [
        ("raiser", True),
        ("installer", False),
        ("helpdesk", False),
    ],
)
def test_only_the_raising_supplier_sees_the_close_button(persona, shown, as_persona, incident):
    html = as_persona(persona).get(reverse("incidents:detail", args=[incident.public_id]))
    assert ("Close request" in html.content.decode()) is shown


def test_a_colleague_of_the_raiser_also_sees_the_close_button(client, gaining_colleague, incident):
    client.force_login(gaining_colleague)
    html = client.get(reverse("incidents:detail", args=[incident.public_id])).content.decode()
    assert "Close request" in html


def test_a_forged_close_from_the_installing_supplier_changes_nothing(as_persona, incident):
    client = as_persona("installer")
    client.post(
        reverse("incidents:close", args=[incident.public_id]), {"outcome": "no_longer_needed"}
    )
    incident.refresh_from_db()
    assert incident.status == "awaiting_installer"
    assert not incident.events.filter(kind="closed").exists()


def test_lists_never_show_another_suppliers_incidents(as_persona, incident):
    client = as_persona("other")
    for name in ("raised", "assigned"):
        assert incident.reference not in client.get(reverse(f"incidents:{name}")).content.decode()


def test_state_changes_need_a_csrf_token(gaining_user, incident):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(gaining_user)
    response = client.post(
        reverse("incidents:close", args=[incident.public_id]), {"outcome": "no_longer_needed"}
    )
    assert response.status_code == 403
    incident.refresh_from_db()
    assert incident.is_open


@pytest.mark.parametrize(
    "persona,expected",
    [
        ("helpdesk", 200),
        ("raiser", 302),
        ("anonymous", 302),
    ],
)
def test_only_the_helpdesk_reaches_the_reassign_page(
    persona, expected, as_persona, incident, helpdesk_user
):
    from django.contrib.auth.models import Permission

    helpdesk_user.user_permissions.add(Permission.objects.get(codename="change_incident"))
    response = as_persona(persona).get(
        reverse("admin:incidents_incident_reassign", args=[incident.pk])
    )
    assert response.status_code == expected
