"""API clients: their service accounts, and tokens by OAuth 2.0 client credentials only for
a live client, from its addresses, with its scopes."""

import pytest
from django.core.exceptions import PermissionDenied
from oauth2_provider.models import AccessToken

from accounts.models import SecurityEvent, SecurityEventKind
from accounts.selectors.users import organisation_users
from api.services import (
    ApiClientError,
    api_client_create,
    api_client_revoke,
    api_client_rotate,
    api_client_update,
)

from .conftest import bearer, make_client, token_response

pytestmark = pytest.mark.django_db


def test_a_client_acts_as_a_service_account_with_roles_from_its_scopes(gaining_supplier):
    client, secret = make_client(gaining_supplier, scopes=["read", "raise"])
    user = client.user
    assert user.is_service_account and user.supplier == gaining_supplier
    assert user.can_raise and not user.can_answer
    assert not user.has_usable_password()
    assert user.get_full_name() == "Back office"
    assert secret not in client.application.client_secret  # stored hashed


def test_service_accounts_are_not_listed_among_the_organisations_people(gaining_user):
    client, _ = make_client(gaining_user.supplier)
    assert client.user not in organisation_users(gaining_user.supplier_id)
    assert gaining_user in organisation_users(gaining_user.supplier_id)


def test_only_an_administrator_creates_a_client(gaining_user):
    with pytest.raises(PermissionDenied):
        api_client_create(actor=gaining_user, name="Mine", scopes=["read"])


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"name": " ", "scopes": ["read"]}, "name", "Enter a name"),
        ({"name": "x" * 81, "scopes": ["read"]}, "name", "at most 80"),
        ({"name": "A", "scopes": []}, "scopes", "at least one scope"),
        ({"name": "A", "scopes": ["write"]}, "scopes", "No such scope: write"),
        (
            {"name": "A", "scopes": ["read"], "source_addresses": "10.0.0.1\nnot-an-ip"},
            "source_addresses",
            "Line 2: 'not-an-ip'",
        ),
    ],
)
def test_a_bad_client_is_refused_naming_the_field(gaining_supplier, fields, field, words):
    with pytest.raises(ApiClientError) as refused:
        make_client(gaining_supplier, **fields)
    assert refused.value.field == field and words in refused.value.message


def test_two_live_clients_of_one_supplier_cannot_share_a_name(gaining_supplier):
    make_client(gaining_supplier, name="Billing")
    with pytest.raises(ApiClientError, match="already has an API client named Billing"):
        make_client(gaining_supplier, name="billing")


def test_the_token_endpoint_issues_a_short_lived_token_with_the_clients_scopes(gaining_supplier):
    client, secret = make_client(gaining_supplier, scopes=["read", "reveal"])
    response = token_response(client, secret)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] <= 600
    assert set(body["scope"].split()) == {"read", "reveal"}
    assert "refresh_token" not in body


def test_a_client_cannot_ask_for_a_scope_it_was_not_given(gaining_supplier):
    client, secret = make_client(gaining_supplier, scopes=["read"])
    response = token_response(client, secret, scope="read answer")
    assert response.status_code == 400 and response.json()["error"] == "invalid_scope"


def test_a_wrong_secret_gets_no_token(gaining_supplier):
    client, _ = make_client(gaining_supplier)
    assert token_response(client, "not-the-secret").status_code == 401


def test_a_client_calling_from_outside_its_addresses_gets_no_token(gaining_supplier):
    client, secret = make_client(gaining_supplier, source_addresses="203.0.113.0/24")
    assert token_response(client, secret, remote_addr="198.51.100.1").status_code == 401
    assert token_response(client, secret, remote_addr="203.0.113.9").status_code == 200


def test_rotating_ends_the_old_secret_and_its_tokens(gaining_supplier):
    client, old = make_client(gaining_supplier)
    bearer(client, old)
    admin = client.created_by
    client, new = api_client_rotate(actor=admin, client_id=client.pk)
    assert not AccessToken.objects.filter(application=client.application).exists()
    assert token_response(client, old).status_code == 401
    assert token_response(client, new).status_code == 200


def test_a_revoked_client_gets_no_token_and_loses_its_tokens(gaining_supplier):
    client, secret = make_client(gaining_supplier)
    bearer(client, secret)
    api_client_revoke(actor=client.created_by, client_id=client.pk)
    assert not AccessToken.objects.filter(application=client.application).exists()
    assert token_response(client, secret).status_code == 401
    client.user.refresh_from_db()
    assert not client.user.is_active


def test_narrowing_the_scopes_ends_tokens_and_the_roles(gaining_supplier):
    client, secret = make_client(gaining_supplier, scopes=["read", "raise", "answer"])
    bearer(client, secret)
    client = api_client_update(
        actor=client.created_by, client_id=client.pk, name="Renamed", scopes=["read"]
    )
    client.user.refresh_from_db()
    assert not client.user.can_raise and not client.user.can_answer
    assert client.user.get_full_name() == "Renamed"
    assert not AccessToken.objects.filter(application=client.application).exists()


def test_each_change_to_a_client_is_in_the_security_log_without_the_secret(gaining_supplier):
    client, secret = make_client(gaining_supplier)
    _, new = api_client_rotate(actor=client.created_by, client_id=client.pk)
    api_client_revoke(actor=client.created_by, client_id=client.pk)
    kinds = set(SecurityEvent.objects.values_list("kind", flat=True))
    assert {
        SecurityEventKind.API_CLIENT_CREATED,
        SecurityEventKind.API_CLIENT_ROTATED,
        SecurityEventKind.API_CLIENT_REVOKED,
    } <= kinds
    for event in SecurityEvent.objects.all():
        assert secret not in event.detail and new not in event.detail
