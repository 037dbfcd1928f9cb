"""An endpoint that has had no 2xx answer for SSI_WEBHOOK_DISABLE_AFTER_DAYS is disabled, its
Supplier's administrators are emailed once, and nothing more is queued for it; a success on the
way clears the count."""

import datetime as dt
import socket

import pytest

from incidents.services import incident_answer
from notifications.models import Notification
from ssi_portal.lib.email import render_email
from tests.support.webhooks import make_endpoint
from webhooks.models import DeliveryStatus, WebhookDelivery
from webhooks.services import webhook_deliver
from webhooks.services.delivery import endpoint_failing

from .conftest import deliveries

T0 = dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC)
CODE = "83FED3407A939723A5C639B26916D505C3B5"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def dead_hook(gaining_supplier):
    endpoint, _ = make_endpoint(
        gaining_supplier, url=f"http://127.0.0.1:{_closed_port()}/gone", description="WMS"
    )
    return endpoint


def _fail_until(delivery: WebhookDelivery, end: dt.datetime) -> None:
    now = T0
    while now <= end:
        if webhook_deliver(delivery_id=delivery.pk, now=now) == "nothing":
            return
        delivery.refresh_from_db()
        now = delivery.next_attempt_at


def _disabled_emails():
    return list(Notification.objects.filter(template="webhook_endpoint_disabled"))


def test_an_endpoint_failing_for_three_days_is_disabled_and_its_administrators_emailed_once(
    dead_hook, incident, installing_user, gaining_admin
):
    incident_answer(actor=installing_user, incident=incident, install_code=CODE, now=T0)
    [delivery] = deliveries()

    _fail_until(delivery, T0 + dt.timedelta(days=4))
    endpoint_failing(dead_hook.pk, now=T0 + dt.timedelta(days=5))  # a late failure, again

    dead_hook.refresh_from_db()
    delivery.refresh_from_db()
    assert dead_hook.disabled_at is not None
    assert dead_hook.disabled_at - T0 >= dt.timedelta(days=3)
    assert "no delivery succeeded for 3 days" in dead_hook.disabled_reason
    assert delivery.status == DeliveryStatus.FAILED
    [email] = _disabled_emails()
    assert email.recipient == gaining_admin.email
    assert email.audience == f"supplier:{gaining_admin.supplier_id}"
    subject, text, _ = render_email(email.template, email.context)
    assert subject == "[SSI] Webhook endpoint 127.0.0.1 disabled after 3 days of failures"
    assert f"/organisation/webhooks/{dead_hook.public_id}/" in text


def test_a_disabled_endpoint_is_sent_nothing_new(dead_hook, incident, installing_user):
    dead_hook.disabled_at = T0
    dead_hook.disabled_reason = "Disabled by hand."
    dead_hook.save()

    incident_answer(actor=installing_user, incident=incident, install_code=CODE, now=T0)

    assert deliveries() == []


def test_failing_for_less_than_the_setting_leaves_the_endpoint_enabled(
    settings, dead_hook, incident, installing_user, gaining_admin
):
    settings.SSI_WEBHOOK_DISABLE_AFTER_DAYS = 5
    incident_answer(actor=installing_user, incident=incident, install_code=CODE, now=T0)

    _fail_until(deliveries()[0], T0 + dt.timedelta(days=4))

    dead_hook.refresh_from_db()
    assert dead_hook.disabled_at is None
    assert dead_hook.failing_since == T0
    assert _disabled_emails() == []


def test_a_success_clears_the_failing_time(
    incident, installing_user, raiser_hook, receiver, outbox
):
    endpoint, _ = raiser_hook
    endpoint.failing_since = T0 - dt.timedelta(days=2)
    endpoint.save()

    with outbox.committing():
        incident_answer(actor=installing_user, incident=incident, install_code=CODE)

    endpoint.refresh_from_db()
    assert endpoint.failing_since is None
    assert len(receiver.accepted()) == 1


def test_without_an_administrator_the_contact_addresses_are_told(
    dead_hook, incident, installing_user
):
    incident_answer(actor=installing_user, incident=incident, install_code=CODE, now=T0)

    _fail_until(deliveries()[0], T0 + dt.timedelta(days=4))

    assert [e.recipient for e in _disabled_emails()] == ["desk@gaining.example"]
