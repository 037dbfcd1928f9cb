"""The SSRF guard: without the test setting, an endpoint whose host resolves to loopback, a
private, link-local, multicast, reserved or unspecified address (IPv4 or IPv6) is refused when
it is saved, and again when a delivery is sent, which connects to the address it checked."""

import ipaddress

import pytest

from incidents.services import incident_answer
from ssi_portal.lib import outbound
from tests.support.webhooks import make_endpoint
from webhooks.models import DeliveryStatus, WebhookEndpoint
from webhooks.services import WebhookError, webhook_deliver, webhook_endpoint_create

from .conftest import deliveries

CODE = "83FED3407A939723A5C639B26916D505C3B5"
PUBLIC = "93.184.215.14"


@pytest.fixture
def production_guard(settings):
    settings.SSI_WEBHOOK_ALLOW_LOOPBACK = False


@pytest.fixture
def dns(monkeypatch):
    """Names resolving as the test says (``dns[name] = [address, …]``)."""
    table: dict[str, list[str]] = {}
    real = outbound.resolve

    def resolve(host, port):
        if host in table:
            return [ipaddress.ip_address(a) for a in table[host]]
        return real(host, port)

    monkeypatch.setattr(outbound, "resolve", resolve)
    return table


def _create(actor, url):
    return webhook_endpoint_create(actor=actor, url=url, event_types=["request.answered"])


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("https://10.0.0.5/hook", "The address resolves to 10.0.0.5, a private network address"),
        ("https://192.168.1.20/", "192.168.1.20, a private network address"),
        ("https://172.16.4.4/", "172.16.4.4, a private network address"),
        ("https://127.0.0.1:8443/", "127.0.0.1, a loopback address"),
        ("https://[::1]/", "::1, a loopback address"),
        ("https://169.254.169.254/latest/", "169.254.169.254, a link-local address"),
        ("https://[fe80::1]/", "fe80::1, a link-local address"),
        ("https://[fd00::7]/", "fd00::7, a private network address"),
        ("https://[::ffff:10.1.2.3]/", "::ffff:10.1.2.3, a private network address"),
        ("https://224.0.0.251/", "224.0.0.251, a multicast address"),
        ("https://[ff02::1]/", "ff02::1, a multicast address"),
        ("https://0.0.0.0/", "0.0.0.0, an unspecified address"),
        ("https://[::]/", "::, an unspecified address"),
        ("https://240.0.0.1/", "240.0.0.1, a private network address"),
        ("https://100.64.0.1/", "100.64.0.1, an address the internet does not route"),
    ],
)
def test_saving_an_endpoint_refuses_an_address_the_internet_cannot_reach(
    production_guard, gaining_admin, url, words
):
    with pytest.raises(WebhookError) as refused:
        _create(gaining_admin, url)

    assert words in refused.value.message
    assert refused.value.message.endswith("use an address the internet can reach.")
    assert refused.value.field == "url"
    assert not WebhookEndpoint.objects.exists()


def test_a_name_resolving_to_a_private_address_is_refused_at_save(
    production_guard, gaining_admin, dns
):
    dns["hooks.internal.example"] = [PUBLIC, "10.0.0.5"]

    with pytest.raises(WebhookError) as refused:
        _create(gaining_admin, "https://hooks.internal.example/ssi")

    assert refused.value.message == (
        "The address resolves to 10.0.0.5, a private network address; use an address the "
        "internet can reach."
    )


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://hooks.example.com/", "must start with https://"),
        ("ftp://hooks.example.com/", "must start with https://"),
        ("https://user:pw@hooks.example.com/", "holds a user name or password"),
        ("https:///path-only", "names no host"),
        ("https://hooks.example.com/a b", "contains a space"),
        ("https://hooks.example.com/#part", "#fragment"),
        ("https://hooks.example.com:99999/", "is not valid"),
        ("https://no-such-host.invalid/", "does not resolve to an address"),
    ],
)
def test_saving_refuses_a_url_that_is_not_a_plain_https_address(
    production_guard, gaining_admin, url, words
):
    with pytest.raises(WebhookError) as refused:
        _create(gaining_admin, url)

    assert words in refused.value.message


def test_a_public_https_address_is_accepted(production_guard, gaining_admin, dns):
    dns["hooks.example.com"] = [PUBLIC]

    endpoint, secret = _create(gaining_admin, "https://hooks.example.com/ssi")

    assert endpoint.url == "https://hooks.example.com/ssi" and secret.startswith("whsec_")


def test_the_test_setting_lets_loopback_and_plain_http_through(settings, gaining_admin):
    settings.SSI_WEBHOOK_ALLOW_LOOPBACK = True

    endpoint, _ = _create(gaining_admin, "http://127.0.0.1:9/hook")

    assert endpoint.url == "http://127.0.0.1:9/hook"
    with pytest.raises(WebhookError, match="10.0.0.5, a private network address"):
        _create(gaining_admin, "https://10.0.0.5/hook")


def test_a_delivery_is_refused_when_the_name_now_resolves_to_a_private_address(
    production_guard, dns, incident, installing_user, gaining_supplier, monkeypatch
):
    # Public when saved, private at delivery: DNS rebinding.
    make_endpoint(gaining_supplier, url="https://rebind.example/ssi")
    dns["rebind.example"] = ["10.0.0.5"]
    connected = []
    monkeypatch.setattr(
        outbound.socket, "create_connection", lambda *a, **k: connected.append(a) or 1 / 0
    )
    incident_answer(actor=installing_user, incident=incident, install_code=CODE)
    [delivery] = deliveries()

    assert webhook_deliver(delivery_id=delivery.pk) == "retrying"

    delivery.refresh_from_db()
    assert connected == []
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.last_error.startswith("The address resolves to 10.0.0.5, a private network")


def test_a_delivery_connects_to_the_address_it_checked(
    production_guard, dns, incident, installing_user, gaining_supplier, monkeypatch
):
    make_endpoint(gaining_supplier, url="https://hooks.example.com:8443/ssi")
    dns["hooks.example.com"] = [PUBLIC]
    connected = []

    def refuse(address, timeout=None, *args):
        connected.append(address)
        raise ConnectionRefusedError

    monkeypatch.setattr(outbound.socket, "create_connection", refuse)
    incident_answer(actor=installing_user, incident=incident, install_code=CODE)

    webhook_deliver(delivery_id=deliveries()[0].pk)

    assert connected == [(PUBLIC, 8443)]


def test_a_loopback_receiver_is_refused_at_delivery_without_the_test_setting(
    settings, incident, installing_user, raiser_hook, receiver
):
    incident_answer(actor=installing_user, incident=incident, install_code=CODE)
    settings.SSI_WEBHOOK_ALLOW_LOOPBACK = False

    webhook_deliver(delivery_id=deliveries()[0].pk)

    assert receiver.received == []
    assert "must start with https://" in deliveries()[0].last_error
