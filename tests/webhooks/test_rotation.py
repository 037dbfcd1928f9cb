"""Rotating a signing secret: for 24 hours each delivery is signed with the new secret and the
old one, so a receiver verifies it with either; then with the new one only."""

import datetime as dt

import pytest
import time_machine
from standardwebhooks.webhooks import WebhookVerificationError

from incidents.services import incident_answer
from webhooks.services import webhook_endpoint_rotate

from .conftest import verified

T0 = dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC)
CODE = "83FED3407A939723A5C639B26916D505C3B5"


@pytest.fixture
def rotated(raiser_hook, gaining_admin):
    endpoint, old = raiser_hook
    endpoint, new = webhook_endpoint_rotate(actor=gaining_admin, endpoint=endpoint, now=T0)
    return endpoint, old, new


def _answer_at(when, incident, installing_user, outbox):
    with time_machine.travel(when, tick=False), outbox.committing():
        incident_answer(actor=installing_user, incident=incident, install_code=CODE)


def test_a_delivery_during_the_rotation_verifies_with_either_secret(
    incident, installing_user, rotated, receiver, outbox
):
    _, old, new = rotated

    _answer_at(T0 + dt.timedelta(hours=23), incident, installing_user, outbox)

    [received] = receiver.received
    assert len(received.headers["webhook-signature"].split(" ")) == 2
    assert verified(received, old)["type"] == "request.answered"
    assert verified(received, new)["type"] == "request.answered"


def test_after_24_hours_only_the_new_secret_signs(
    incident, installing_user, rotated, receiver, outbox
):
    _, old, new = rotated

    _answer_at(T0 + dt.timedelta(hours=24), incident, installing_user, outbox)

    [received] = receiver.received
    assert len(received.headers["webhook-signature"].split(" ")) == 1
    assert verified(received, new)["type"] == "request.answered"
    with pytest.raises(WebhookVerificationError):
        verified(received, old)


def test_a_second_rotation_drops_the_oldest_secret_at_once(
    incident, installing_user, rotated, gaining_admin, receiver, outbox
):
    endpoint, first, second = rotated
    endpoint, third = webhook_endpoint_rotate(
        actor=gaining_admin, endpoint=endpoint, now=T0 + dt.timedelta(hours=1)
    )

    _answer_at(T0 + dt.timedelta(hours=2), incident, installing_user, outbox)

    [received] = receiver.received
    assert verified(received, second) and verified(received, third)
    with pytest.raises(WebhookVerificationError):
        verified(received, first)


def test_secrets_are_in_the_standard_webhooks_format_and_stored_sealed(rotated):
    endpoint, old, new = rotated
    endpoint.refresh_from_db()

    assert new.startswith("whsec_") and old.startswith("whsec_") and new != old
    assert new.encode() not in bytes(endpoint.secret_sealed)
    assert old.encode() not in bytes(endpoint.previous_secret_sealed)
    assert endpoint.signing_secrets(now=T0) == [new, old]
