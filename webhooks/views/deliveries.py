"""An endpoint's page with its recent deliveries, and the Redeliver button."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from ssi_portal.lib.paging import page_number

from .. import services
from ..models import WebhookEventType
from ..permissions import administrator_required
from ..selectors.endpoints import (
    webhook_deliveries_page,
    webhook_delivery_get,
    webhook_endpoint_get,
)


@administrator_required
@require_http_methods(["GET", "HEAD"])
def endpoint_detail(request, public_id):
    endpoint = webhook_endpoint_get(request.user, public_id)
    labels = dict(WebhookEventType.choices)
    until = endpoint.previous_secret_expires_at
    return render(
        request,
        "webhooks/detail.html",
        {
            "endpoint": endpoint,
            "page": webhook_deliveries_page(endpoint, page_number(request.GET.get("page"))),
            "events": [(t, labels.get(t, t)) for t in endpoint.event_types],
            "previous_signs_until": until if until and until > timezone.now() else None,
        },
    )


@administrator_required
@require_POST
def delivery_redeliver(request, public_id, delivery_id: int):
    endpoint = webhook_endpoint_get(request.user, public_id)
    delivery = webhook_delivery_get(endpoint, delivery_id)
    if not endpoint.is_active:
        messages.error(request, "The endpoint is disabled: enable it first, then redeliver.")
    elif services.webhook_redeliver(delivery=delivery):
        messages.success(
            request, f"The {delivery.event_type} delivery {delivery.message_id} is queued again."
        )
    else:
        messages.error(request, "That delivery is being sent right now: try again in a minute.")
    return redirect("webhooks:detail", public_id=endpoint.public_id)
