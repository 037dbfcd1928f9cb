"""Endpoints of the personas' Suppliers pointing at a real receiver on 127.0.0.1, and the
passing of time as the outbox sees it."""

import datetime as dt
from contextlib import contextmanager

import pytest
import time_machine
from standardwebhooks.webhooks import Webhook

from tests.support.webhooks import Receiver, make_endpoint
from webhooks.models import DeliveryStatus, WebhookDelivery
from webhooks.services import webhooks_requeue


@pytest.fixture
def receiver():
    started = Receiver().start()
    yield started
    started.stop()


@pytest.fixture
def raiser_hook(gaining_supplier, receiver):
    """The gaining Supplier's endpoint, every event type: (endpoint, secret)."""
    return make_endpoint(gaining_supplier, url=receiver.url + "/gaining")


@pytest.fixture
def installer_hook(installing_supplier, receiver):
    return make_endpoint(installing_supplier, url=receiver.url + "/installing")


@pytest.fixture
def gaining_admin(gaining_supplier):
    from tests.factories import UserFactory

    return UserFactory(
        username="gainadmin",
        email="admin@gaining.example",
        supplier=gaining_supplier,
        is_supplier_admin=True,
    )


def verified(received, secret: str) -> dict:
    """The payload of a delivery, checked as a receiver checks it (Standard Webhooks) at the
    time it arrived: the library refuses a timestamp more than five minutes from its clock."""
    sent = dt.datetime.fromtimestamp(int(received.headers["webhook-timestamp"]), tz=dt.UTC)
    with time_machine.travel(sent, tick=False):
        return Webhook(secret).verify(received.body, received.headers)


def deliveries(**filters) -> list[WebhookDelivery]:
    return list(WebhookDelivery.objects.filter(**filters).order_by("pk"))


def sent_to(supplier) -> list[str]:
    """The event types queued for a Supplier's endpoints, in order."""
    return [
        d.event_type
        for d in WebhookDelivery.objects.filter(endpoint__supplier=supplier).order_by("pk")
    ]


@pytest.fixture
def outbox(django_capture_on_commit_callbacks):
    """Run what a transaction publishes (eager tasks) as its commit would; ``at(when)``
    moves the clock there (every thread's) and runs the sweep, as beat would."""

    class Outbox:
        @contextmanager
        def committing(self):
            with django_capture_on_commit_callbacks(execute=True):
                yield

        def sweep(self, when: dt.datetime) -> dict:
            with time_machine.travel(when, tick=False), self.committing():
                return webhooks_requeue()

    return Outbox()


def pending() -> list[WebhookDelivery]:
    return deliveries(status=DeliveryStatus.PENDING)
