"""Reads about a Supplier's endpoints and their deliveries. Another organisation's endpoint
is missing (404), exactly like one that does not exist."""

from django.db.models import OuterRef, QuerySet, Subquery
from django.http import Http404

from ssi_portal.lib.paging import NumberedPage, numbered_page

from ..models import WebhookDelivery, WebhookEndpoint

DELIVERIES_PAGE_SIZE = 25


def webhook_endpoints_of(supplier_id: int | None) -> QuerySet[WebhookEndpoint]:
    """The Supplier's endpoints, oldest first, each with its latest delivery's time and
    status (``last_delivery_at``, ``last_delivery_status``): one query."""
    if not supplier_id:
        return WebhookEndpoint.objects.none()
    latest = WebhookDelivery.objects.filter(endpoint=OuterRef("pk")).order_by("-created_at", "-id")
    return (
        WebhookEndpoint.objects.filter(supplier_id=supplier_id)
        .annotate(
            last_delivery_at=Subquery(latest.values("created_at")[:1]),
            last_delivery_status=Subquery(latest.values("status")[:1]),
        )
        .order_by("created_at", "id")
    )


def webhook_endpoint_get(actor, public_id) -> WebhookEndpoint:
    endpoint = webhook_endpoints_of(actor.supplier_id).filter(public_id=public_id).first()
    if endpoint is None:
        raise Http404("No such webhook endpoint in your organisation.")
    return endpoint


def webhook_deliveries_page(endpoint: WebhookEndpoint, number: int) -> NumberedPage:
    """One page of the endpoint's deliveries, newest first (no COUNT: a page more is read)."""
    deliveries = WebhookDelivery.objects.filter(endpoint=endpoint).order_by("-created_at", "-id")
    return numbered_page(
        deliveries.only(
            "endpoint_id",
            "event_type",
            "payload",
            "status",
            "attempts",
            "last_status_code",
            "last_error",
            "created_at",
            "last_attempt_at",
            "delivered_at",
            "next_attempt_at",
        ),
        number,
        DELIVERIES_PAGE_SIZE,
    )


def webhook_delivery_get(endpoint: WebhookEndpoint, delivery_id: int) -> WebhookDelivery:
    delivery = WebhookDelivery.objects.filter(endpoint=endpoint, pk=delivery_id).first()
    if delivery is None:
        raise Http404("No such delivery for this endpoint.")
    return delivery
