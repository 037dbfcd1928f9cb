"""The organisation pages where a Supplier's administrators manage its API clients: the list,
creating a client (its secret shown once), changing it, rotating its secret and revoking it."""

import logging
import re

import pytest
from django.urls import reverse

from accounts.models import SecurityEvent, SecurityEventKind
from api.models import ApiClient
from api.services import api_client_revoke
from tests.factories import UserFactory
from tests.security.test_url_matrix import without_csrf
from tests.support.logs import portal_log
from tests.test_html import assert_valid_page

from .conftest import NEW_CLIENT, make_client, pages_of, secret_on, token_response

pytestmark = pytest.mark.django_db

# --- The list -----------------------------------------------------------------------------------


def test_the_list_shows_each_client_with_its_scopes_in_words_and_its_history(as_admin, billing):
    api_client, _ = billing

    html = as_admin.get(reverse("api_clients:list")).content.decode()

    row = html.split('id="active-clients"')[1].split("</table>")[0]
    assert "Billing" in row and api_client.client_id in row
    assert "Read requests, bulk jobs and compliance figures" in row
    assert "Reveal install codes" in row and "Raise requests" not in row
    assert "Any address" in row
    assert "by Ada Lovelace" in row
    assert row.count("Never") == 2  # never used, never rotated
    assert "Active" in row


def test_a_clients_addresses_and_last_use_are_listed(as_admin, administrator):
    api_client, _ = make_client(administrator.supplier, source_addresses="203.0.113.0/24")
    ApiClient.objects.filter(pk=api_client.pk).update(last_used_at=api_client.created_at)

    html = as_admin.get(reverse("api_clients:list")).content.decode()

    assert "<code>203.0.113.0/24</code>" in html
    assert html.count("Never") == 1  # rotated never; used at creation time


def test_revoked_clients_are_listed_apart_with_the_day_they_were_revoked(
    as_admin, administrator, billing
):
    old, _ = make_client(administrator.supplier, name="Old system")
    api_client_revoke(actor=administrator, client_id=old.pk)

    html = as_admin.get(reverse("api_clients:list")).content.decode()

    active = html.split('id="active-clients"')[1].split("</table>")[0]
    revoked = html.split('id="revoked-clients"')[1].split("</table>")[0]
    assert "Billing" in active and "Old system" not in active
    assert "Old system" in revoked and "Revoked on" in revoked


def test_the_list_explains_how_to_get_a_token_and_links_the_api_documentation(as_admin):
    html = as_admin.get(reverse("api_clients:list")).content.decode()

    assert "client credentials" in html and "http://testserver/api/v1/oauth/token/" in html
    assert "A token lasts 10 minutes" in html
    assert '<a href="/api/v1/docs/">API documentation</a>' in html


def test_the_list_costs_the_same_queries_for_any_number_of_clients(
    as_admin, administrator, django_assert_num_queries
):
    for n in range(6):
        make_client(administrator.supplier, name=f"Client {n}")
    api_client_revoke(actor=administrator, client_id=ApiClient.objects.first().pk)

    # The session read with its user and their Supplier (heading and navbar), the clients
    # with their OAuth applications and creators.
    with django_assert_num_queries(2):
        response = as_admin.get(reverse("api_clients:list"))

    assert response.content.decode().count("<code>") >= 7


def test_the_organisation_menu_offers_api_clients_to_administrators(as_admin):
    html = as_admin.get(reverse("incidents:home")).content.decode()

    assert f'href="{reverse("api_clients:list")}"' in html


def test_the_organisation_menu_offers_api_clients_to_no_one_else(client, gaining_user):
    client.force_login(gaining_user)

    html = client.get(reverse("incidents:home")).content.decode()

    assert reverse("api_clients:list") not in html


# --- Who may use the pages ----------------------------------------------------------------------


def test_a_supplier_user_who_is_not_an_administrator_is_refused_every_page(
    client, gaining_user, billing
):
    client.force_login(gaining_user)
    for url in pages_of(billing[0]):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "Only your organisation&#x27;s administrators manage its API clients" in (
            response.content.decode()
        )


def test_a_supplier_user_who_is_not_an_administrator_changes_nothing_by_post(
    client, gaining_user, billing
):
    api_client, secret = billing
    client.force_login(gaining_user)

    for url in pages_of(api_client)[1:]:
        assert client.post(url, {**NEW_CLIENT, "seen": "never"}).status_code == 403, url

    assert ApiClient.objects.count() == 1
    api_client.refresh_from_db()
    assert api_client.is_active and api_client.rotated_at is None
    assert token_response(api_client, secret).status_code == 200


def test_the_helpdesk_is_refused_and_pointed_to_the_admin(client, helpdesk_user, billing):
    client.force_login(helpdesk_user)
    for url in pages_of(billing[0]):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "the DCC helpdesk sees them, and can revoke them, in the admin" in (
            response.content.decode()
        )


def test_an_anonymous_visitor_is_sent_to_the_login_page(client, billing):
    for url in pages_of(billing[0]):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login"))


def test_another_suppliers_administrator_finds_our_client_exactly_like_a_missing_one(
    client, installing_supplier, billing
):
    api_client, secret = billing
    client.force_login(
        UserFactory(username="instadmin", supplier=installing_supplier, is_supplier_admin=True)
    )
    for name in ("api_clients:detail", "api_clients:rotate", "api_clients:revoke"):
        for method in ("get", "post"):
            ours = getattr(client, method)(reverse(name, args=[api_client.pk]), NEW_CLIENT)
            missing = getattr(client, method)(reverse(name, args=[987_654_321]), NEW_CLIENT)
            assert ours.status_code == missing.status_code == 404, (name, method)
            assert without_csrf(ours.content) == without_csrf(missing.content)
    api_client.refresh_from_db()
    assert api_client.name == "Billing" and api_client.is_active
    assert token_response(api_client, secret).status_code == 200


def test_another_suppliers_administrator_does_not_see_our_clients_listed(
    client, installing_supplier, billing
):
    client.force_login(
        UserFactory(username="instadmin", supplier=installing_supplier, is_supplier_admin=True)
    )

    html = client.get(reverse("api_clients:list")).content.decode()

    assert "Billing" not in html and billing[0].client_id not in html


# --- Creating a client: the secret shown once --------------------------------------------------


def test_the_create_form_labels_each_field_and_offers_each_scope_with_its_description(as_admin):
    html = as_admin.get(reverse("api_clients:create")).content.decode()

    for field in ("id_name", "id_source_addresses", "id_scopes_0", "id_scopes_3"):
        assert re.search(rf'<label\s+for="{field}"', html), field
    for value, words in [
        ("read", "Read requests"),
        ("raise", "Raise requests"),
        ("answer", "Answer requests"),
        ("reveal", "Reveal install codes"),
    ]:
        assert f'value="{value}"' in html and words in html
    assert "One IP address" in html and "Leave empty to allow any address" in html


def test_creating_a_client_shows_its_secret_once_on_a_page_that_is_not_cached(as_admin):
    response = as_admin.post(reverse("api_clients:create"), NEW_CLIENT)

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    api_client = ApiClient.objects.get()
    secret = secret_on(response)
    html = response.content.decode()
    assert secret and "This is the only time the secret is shown" in html
    assert f'id="client-id" value="{api_client.client_id}" readonly' in html
    assert "API client Billing back office created." in html
    assert api_client.scopes == "read raise" and api_client.created_by.username == "gainadmin"
    assert token_response(api_client, secret, remote_addr="203.0.113.9").status_code == 200


def test_the_secret_appears_on_no_later_page_nor_in_the_session(as_admin):
    secret = secret_on(as_admin.post(reverse("api_clients:create"), NEW_CLIENT))
    api_client = ApiClient.objects.get()

    for url in [*pages_of(api_client), reverse("incidents:home")]:
        response = as_admin.get(url)
        assert response.status_code == 200, url
        assert secret not in response.content.decode(), url
        assert secret_on(response) is None
    assert secret not in repr(dict(as_admin.session.items()))


def test_sending_the_create_form_again_makes_no_second_client_and_shows_no_secret(as_admin):
    as_admin.post(reverse("api_clients:create"), NEW_CLIENT)

    again = as_admin.post(reverse("api_clients:create"), NEW_CLIENT)

    assert again.status_code == 400 and secret_on(again) is None
    assert "already has an API client named Billing back office" in again.content.decode()
    assert ApiClient.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "anchor", "words"),
    [
        ({"name": "", "scopes": ["read"]}, "id_name", "Enter a name for the API client."),
        ({"name": "x" * 81, "scopes": ["read"]}, "id_name", "The name has 81 characters"),
        ({"name": "A"}, "id_scopes_0", "Choose at least one scope."),
        ({"name": "A", "scopes": ["write"]}, "id_scopes_0", "write is not one of the"),
        (
            {"name": "A", "scopes": ["read"], "source_addresses": "10.0.0.1\nnot-an-ip"},
            "id_source_addresses",
            "Line 2: &#x27;not-an-ip&#x27; is not an IP address or network",
        ),
    ],
)
def test_a_refused_client_names_the_field_in_the_error_summary(as_admin, data, anchor, words):
    response = as_admin.post(reverse("api_clients:create"), data)

    assert response.status_code == 400
    html = response.content.decode()
    summary = html.split("data-error-summary")[1].split("</div>")[0]
    assert f'href="#{anchor}"' in summary and words in summary
    assert html.count(words) == 2  # in the summary and beside the field
    assert not ApiClient.objects.exists()


def test_a_name_another_live_client_has_is_refused_on_the_name_field(as_admin, billing):
    response = as_admin.post(reverse("api_clients:create"), {"name": "billing", "scopes": "read"})

    summary = response.content.decode().split("data-error-summary")[1].split("</div>")[0]
    assert 'href="#id_name"' in summary and "already has an API client named Billing" in summary


def test_no_secret_reaches_the_security_log_or_the_logs(as_admin, caplog):
    caplog.set_level(logging.DEBUG)
    with portal_log(logging.DEBUG) as log:
        created = secret_on(as_admin.post(reverse("api_clients:create"), NEW_CLIENT))
        api_client = ApiClient.objects.get()
        rotated = secret_on(
            as_admin.post(reverse("api_clients:rotate", args=[api_client.pk]), {"seen": "never"})
        )

    assert created and rotated and created != rotated
    kinds = set(SecurityEvent.objects.values_list("kind", flat=True))
    assert {SecurityEventKind.API_CLIENT_CREATED, SecurityEventKind.API_CLIENT_ROTATED} <= kinds
    logged = [repr(row) for row in SecurityEvent.objects.values()]
    logged += [record.getMessage() + repr(record.args) for record in caplog.records]
    logged.append(log.getvalue())
    for secret in (created, rotated):
        assert not any(secret in text for text in logged)


def test_every_client_page_is_valid_html_the_secret_pages_and_refused_forms_too(as_admin, billing):
    api_client, _ = billing
    answers = [as_admin.get(url) for url in pages_of(api_client)]
    answers.append(as_admin.post(reverse("api_clients:create"), {"name": ""}))
    answers.append(as_admin.post(reverse("api_clients:create"), NEW_CLIENT))
    answers.append(as_admin.post(pages_of(api_client)[3], {"seen": "never"}))
    answers.append(as_admin.post(pages_of(api_client)[3], {"seen": "never"}))  # sent again

    assert [a.status_code for a in answers] == [200] * 5 + [400, 200, 200, 400]
    for answer in answers:
        assert_valid_page(answer.content.decode())
