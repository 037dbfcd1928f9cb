"""A Supplier's webhook endpoints, managed by its administrators: add, change, rotate the
signing secret, disable, enable, delete; and the disabling of an endpoint that has failed for
days, which its administrators are told of by email.

Every change is in the security log, naming the endpoint's host (never its secret, nor a query
string that might hold a token). The URL is checked against the SSRF guard
(``ssi_portal.lib.outbound``) here, when it is saved, and again at every delivery.
"""

import base64
import datetime as dt
import secrets
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import SecurityEventKind, Supplier, User, supplier_audience
from accounts.permissions import can_manage_users
from accounts.services import security_event_record
from notifications.services import notification_queue
from ssi_portal.lib.outbound import OutboundError, url_check

from ..models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEventType

# The previous secret keeps signing this long after a rotation.
ROTATION_OVERLAP = dt.timedelta(hours=24)
DESCRIPTION_MAX_LENGTH = 200


class WebhookError(Exception):
    """A change the rules refuse. ``code`` is machine-readable, ``message`` is for the user,
    ``field`` the form field it is about (if any)."""

    def __init__(self, code: str, message: str, *, field: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


def secret_new() -> str:
    """A Standard Webhooks signing secret: ``whsec_`` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def _administrator(actor, endpoint: WebhookEndpoint | None = None) -> None:
    if not can_manage_users(actor):
        raise PermissionDenied("Only your organisation's administrators manage its webhooks.")
    if endpoint is not None and endpoint.supplier_id != actor.supplier_id:
        raise PermissionDenied("This endpoint belongs to another organisation.")


def _host(url: str) -> str:
    try:
        return urlsplit(url).hostname or "?"
    except ValueError:
        return "?"


def _clean(url: str, description: str, event_types) -> tuple[str, str, list[str]]:
    url = (url or "").strip()
    if not url:
        raise WebhookError(
            "url_required", "Enter the URL, e.g. https://hooks.example.com/ssi.", field="url"
        )
    try:
        url_check(url, allow_loopback=settings.SSI_WEBHOOK_ALLOW_LOOPBACK)
    except OutboundError as exc:
        raise WebhookError(exc.code, exc.message, field="url") from exc
    description = " ".join((description or "").split())
    if len(description) > DESCRIPTION_MAX_LENGTH:
        raise WebhookError(
            "description_too_long",
            f"The description has {len(description)} characters; at most "
            f"{DESCRIPTION_MAX_LENGTH} are allowed.",
            field="description",
        )
    chosen = list(dict.fromkeys(event_types or ()))
    unknown = [t for t in chosen if t not in WebhookEventType.values]
    if unknown:
        raise WebhookError(
            "unknown_event_type",
            f"Unknown event type {unknown[0]!r}: choose from the list.",
            field="event_types",
        )
    if not chosen:
        raise WebhookError(
            "no_event_types", "Choose at least one event to send.", field="event_types"
        )
    return url, description, [t for t in WebhookEventType.values if t in chosen]


def _same_url_refused(supplier_id: int, url: str, *, other_than: int | None = None) -> None:
    taken = WebhookEndpoint.objects.filter(supplier_id=supplier_id, url=url)
    if other_than is not None:
        taken = taken.exclude(pk=other_than)
    if taken.exists():
        raise WebhookError(
            "duplicate_url",
            "Your organisation already has an endpoint with this URL: change that one instead.",
            field="url",
        )


def webhook_endpoint_create(
    *,
    actor,
    url: str,
    event_types,
    description: str = "",
    request=None,
    now: dt.datetime | None = None,
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint of the actor's Supplier; return it and its signing secret, which
    is shown once and never again (it is stored sealed).

    Preconditions: the actor administers a Supplier. Refuses (:class:`WebhookError`) a URL
    the SSRF guard refuses, one the Supplier already has, and more than
    ``SSI_WEBHOOK_MAX_ENDPOINTS``. Writes a security event.
    """
    _administrator(actor)
    url, description, event_types = _clean(url, description, event_types)
    now = now or timezone.now()
    with transaction.atomic():
        # Locked, so that two administrators adding at once cannot pass the cap together.
        supplier = Supplier.objects.select_for_update().get(pk=actor.supplier_id)
        count = WebhookEndpoint.objects.filter(supplier=supplier).count()
        if count >= settings.SSI_WEBHOOK_MAX_ENDPOINTS:
            raise WebhookError(
                "too_many",
                f"{supplier.name} has {count} endpoints, the most allowed: delete one first.",
            )
        _same_url_refused(supplier.pk, url)
        secret = secret_new()
        endpoint = WebhookEndpoint(
            supplier=supplier,
            url=url,
            description=description,
            event_types=event_types,
            created_by=actor,
            created_at=now,
            updated_at=now,
        )
        endpoint.secret_sealed = endpoint.seal_secret(secret)
        endpoint.save()
        _log(SecurityEventKind.WEBHOOK_ADDED, actor, request, endpoint, ", ".join(event_types))
    return endpoint, secret


def webhook_endpoint_update(
    *,
    actor,
    endpoint: WebhookEndpoint,
    url: str,
    event_types,
    description: str = "",
    request=None,
    now: dt.datetime | None = None,
) -> WebhookEndpoint:
    """Change an endpoint's URL, description and events. A new URL starts its failure count
    afresh. Writes a security event."""
    _administrator(actor, endpoint)
    url, description, event_types = _clean(url, description, event_types)
    now = now or timezone.now()
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        _same_url_refused(endpoint.supplier_id, url, other_than=endpoint.pk)
        changed = [
            name
            for name, value in (("URL", url), ("description", description))
            if getattr(endpoint, name.lower()) != value
        ]
        if endpoint.event_types != event_types:
            changed.append("events")
        if url != endpoint.url:
            endpoint.failing_since = None
        endpoint.url, endpoint.description, endpoint.event_types = url, description, event_types
        endpoint.updated_at = now
        endpoint.save(
            update_fields=["url", "description", "event_types", "failing_since", "updated_at"]
        )
        detail = "Changed: " + (", ".join(changed) if changed else "nothing") + "."
        _log(SecurityEventKind.WEBHOOK_CHANGED, actor, request, endpoint, detail)
    return endpoint


def webhook_endpoint_rotate(
    *, actor, endpoint: WebhookEndpoint, request=None, now: dt.datetime | None = None
) -> tuple[WebhookEndpoint, str]:
    """Give the endpoint a new signing secret; return it (shown once). The one it replaces
    keeps signing for 24 hours beside it, so the receiver can switch without losing a
    message; an older one still in its overlap stops at once. Writes a security event."""
    _administrator(actor, endpoint)
    now = now or timezone.now()
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        secret = secret_new()
        endpoint.previous_secret_sealed = endpoint.secret_sealed
        endpoint.previous_secret_expires_at = now + ROTATION_OVERLAP
        endpoint.secret_sealed = endpoint.seal_secret(secret)
        endpoint.rotated_at = endpoint.updated_at = now
        endpoint.save(
            update_fields=[
                "secret_sealed",
                "previous_secret_sealed",
                "previous_secret_expires_at",
                "rotated_at",
                "updated_at",
            ]
        )
        detail = "The previous secret signs too until 24 hours after the rotation."
        _log(SecurityEventKind.WEBHOOK_ROTATED, actor, request, endpoint, detail)
    return endpoint, secret


def _fail_pending(endpoint_id: int, why: str) -> int:
    return WebhookDelivery.objects.filter(
        endpoint_id=endpoint_id, status=DeliveryStatus.PENDING
    ).update(status=DeliveryStatus.FAILED, last_error=why)


def webhook_endpoint_disable(
    *, actor, endpoint: WebhookEndpoint, request=None, now: dt.datetime | None = None
) -> WebhookEndpoint:
    """Stop sending to the endpoint. Its pending deliveries are left failed (each can be
    redelivered once it is enabled again). Writes a security event."""
    _administrator(actor, endpoint)
    now = now or timezone.now()
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        if endpoint.disabled_at is None:
            endpoint.disabled_at = endpoint.updated_at = now
            endpoint.disabled_reason = f"Disabled by {actor.get_full_name() or actor.username}."
            endpoint.save(update_fields=["disabled_at", "disabled_reason", "updated_at"])
            _fail_pending(endpoint.pk, "Not sent: the endpoint was disabled.")
            _log(SecurityEventKind.WEBHOOK_DISABLED, actor, request, endpoint, "By hand.")
    return endpoint


def webhook_endpoint_enable(
    *, actor, endpoint: WebhookEndpoint, request=None, now: dt.datetime | None = None
) -> WebhookEndpoint:
    """Send to the endpoint again, its failure count afresh. Writes a security event."""
    _administrator(actor, endpoint)
    now = now or timezone.now()
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        if endpoint.disabled_at is not None:
            endpoint.disabled_at = endpoint.failing_since = None
            endpoint.disabled_reason = ""
            endpoint.updated_at = now
            endpoint.save(
                update_fields=["disabled_at", "disabled_reason", "failing_since", "updated_at"]
            )
            _log(SecurityEventKind.WEBHOOK_ENABLED, actor, request, endpoint, "")
    return endpoint


def webhook_endpoint_delete(*, actor, endpoint: WebhookEndpoint, request=None) -> None:
    """Delete the endpoint and its deliveries. Writes a security event."""
    _administrator(actor, endpoint)
    with transaction.atomic():
        _log(SecurityEventKind.WEBHOOK_DELETED, actor, request, endpoint, "")
        WebhookEndpoint.objects.filter(pk=endpoint.pk).delete()


def endpoint_disable_for_failures(
    *, endpoint_id: int, failing_before: dt.datetime, now: dt.datetime
) -> bool:
    """Disable the endpoint if it has failed without a 2xx answer since before
    ``failing_before``, and email its Supplier's administrators, once: the conditional
    UPDATE lets one caller only win. Returns whether this call disabled it."""
    with transaction.atomic():
        won = WebhookEndpoint.objects.filter(
            pk=endpoint_id, disabled_at__isnull=True, failing_since__lte=failing_before
        ).update(
            disabled_at=now,
            updated_at=now,
            disabled_reason=(
                f"Disabled by the portal: no delivery succeeded for "
                f"{settings.SSI_WEBHOOK_DISABLE_AFTER_DAYS} days."
            ),
        )
        if not won:
            return False
        endpoint = WebhookEndpoint.objects.select_related("supplier").get(pk=endpoint_id)
        _fail_pending(endpoint_id, "Not sent: the endpoint was disabled after failing for days.")
        _tell_administrators(endpoint)
        _log(SecurityEventKind.WEBHOOK_DISABLED, None, None, endpoint, endpoint.disabled_reason)
    return True


def _tell_administrators(endpoint: WebhookEndpoint) -> None:
    supplier = endpoint.supplier
    recipients = (
        list(
            User.objects.filter(
                supplier=supplier, is_supplier_admin=True, is_active=True, is_service_account=False
            ).values_list("email", flat=True)
        )
        or supplier.contact_emails
    )
    notification_queue(
        source=f"webhook-disabled:{endpoint.pk}:{endpoint.disabled_at:%Y%m%d%H%M%S}",
        template="webhook_endpoint_disabled",
        recipients=[r for r in recipients if r],
        context={
            "supplier": supplier.name,
            "host": _host(endpoint.url),
            "description": endpoint.description,
            "days": settings.SSI_WEBHOOK_DISABLE_AFTER_DAYS,
            "url": settings.PORTAL_BASE_URL.rstrip("/")
            + reverse("webhooks:detail", kwargs={"public_id": endpoint.public_id}),
        },
        audience=supplier_audience(supplier.pk),
    )


def _log(kind, actor, request, endpoint: WebhookEndpoint, detail: str) -> None:
    security_event_record(
        kind=kind,
        actor=actor,
        request=request,
        supplier=endpoint.supplier if actor is None else None,
        reference=f"webhook:{endpoint.public_id}",
        detail=f"{_host(endpoint.url)}: {detail}".rstrip(": ")[:500],
    )
