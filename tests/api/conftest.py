"""API clients of each side, and tokens for them, as a Supplier's back office would get them."""

import base64
import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from api.models import ApiScope
from api.services import api_client_create
from tests.factories import UserFactory
from tests.support.fixtures import celery_worker  # noqa: F401 (a fixture)

ALL_SCOPES = tuple(ApiScope.values)


def make_client(supplier, *, name="Back office", scopes=ALL_SCOPES, source_addresses=""):
    """A new API client of ``supplier`` (made by one of its administrators) and its secret."""
    admin = supplier.users.filter(is_supplier_admin=True, is_service_account=False).first()
    if admin is None:
        admin = UserFactory(
            username=f"admin-{supplier.pk}",
            email=f"admin{supplier.pk}@example.org",
            supplier=supplier,
            is_supplier_admin=True,
        )
    return api_client_create(
        actor=admin, name=name, scopes=scopes, source_addresses=source_addresses
    )


def token_response(client, secret, *, scope=None, remote_addr="127.0.0.1"):
    """The token endpoint's answer to client credentials sent with HTTP Basic."""
    basic = base64.b64encode(f"{client.client_id}:{secret}".encode()).decode()
    data = {"grant_type": "client_credentials"}
    if scope is not None:
        data["scope"] = scope
    return Client().post(
        "/api/v1/oauth/token/",
        data,
        HTTP_AUTHORIZATION=f"Basic {basic}",
        REMOTE_ADDR=remote_addr,
    )


def bearer(client, secret, **kwargs) -> str:
    response = token_response(client, secret, **kwargs)
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


class ApiCaller:
    """A Django test client that sends one client's bearer token with every call."""

    def __init__(self, api_client, secret, token):
        self.api_client, self.secret, self.token = api_client, secret, token
        self.http = Client()

    def renew(self):
        """A new token (the old one may have expired)."""
        self.token = bearer(self.api_client, self.secret)
        return self

    def _headers(self, headers):
        return {"HTTP_AUTHORIZATION": f"Bearer {self.token}", **(headers or {})}

    def get(self, path, data=None, headers=None):
        return self.http.get(path, data, **self._headers(headers))

    def post(self, path, data=None, headers=None, content_type="application/json"):
        return self.http.post(path, data or {}, content_type=content_type, **self._headers(headers))


def caller(supplier, **kwargs) -> ApiCaller:
    api_client, secret = make_client(supplier, **kwargs)
    return ApiCaller(api_client, secret, bearer(api_client, secret))


@pytest.fixture(autouse=True)
def _fresh_rate_counts():
    """Each test counts its own calls against the rate (the cache outlives a test)."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def gaining_api(gaining_supplier):
    """A back office of the gaining Supplier with every scope."""
    return caller(gaining_supplier, name="Gaining back office")


@pytest.fixture
def installing_api(installing_supplier):
    return caller(installing_supplier, name="Installing asset system")


@pytest.fixture
def other_api(other_supplier):
    return caller(other_supplier, name="Third back office")


# --- The organisation pages where administrators manage the clients ------------------------------

SECRET_FIELD = re.compile(r'id="client-secret" value="([^"]+)"')
NEW_CLIENT = {
    "name": "Billing back office",
    "scopes": ["read", "raise"],
    "source_addresses": "203.0.113.0/24\n198.51.100.7",
}


def secret_on(response) -> str | None:
    """The secret a page shows in its read-only secret field, if it shows one."""
    found = SECRET_FIELD.search(response.content.decode())
    return found.group(1) if found else None


def pages_of(api_client) -> list[str]:
    """Every page about the clients, those of ``api_client`` among them."""
    return [
        reverse("api_clients:list"),
        reverse("api_clients:create"),
        reverse("api_clients:detail", args=[api_client.pk]),
        reverse("api_clients:rotate", args=[api_client.pk]),
        reverse("api_clients:revoke", args=[api_client.pk]),
    ]


@pytest.fixture
def administrator(gaining_supplier):
    return UserFactory(
        username="gainadmin",
        first_name="Ada",
        last_name="Lovelace",
        email="admin@gaining.example",
        supplier=gaining_supplier,
        is_supplier_admin=True,
    )


@pytest.fixture
def as_admin(administrator) -> Client:
    client = Client()
    client.force_login(administrator)
    return client


@pytest.fixture
def billing(administrator):
    """An active client of the gaining Supplier, made by its administrator, and its secret."""
    return make_client(administrator.supplier, name="Billing", scopes=["read", "reveal"])
