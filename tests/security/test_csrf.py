"""Every route that changes something refuses a POST without a CSRF token, and changes nothing;
the same POST with the token from the page goes through."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.security.test_url_matrix import ROUTED_NOW, ROUTES, database_snapshot
from tests.support.bulk import RAISE_HEADER, csv_bytes

# The matrix's personas and objects (client_as, owned_objects) are in conftest.py.

DEVICE = "00-DB-12-34-56-78-90-A0"

# Pages that show a form on GET and act on POST: who may act, and what they would send.
FORM_PAGES = {
    "incidents:raise": ("raiser", {"device_id": DEVICE}),
    "incidents:bulk_raise": ("raiser", {}),
    "incidents:bulk_answer": ("raiser", {}),
    "incidents:bulk_lodge": ("raiser", {}),
    "users:invite": ("admin", {"username": "newbie", "email": "newbie@gaining.example"}),
    "users:detail": ("admin", {"can_raise": ""}),
    "notifications:contacts": ("admin", {"email": "three@gaining.example"}),
    "api_clients:create": ("admin", {"name": "Asset system", "scopes": ["read"]}),
    "api_clients:detail": ("admin", {"name": "Renamed", "scopes": ["read"]}),
    "api_clients:rotate": ("admin", {"seen": "never"}),
    "api_clients:revoke": ("admin", {}),
    "accounts:password_change": ("raiser", {"old_password": "x", "new_password1": "y"}),
    "accounts:mfa_setup": ("raiser", {"otp_token": "123456"}),
    "accounts:login_code": ("anonymous", {"otp_token": "123456"}),
    "accounts:set_password": ("anonymous", {"new_password1": "a", "new_password2": "a"}),
    "login": ("anonymous", {"username": "gaining", "password": "wrong"}),
}


def _acting_persona(name: str) -> tuple[str, dict]:
    if name in FORM_PAGES:
        return FORM_PAGES[name]
    route = ROUTES[name]
    # A persona the route lets through to its form (400 is a refused form, not a refused user).
    allowed = [p for p, status in route.expected.items() if status not in (403, 404)]
    return allowed[0], route.data


# The machine API (``api:``) takes no session cookie, so no cross-site request can ride one:
# it is exempt from CSRF by design, and tests/api/ checks its own refusals.
STATE_CHANGING = [
    n
    for n in ROUTED_NOW
    if (ROUTES[n].method == "post" or n in FORM_PAGES) and not n.startswith("api:")
]


def test_every_form_page_of_the_table_is_known_here():
    assert set(FORM_PAGES) <= set(ROUTES)


@pytest.mark.parametrize("name", STATE_CHANGING)
def test_a_post_without_a_csrf_token_is_refused_and_changes_nothing(name, client_as, owned_objects):
    route = ROUTES[name]
    persona, data = _acting_persona(name)
    url = reverse(name, kwargs={**route.kwargs, **owned_objects(route.obj)})
    client = client_as(persona, enforce_csrf_checks=True)
    if name.startswith("incidents:bulk_"):
        data = {"file": SimpleUploadedFile("f.csv", csv_bytes(RAISE_HEADER, DEVICE))}
    before = database_snapshot()

    response = client.post(url, data)

    assert response.status_code == 403
    assert database_snapshot() == before


def _token(client, url: str) -> str:
    page = client.get(url).content.decode()
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def test_closing_with_the_token_from_the_incident_page_is_accepted(client_as, incident):
    client = client_as("raiser", enforce_csrf_checks=True)
    page = reverse("incidents:detail", args=[incident.public_id])

    response = client.post(
        reverse("incidents:close", args=[incident.public_id]),
        {"outcome": "no_longer_needed", "csrfmiddlewaretoken": _token(client, page)},
    )

    assert response.status_code == 302
    incident.refresh_from_db()
    assert not incident.is_open


def test_adding_an_address_with_the_token_from_the_contacts_page_is_accepted(
    client_as, gaining_supplier
):
    client = client_as("admin", enforce_csrf_checks=True)
    page = reverse("notifications:contacts")

    response = client.post(
        page, {"email": "three@gaining.example", "csrfmiddlewaretoken": _token(client, page)}
    )

    assert response.status_code == 302
    assert gaining_supplier.contacts.filter(email="three@gaining.example").exists()


def test_rotating_a_secret_with_the_token_from_the_confirmation_page_is_accepted(
    client_as, owned_objects
):
    from api.models import ApiClient

    client = client_as("admin", enforce_csrf_checks=True)
    page = reverse("api_clients:rotate", kwargs=owned_objects("api_client"))

    response = client.post(page, {"seen": "never", "csrfmiddlewaretoken": _token(client, page)})

    assert response.status_code == 200
    assert ApiClient.objects.get().rotated_at is not None
