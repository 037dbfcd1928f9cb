"""Delivery: a signed POST that a Standard Webhooks receiver verifies; retried with a growing
backoff until a 2xx answer, then never sent again; the sweep picks up what a lost task or a
dead worker left behind."""

import datetime as dt
import socket

import pytest
import time_machine

from incidents.services import incident_answer, incident_close, incident_reveal_code
from tests.support.webhooks import make_endpoint
from webhooks.models import DeliveryStatus, WebhookDelivery
from webhooks.services import MAX_ATTEMPTS, retry_delay, webhook_deliver
from webhooks.tasks import deliver_webhook

from .conftest import deliveries, verified

T0 = dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC)
CODE = "83FED3407A939723A5C639B26916D505C3B5"


def _answer(incident, installing_user, outbox):
    with time_machine.travel(T0, tick=False), outbox.committing():
        return incident_answer(actor=installing_user, incident=incident, install_code=CODE)


def test_a_delivery_arrives_signed_and_verifies_with_the_endpoint_secret(
    incident, installing_user, raiser_hook, receiver, outbox
):
    endpoint, secret = raiser_hook

    _answer(incident, installing_user, outbox)

    [received] = receiver.received
    payload = verified(received, secret)
    assert received.path == "/hooks/ssi/gaining"
    assert payload["type"] == "request.answered"
    assert payload["data"]["reference"] == incident.reference
    assert payload["data"]["id"] == str(incident.public_id)
    assert payload["data"]["status"] == "code_provided"
    assert received.headers["content-type"] == "application/json"
    assert received.headers["user-agent"].startswith("SSI-Portal-Webhooks/")
    assert received.headers["webhook-timestamp"] == str(int(T0.timestamp()))
    [delivery] = deliveries()
    assert received.message_id == delivery.message_id
    assert received.message_id.startswith("msg_")
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (
        DeliveryStatus.DELIVERED,
        1,
        200,
    )


def test_a_receiver_that_fails_then_recovers_gets_each_event_exactly_once(
    incident, installing_user, gaining_user, raiser_hook, installer_hook, receiver, outbox
):
    receiver.default = 500
    with time_machine.travel(T0, tick=False), outbox.committing():
        incident_answer(actor=installing_user, incident=incident, install_code=CODE)
        incident_reveal_code(actor=gaining_user, incident=incident)
        incident_close(actor=gaining_user, incident=incident, outcome="code_worked")
    queued = {d.message_id: d.event_type for d in deliveries()}
    assert sorted(queued.values()) == [
        "request.answered",
        "request.closed",
        "request.code_revealed",
    ]

    second = T0 + retry_delay(1)
    outbox.sweep(second)  # fails again
    receiver.default = 200
    outbox.sweep(second + retry_delay(2))  # recovered
    outbox.sweep(T0 + dt.timedelta(days=4))  # nothing left to send
    outbox.sweep(T0 + dt.timedelta(days=4))

    accepted = [r.message_id for r in receiver.accepted()]
    assert sorted(accepted) == sorted(queued)
    assert len(receiver.received) == 3 * len(queued)
    assert {d.status for d in deliveries()} == {DeliveryStatus.DELIVERED}
    assert {d.attempts for d in deliveries()} == {3}
    secrets = {"/hooks/ssi/gaining": raiser_hook[1], "/hooks/ssi/installing": installer_hook[1]}
    for received in receiver.received:
        assert verified(received, secrets[received.path])["type"] == queued[received.message_id]


def test_a_delivered_delivery_is_not_sent_again_when_its_task_runs_twice(
    incident, installing_user, raiser_hook, receiver, outbox
):
    _answer(incident, installing_user, outbox)
    [delivery] = deliveries()

    with time_machine.travel(T0 + dt.timedelta(minutes=1), tick=False):
        assert deliver_webhook(delivery.pk) == "nothing"
        assert deliver_webhook.apply(args=[delivery.pk]).get() == "nothing"

    assert len(receiver.received) == 1


def test_a_redirect_is_not_followed_and_counts_as_a_failure(
    incident, installing_user, raiser_hook, receiver, outbox
):
    receiver.answers.append(302)

    _answer(incident, installing_user, outbox)

    [delivery] = deliveries()
    assert len(receiver.received) == 1
    assert delivery.status == DeliveryStatus.PENDING
    assert (delivery.last_status_code, delivery.last_error) == (
        302,
        "HTTP 302: redirects are not followed",
    )
    assert delivery.next_attempt_at == T0 + dt.timedelta(seconds=30)


def test_a_receiver_too_slow_to_answer_is_tried_again_later(
    settings, incident, installing_user, raiser_hook, receiver, outbox
):
    settings.SSI_WEBHOOK_TIMEOUT_SECONDS = 0.2
    receiver.delay = 1.0

    _answer(incident, installing_user, outbox)

    [delivery] = deliveries()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.last_error == "No answer within 0.2 s."
    assert delivery.last_status_code is None


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_retries_wait_longer_each_time_over_more_than_a_day_then_the_delivery_fails(
    settings, incident, installing_user, gaining_supplier
):
    settings.SSI_WEBHOOK_DISABLE_AFTER_DAYS = 30
    make_endpoint(gaining_supplier, url=f"http://127.0.0.1:{_closed_port()}/gone")
    incident_answer(actor=installing_user, incident=incident, install_code=CODE, now=T0)
    [delivery] = deliveries()
    waits, now = [], T0

    for _ in range(MAX_ATTEMPTS):
        assert webhook_deliver(delivery_id=delivery.pk, now=now) in ("retrying", "failed")
        delivery.refresh_from_db()
        waits.append(delivery.next_attempt_at - now)
        now = delivery.next_attempt_at

    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == MAX_ATTEMPTS
    assert delivery.last_error == "Connection failed: ConnectionRefusedError."
    growing = [w.total_seconds() for w in waits[:-1]]
    assert growing[:5] == [30, 120, 600, 1800, 3600]
    assert growing == sorted(growing)
    assert sum(waits[:-1], dt.timedelta()) > dt.timedelta(days=1)
    assert webhook_deliver(delivery_id=delivery.pk, now=now + dt.timedelta(days=1)) == "nothing"


def test_the_sweep_sends_a_delivery_whose_task_was_never_published(
    incident, installing_user, raiser_hook, receiver, outbox
):
    # Answered outside the commit helper: the task's publication is lost (a broker down).
    with time_machine.travel(T0, tick=False):
        incident_answer(actor=installing_user, incident=incident, install_code=CODE)

    assert outbox.sweep(T0 + dt.timedelta(minutes=1)) == {"interrupted": 0, "published": 0}
    assert outbox.sweep(T0 + dt.timedelta(minutes=3)) == {"interrupted": 0, "published": 1}
    assert outbox.sweep(T0 + dt.timedelta(minutes=4)) == {"interrupted": 0, "published": 0}

    assert [r.message_id for r in receiver.accepted()] == [deliveries()[0].message_id]


def test_the_sweep_publishes_a_due_delivery_once_when_run_twice_with_the_broker_down(
    incident, installing_user, raiser_hook, receiver
):
    from webhooks.services import webhooks_requeue

    with time_machine.travel(T0, tick=False):
        incident_answer(actor=installing_user, incident=incident, install_code=CODE)
    later = T0 + dt.timedelta(minutes=3)

    # No commit helper: what the sweep publishes is lost, as with a broker that is down.
    assert webhooks_requeue(now=later)["published"] == 1
    assert webhooks_requeue(now=later)["published"] == 0
    assert webhooks_requeue(now=later + dt.timedelta(minutes=3))["published"] == 1
    assert receiver.received == []


def test_a_delivery_whose_worker_died_mid_attempt_is_sent_again_by_the_sweep(
    incident, installing_user, raiser_hook, receiver, outbox
):
    with time_machine.travel(T0, tick=False):
        incident_answer(actor=installing_user, incident=incident, install_code=CODE)
    [delivery] = deliveries()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.DELIVERING, attempts=1, last_attempt_at=T0
    )

    assert outbox.sweep(T0 + dt.timedelta(minutes=5))["interrupted"] == 0
    assert outbox.sweep(T0 + dt.timedelta(minutes=11)) == {"interrupted": 1, "published": 1}

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 2)
    assert [r.message_id for r in receiver.accepted()] == [delivery.message_id]


@pytest.mark.parametrize("status", [200, 201, 202, 204, 299])
def test_any_2xx_answer_is_a_delivery(
    status, incident, installing_user, raiser_hook, receiver, outbox
):
    receiver.default = status

    _answer(incident, installing_user, outbox)

    assert deliveries()[0].status == DeliveryStatus.DELIVERED
