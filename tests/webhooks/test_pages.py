"""The webhook pages of a Supplier's administrators: nobody else's, the secret shown once,
specific errors linked to their fields, rotation, disabling, deleting and redelivery."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import SecurityEvent, Session
from incidents.services import incident_answer
from tests.factories import UserFactory
from tests.support.webhooks import make_delivery, make_endpoint
from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

from .conftest import deliveries

CODE = "83FED3407A939723A5C639B26916D505C3B5"
ADD = reverse("webhooks:add")


@pytest.fixture
def admin_client(client, gaining_admin):
    client.force_login(gaining_admin)
    return client


def _add(client, url, events=("request.answered",), **extra):
    return client.post(ADD, {"url": url, "event_types": list(events), **extra})


def test_a_user_who_is_not_an_administrator_is_refused(client, gaining_user):
    client.force_login(gaining_user)

    assert client.get(reverse("webhooks:list")).status_code == 403
    assert _add(client, "http://127.0.0.1:9/x").status_code == 403
    assert not WebhookEndpoint.objects.exists()


def test_the_helpdesk_is_refused(client, helpdesk_user):
    client.force_login(helpdesk_user)

    assert client.get(reverse("webhooks:list")).status_code == 403


def test_a_visitor_is_sent_to_the_login_page(client, db):
    response = client.get(reverse("webhooks:list"))

    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_another_organisations_endpoint_is_not_found(client, installing_supplier, gaining_admin):
    theirs, _ = make_endpoint(installing_supplier)
    client.force_login(gaining_admin)

    assert client.get(reverse("webhooks:detail", args=[theirs.public_id])).status_code == 404
    assert client.post(reverse("webhooks:rotate", args=[theirs.public_id])).status_code == 404


def test_an_added_endpoint_shows_its_secret_once_and_never_again(admin_client):
    response = _add(admin_client, "http://127.0.0.1:9/hook", description="Work management")

    endpoint = WebhookEndpoint.objects.get()
    secret = endpoint.open_secret(endpoint.secret_sealed)
    assert response.status_code == 302
    assert response["Location"] == reverse("webhooks:secret", args=[endpoint.public_id])
    shown = admin_client.get(response["Location"])
    assert secret in shown.content.decode()
    assert "no-store" in shown["Cache-Control"]
    again = admin_client.get(response["Location"]).content.decode()
    assert secret not in again and "whsec_" not in again
    assert "shown once" in again
    assert endpoint.event_types == ["request.answered"]
    assert endpoint.description == "Work management"


def test_the_secret_waits_for_its_page_sealed_not_in_the_clear(admin_client):
    _add(admin_client, "http://127.0.0.1:9/hook")
    endpoint = WebhookEndpoint.objects.get()
    secret = endpoint.open_secret(endpoint.secret_sealed)

    stored = " ".join(s.session_data for s in Session.objects.all())
    decoded = " ".join(str(s.get_decoded()) for s in Session.objects.all())
    assert secret not in stored and secret.removeprefix("whsec_") not in decoded


def test_a_private_address_is_refused_saying_which_and_why(settings, admin_client):
    settings.SSI_WEBHOOK_ALLOW_LOOPBACK = False

    response = _add(admin_client, "https://10.0.0.5/hook")

    html = response.content.decode()
    assert response.status_code == 400
    assert 'href="#id_url"' in html
    assert (
        "The address resolves to 10.0.0.5, a private network address; use an address the "
        "internet can reach."
    ) in html
    assert not WebhookEndpoint.objects.exists()


def test_choosing_no_event_is_refused_with_a_link_to_the_first_box(admin_client):
    response = _add(admin_client, "http://127.0.0.1:9/hook", events=())

    html = response.content.decode()
    assert response.status_code == 400
    assert 'href="#id_event_types_0"' in html and 'id="id_event_types_0"' in html
    assert "Choose at least one event to send." in html


def test_an_edit_saves_the_new_events_and_keeps_the_secret(admin_client, gaining_supplier):
    endpoint, secret = make_endpoint(gaining_supplier, url="http://127.0.0.1:9/a")

    response = admin_client.post(
        reverse("webhooks:edit", args=[endpoint.public_id]),
        {"url": "http://127.0.0.1:9/b", "event_types": ["request.raised", "request.closed"]},
    )

    endpoint.refresh_from_db()
    assert response.status_code == 302
    assert endpoint.url == "http://127.0.0.1:9/b"
    assert endpoint.event_types == ["request.raised", "request.closed"]
    assert endpoint.open_secret(endpoint.secret_sealed) == secret


def test_rotating_shows_the_new_secret_once_and_the_old_one_signs_for_a_day(
    admin_client, gaining_supplier
):
    endpoint, old = make_endpoint(gaining_supplier)

    response = admin_client.post(reverse("webhooks:rotate", args=[endpoint.public_id]))

    endpoint.refresh_from_db()
    new = endpoint.open_secret(endpoint.secret_sealed)
    html = admin_client.get(response["Location"]).content.decode()
    assert new != old and new in html and old not in html
    assert endpoint.open_secret(endpoint.previous_secret_sealed) == old
    assert (endpoint.previous_secret_expires_at - endpoint.rotated_at).total_seconds() == 86400
    assert "The previous secret also signs every delivery until" in html


def test_disabling_and_enabling_are_posted_and_logged(admin_client, gaining_supplier):
    endpoint, _ = make_endpoint(gaining_supplier)

    admin_client.post(reverse("webhooks:disable", args=[endpoint.public_id]))
    endpoint.refresh_from_db()
    assert endpoint.disabled_at is not None
    assert "Disabled" in admin_client.get(reverse("webhooks:list")).content.decode()
    admin_client.post(reverse("webhooks:enable", args=[endpoint.public_id]))
    endpoint.refresh_from_db()

    assert endpoint.disabled_at is None and endpoint.disabled_reason == ""
    kinds = list(SecurityEvent.objects.order_by("pk").values_list("kind", flat=True))
    assert kinds[-2:] == ["webhook_disabled", "webhook_enabled"]


def test_delete_asks_first_then_deletes_the_endpoint_and_its_deliveries(
    admin_client, gaining_supplier, incident, installing_user
):
    endpoint, _ = make_endpoint(gaining_supplier)
    incident_answer(actor=installing_user, incident=incident, install_code=CODE)
    url = reverse("webhooks:delete", args=[endpoint.public_id])

    asked = admin_client.get(url)
    assert asked.status_code == 200 and "cannot be undone" in asked.content.decode()
    assert WebhookEndpoint.objects.exists()
    response = admin_client.post(url)

    assert response["Location"] == reverse("webhooks:list")
    assert not WebhookEndpoint.objects.exists() and not WebhookDelivery.objects.exists()


def test_redeliver_sends_a_delivered_event_again_as_a_new_attempt(
    admin_client, incident, installing_user, raiser_hook, receiver, outbox
):
    endpoint, _ = raiser_hook
    with outbox.committing():
        incident_answer(actor=installing_user, incident=incident, install_code=CODE)
    [delivery] = deliveries()
    page = admin_client.get(reverse("webhooks:detail", args=[endpoint.public_id]))
    assert "Redeliver" in page.content.decode()

    with outbox.committing():
        response = admin_client.post(
            reverse("webhooks:redeliver", args=[endpoint.public_id, delivery.pk])
        )

    delivery.refresh_from_db()
    assert response.status_code == 302
    assert [r.message_id for r in receiver.accepted()] == [delivery.message_id] * 2
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 1)


def test_redeliver_finds_no_delivery_of_another_endpoint(admin_client, gaining_supplier, incident):
    ours, _ = make_endpoint(gaining_supplier, url="https://a.example.com/")
    other, _ = make_endpoint(gaining_supplier, url="https://b.example.com/")
    delivery = WebhookDelivery.objects.create(
        endpoint=other,
        message_id="msg_other",
        source="incident-event:1",
        event_type="request.raised",
        payload={},
        next_attempt_at=incident.created_at,
        queued_at=incident.created_at,
        created_at=incident.created_at,
    )

    url = reverse("webhooks:redeliver", args=[ours.public_id, delivery.pk])
    assert admin_client.post(url).status_code == 404


def test_the_endpoint_page_reads_its_deliveries_in_a_fixed_number_of_queries(
    admin_client, gaining_supplier, django_assert_num_queries
):
    endpoint, _ = make_endpoint(gaining_supplier)
    for status in ("pending", "delivered", "failed", "delivering") * 10:
        make_delivery(endpoint, status=status, attempts=1, last_error="HTTP 500")

    # The session read with its user and their Supplier (the top bar names it), the endpoint,
    # the page of deliveries (26 rows: one says more follow).
    with django_assert_num_queries(3):
        response = admin_client.get(reverse("webhooks:detail", args=[endpoint.public_id]))

    html = response.content.decode()
    newest = WebhookDelivery.objects.order_by("-created_at", "-id")[:25]
    being_sent = sum(1 for d in newest if d.status == "delivering")
    assert html.count("Redeliver</button>") == 25 - being_sent  # none while being sent
    assert "Older deliveries" in html


def test_the_organisation_menu_offers_webhooks_to_administrators_only(
    admin_client, gaining_supplier
):
    member = Client()
    member.force_login(UserFactory(username="member2", supplier=gaining_supplier))

    assert reverse("webhooks:list") in admin_client.get("/").content.decode()
    assert reverse("webhooks:list") not in member.get("/").content.decode()
