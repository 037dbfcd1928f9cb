"""Changing an API client on its page, rotating its secret and revoking it, each behind a POST
(rotating and revoking behind a confirmation page); a revoked client's pages refuse them all."""

import re

import pytest
from django.urls import reverse
from oauth2_provider.models import AccessToken

from api.models import ApiClient
from api.services import api_client_revoke

from .conftest import bearer, pages_of, secret_on, token_response

pytestmark = pytest.mark.django_db


def detail(api_client) -> str:
    return reverse("api_clients:detail", args=[api_client.pk])


def rotate(api_client) -> str:
    return reverse("api_clients:rotate", args=[api_client.pk])


def revoke(api_client) -> str:
    return reverse("api_clients:revoke", args=[api_client.pk])


@pytest.fixture
def revoked(billing, administrator):
    api_client, secret = billing
    return api_client_revoke(actor=administrator, client_id=api_client.pk), secret


# --- Changing a client --------------------------------------------------------------------------


def test_the_clients_page_shows_its_facts_and_a_form_with_its_values(as_admin, billing):
    api_client, _ = billing

    html = as_admin.get(detail(api_client)).content.decode()

    assert api_client.client_id in html and "Reveal install codes" in html
    assert 'value="Billing"' in html
    checked = re.findall(r'value="(\w+)"\s+id="id_scopes_\d" checked', html)
    assert checked == ["read", "reveal"]


def test_an_administrator_changes_a_clients_name_scopes_and_addresses(as_admin, billing):
    api_client, _ = billing

    response = as_admin.post(
        detail(api_client),
        {"name": "Billing v2", "scopes": ["read", "raise"], "source_addresses": "203.0.113.7"},
        follow=True,
    )

    assert "Changes to Billing v2 saved." in response.content.decode()
    api_client.refresh_from_db()
    assert api_client.name == "Billing v2" and api_client.scopes == "read raise"
    assert api_client.source_addresses == "203.0.113.7"
    api_client.user.refresh_from_db()
    assert api_client.user.can_raise and not api_client.user.can_answer


@pytest.mark.parametrize(
    ("data", "anchor", "words"),
    [
        ({"name": " ", "scopes": ["read"]}, "id_name", "Enter a name for the API client."),
        ({"name": "Billing", "scopes": []}, "id_scopes_0", "Choose at least one scope."),
        (
            {"name": "Billing", "scopes": ["read"], "source_addresses": "203.0.113.0/33"},
            "id_source_addresses",
            "Line 1: &#x27;203.0.113.0/33&#x27; is not an IP address or network",
        ),
    ],
)
def test_a_refused_change_names_the_field_and_changes_nothing(
    as_admin, billing, data, anchor, words
):
    api_client, _ = billing

    response = as_admin.post(detail(api_client), data)

    assert response.status_code == 400
    summary = response.content.decode().split("data-error-summary")[1].split("</div>")[0]
    assert f'href="#{anchor}"' in summary and words in summary
    api_client.refresh_from_db()
    assert api_client.name == "Billing" and api_client.scopes == "read reveal"


# --- Rotating the secret ------------------------------------------------------------------------


def test_rotating_asks_first_and_says_the_old_secret_and_tokens_stop_working(as_admin, billing):
    api_client, secret = billing

    response = as_admin.get(rotate(api_client))

    html = response.content.decode()
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    assert "The old secret stops working at once, and every token" in html
    assert '<button type="submit" class="btn btn-primary">Rotate the secret</button>' in html
    assert token_response(api_client, secret).status_code == 200


def test_rotating_shows_the_new_secret_once_and_the_old_one_stops_working(as_admin, billing):
    api_client, old = billing
    token = bearer(api_client, old)

    response = as_admin.post(rotate(api_client), {"seen": "never"})

    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    new = secret_on(response)
    html = response.content.decode()
    assert new and new != old
    assert "This is the only time the secret is shown" in html
    assert "The old secret no longer works, and the tokens issued with it have ended" in html
    assert token_response(api_client, old).status_code == 401
    assert not AccessToken.objects.filter(token=token).exists()
    assert token_response(api_client, new).status_code == 200
    for url in pages_of(api_client):
        assert new not in as_admin.get(url).content.decode(), url


def test_sending_the_rotation_again_is_refused_rather_than_replacing_the_new_secret(
    as_admin, billing
):
    api_client, _ = billing
    new = secret_on(as_admin.post(rotate(api_client), {"seen": "never"}))

    again = as_admin.post(rotate(api_client), {"seen": "never"})

    assert again.status_code == 400 and secret_on(again) is None
    assert "was rotated on" in again.content.decode()
    assert token_response(api_client, new).status_code == 200


def test_a_rotation_asked_for_from_a_fresh_page_goes_through_again(as_admin, billing):
    api_client, _ = billing
    first = secret_on(as_admin.post(rotate(api_client), {"seen": "never"}))
    api_client.refresh_from_db()

    second = as_admin.post(rotate(api_client), {"seen": api_client.rotated_at.isoformat()})

    assert secret_on(second) not in (None, first)


def test_opening_the_rotation_page_changes_nothing(as_admin, billing):
    api_client, secret = billing

    as_admin.get(rotate(api_client))

    api_client.refresh_from_db()
    assert api_client.rotated_at is None


# --- Revoking -----------------------------------------------------------------------------------


def test_revoking_asks_first_and_says_what_happens(as_admin, billing):
    api_client, secret = billing

    html = as_admin.get(revoke(api_client)).content.decode()

    assert "gets no more tokens, the tokens it holds stop working at once" in html
    assert "This cannot be undone" in html
    assert token_response(api_client, secret).status_code == 200


def test_revoking_ends_the_client_and_lists_it_with_the_revoked_ones(as_admin, billing):
    api_client, secret = billing
    token = bearer(api_client, secret)

    response = as_admin.post(revoke(api_client), follow=True)

    html = response.content.decode()
    assert "Billing is revoked: it gets no more tokens" in html
    assert "Billing" in html.split('id="revoked-clients"')[1]
    assert token_response(api_client, secret).status_code == 401
    assert not AccessToken.objects.filter(token=token).exists()


# --- A revoked client's pages refuse changes ----------------------------------------------------


def test_a_revoked_clients_page_offers_no_change(as_admin, revoked):
    api_client, _ = revoked

    html = as_admin.get(detail(api_client)).content.decode()

    assert "is revoked: it gets no tokens and cannot be changed" in html
    assert "<form" not in html.split('id="main"')[1].split("</main>")[0]


def test_a_change_sent_for_a_revoked_client_is_refused(as_admin, revoked):
    api_client, _ = revoked

    response = as_admin.post(
        detail(api_client), {"name": "Back again", "scopes": ["answer"]}, follow=True
    )

    assert "Billing is revoked; it cannot be changed." in response.content.decode()
    api_client.refresh_from_db()
    assert api_client.name == "Billing" and api_client.scopes == "read reveal"


def test_a_revoked_clients_rotation_page_offers_no_rotation(as_admin, revoked):
    html = as_admin.get(rotate(revoked[0])).content.decode()

    assert "is revoked: it has no secret to rotate" in html
    assert "Rotate the secret</button>" not in html


def test_a_rotation_sent_for_a_revoked_client_is_refused_and_shows_no_secret(as_admin, revoked):
    api_client, secret = revoked
    stored = api_client.application.client_secret

    response = as_admin.post(rotate(api_client), {"seen": "never"}, follow=True)

    assert secret_on(response) is None
    assert "Billing is revoked; it has no secret." in response.content.decode()
    api_client.refresh_from_db()
    assert api_client.rotated_at is None
    assert api_client.application.client_secret == stored


def test_revoking_a_revoked_client_again_says_so_and_changes_nothing(as_admin, revoked):
    api_client, _ = revoked

    response = as_admin.post(revoke(api_client), follow=True)

    assert "Billing was already revoked." in response.content.decode()
    assert ApiClient.objects.get().revoked_at == api_client.revoked_at
