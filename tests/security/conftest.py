"""Personas of the security tests (the URL matrix's eight, by name) and the objects their URLs
take."""

import pytest
from django.test import Client

from conftest import INSTALL_CODE_WITH_CRC


@pytest.fixture
def supplier_admin(gaining_supplier):
    from tests.factories import UserFactory

    return UserFactory(
        username="gainadmin",
        email="admin@gaining.example",
        supplier=gaining_supplier,
        is_supplier_admin=True,
    )


@pytest.fixture
def personas(
    gaining_user,
    installing_user,
    other_supplier_user,
    supplier_admin,
    helpdesk_user,
    gaining_supplier,
    installing_supplier,
):
    from tests.factories import UserFactory

    role_less = {"can_raise": False, "can_answer": False}
    return {
        "raiser": gaining_user,
        "installer": installing_user,
        "raiser_no_role": UserFactory(
            username="gainnorole", supplier=gaining_supplier, **role_less
        ),
        "installer_no_role": UserFactory(
            username="instnorole", supplier=installing_supplier, **role_less
        ),
        "other": other_supplier_user,
        "admin": supplier_admin,
        "helpdesk": helpdesk_user,
        "anonymous": None,
    }


@pytest.fixture
def client_as(personas):
    def make(persona: str, **kwargs) -> Client:
        client = Client(**kwargs)
        if personas[persona] is not None:
            client.force_login(personas[persona])
        return client

    return make


@pytest.fixture
def owned_objects(
    request,
    incident,
    installing_user,
    gaining_user,
    gaining_colleague,
    gaining_supplier,
    webhook_objects,
):
    """Objects of the raising Supplier, by the kind of identifier a URL takes."""
    from incidents.services import incident_answer
    from tests.factories import SupplierContactFactory
    from tests.support.bulk import RAISE_HEADER, csv_bytes, upload

    def make(kind: str):
        if kind in ("incident", "answered"):
            if kind == "answered":
                incident_answer(
                    actor=installing_user, incident=incident, install_code=INSTALL_CODE_WITH_CRC
                )
            return {"public_id": incident.public_id}
        if kind == "upload":
            made = upload(gaining_user, "raise", csv_bytes(RAISE_HEADER, "00-DB-12-34-56-78-90-A0"))
            return {"public_id": made.public_id}
        if kind == "device":
            return {"device_id": incident.device.device_id}
        if kind == "member":
            return {"user_id": gaining_colleague.pk}
        if kind == "contact":
            # A second address, so that removing one is allowed for the administrator.
            contact = SupplierContactFactory(supplier=gaining_supplier, email="two@gaining.example")
            return {"contact_id": contact.pk}
        if kind == "webhook":
            return {"public_id": webhook_objects()["endpoint"].public_id}
        if kind == "webhook_delivery":
            made = webhook_objects()
            return {"public_id": made["endpoint"].public_id, "delivery_id": made["delivery"].pk}
        if kind == "api_client":
            from api.services import api_client_create

            made, _secret = api_client_create(
                actor=request.getfixturevalue("supplier_admin"),
                name="Billing back office",
                scopes=["read", "raise"],
                source_addresses="203.0.113.0/24",
            )
            return {"client_id": made.pk}
        return {}

    return make


@pytest.fixture
def webhook_objects(gaining_supplier, incident):
    """The raising Supplier's endpoint, made once per test, with a delivery in each state."""
    from django.utils import timezone

    from tests.support.webhooks import make_endpoint
    from webhooks.models import DeliveryStatus, WebhookDelivery

    made = {}

    def make() -> dict:
        if not made:
            endpoint, _ = make_endpoint(gaining_supplier, description="Work management")
            now = timezone.now()
            payload = {"type": "request.raised", "timestamp": now.isoformat(), "data": {}}
            payload["data"]["reference"] = incident.reference
            rows = [
                (DeliveryStatus.DELIVERED, 1, 204, ""),
                (DeliveryStatus.PENDING, 2, 500, "HTTP 500"),
                (DeliveryStatus.FAILED, 17, None, "Connection failed: ConnectionRefusedError."),
            ]
            deliveries = [
                WebhookDelivery.objects.create(
                    endpoint=endpoint,
                    message_id=f"msg_test{n}",
                    source=f"incident-event:{n}",
                    event_type="request.raised",
                    payload=payload,
                    status=status,
                    attempts=attempts,
                    last_status_code=code,
                    last_error=error,
                    next_attempt_at=now,
                    queued_at=now,
                    last_attempt_at=now,
                    delivered_at=now if status == DeliveryStatus.DELIVERED else None,
                    created_at=now,
                )
                for n, (status, attempts, code, error) in enumerate(rows, start=1)
            ]
            made.update(endpoint=endpoint, delivery=deliveries[0])
        return made

    return make
