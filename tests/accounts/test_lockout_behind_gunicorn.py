"""The lockout counts by the client's real address through a real gunicorn: a forged
X-Forwarded-For from a peer that is not a trusted proxy changes nothing; from a trusted proxy
the forwarded address is the client's."""

import pytest
from django.db import connection

from accounts.models import SecurityEvent, SecurityEventKind
from tests.factories.inventory import PASSWORD
from tests.support.gunicorn import PortalClient, gunicorn_server

pytestmark = [
    pytest.mark.postgres("a database that the gunicorn process shares"),
    pytest.mark.django_db(transaction=True),
]

LOCKOUT = "Too many failed attempts for this account from your network."


def fail_five_times(port: int, *, forwarded_for: str) -> list[int]:
    client = PortalClient(port)
    return [
        client.login("gaining", "not-the-password", forwarded_for=forwarded_for).status
        for _ in range(5)
    ]


def test_a_forged_forwarded_address_from_an_untrusted_peer_does_not_escape_the_lockout(
    gaining_user, tmp_path
):
    # gunicorn is reached from 127.0.0.1, which is not a trusted proxy here.
    with gunicorn_server(
        connection.settings_dict, tmp_path / "gunicorn.log", SSI_TRUSTED_PROXIES="10.0.0.0/8"
    ) as port:
        statuses = fail_five_times(port, forwarded_for="198.51.100.1")
        answer = PortalClient(port).login("gaining", PASSWORD, forwarded_for="198.51.100.2")

    assert statuses == [200, 200, 200, 200, 429]
    assert answer.status == 429
    assert LOCKOUT in answer.body
    locked = SecurityEvent.objects.get(kind=SecurityEventKind.LOCKED_OUT)
    assert locked.ip_address == "127.0.0.1"


def test_behind_a_trusted_proxy_the_lockout_counts_the_forwarded_address(gaining_user, tmp_path):
    with gunicorn_server(
        connection.settings_dict, tmp_path / "gunicorn.log", SSI_TRUSTED_PROXIES="127.0.0.1"
    ) as port:
        statuses = fail_five_times(port, forwarded_for="198.51.100.1")
        same_address = PortalClient(port).login("gaining", PASSWORD, forwarded_for="198.51.100.1")
        other_address = PortalClient(port).login(
            "gaining", PASSWORD, forwarded_for="203.0.113.50, 198.51.100.2"
        )

    assert statuses == [200, 200, 200, 200, 429]
    assert same_address.status == 429
    assert other_address.status == 302
    assert other_address.headers["Location"] == "/"
    locked = SecurityEvent.objects.get(kind=SecurityEventKind.LOCKED_OUT)
    assert locked.ip_address == "198.51.100.1"
    login = SecurityEvent.objects.get(kind=SecurityEventKind.LOGIN)
    assert login.ip_address == "198.51.100.2"
