"""A Supplier's endpoints: list, add, change, rotate the secret, disable, enable, delete.

Each view checks access (``administrator_required``), validates a form, calls one service and
maps a refusal to a form error or a message. A new secret is shown once, on the page after
the change: it waits for it in the session sealed (never in the clear, never in a URL), and
is taken out as it is shown.
"""

import base64

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from ssi_portal.lib.crypto import SecretError, key_ring

from .. import services
from ..forms.endpoints import EndpointForm, endpoint_initial
from ..permissions import administrator_required
from ..selectors.endpoints import webhook_endpoint_get, webhook_endpoints_of

NEW_SECRET = "webhooks.new_secret"  # noqa: S105 (a session key name, not a secret)


def _secret_context(request, endpoint) -> bytes:
    return f"webhook-secret-once:{endpoint.public_id}:{request.user.pk}".encode()


def _keep_secret(request, endpoint, secret: str) -> None:
    sealed = key_ring().seal(secret.encode("ascii"), aad=_secret_context(request, endpoint))
    request.session[NEW_SECRET] = {
        "endpoint": str(endpoint.public_id),
        "sealed": base64.b64encode(sealed).decode("ascii"),
    }


def _take_secret(request, endpoint) -> str | None:
    kept = request.session.get(NEW_SECRET)
    if not kept or kept.get("endpoint") != str(endpoint.public_id):
        return None
    del request.session[NEW_SECRET]
    try:
        sealed = base64.b64decode(kept["sealed"])
        return key_ring().open(sealed, aad=_secret_context(request, endpoint)).decode("ascii")
    except (SecretError, ValueError, KeyError):
        return None


def _form_page(request, template: str, form, **context):
    return render(
        request,
        template,
        {"form": form, "error_forms": [form] if form.errors else [], **context},
        status=400 if form.errors else 200,
    )


def _refused(form, exc: services.WebhookError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


@administrator_required
@require_http_methods(["GET", "HEAD"])
def endpoints_list(request):
    return render(
        request,
        "webhooks/list.html",
        {
            "endpoints": webhook_endpoints_of(request.user.supplier_id),
            "disable_after_days": settings.SSI_WEBHOOK_DISABLE_AFTER_DAYS,
        },
    )


@administrator_required
@require_http_methods(["GET", "HEAD", "POST"])
def endpoint_add(request):
    form = EndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint, secret = services.webhook_endpoint_create(
                actor=request.user, request=request, **form.cleaned_data
            )
        except services.WebhookError as exc:
            _refused(form, exc)
        else:
            _keep_secret(request, endpoint, secret)
            return redirect("webhooks:secret", public_id=endpoint.public_id)
    return _form_page(request, "webhooks/add.html", form)


@administrator_required
@require_http_methods(["GET", "HEAD"])
def endpoint_secret(request, public_id):
    endpoint = webhook_endpoint_get(request.user, public_id)
    return render(
        request,
        "webhooks/secret.html",
        {"endpoint": endpoint, "secret": _take_secret(request, endpoint)},
    )


@administrator_required
@require_http_methods(["GET", "HEAD", "POST"])
def endpoint_edit(request, public_id):
    endpoint = webhook_endpoint_get(request.user, public_id)
    form = EndpointForm(request.POST or None, initial=endpoint_initial(endpoint))
    if request.method == "POST" and form.is_valid():
        try:
            services.webhook_endpoint_update(
                actor=request.user, endpoint=endpoint, request=request, **form.cleaned_data
            )
        except services.WebhookError as exc:
            _refused(form, exc)
        else:
            messages.success(request, "The endpoint's changes are saved.")
            return redirect("webhooks:detail", public_id=endpoint.public_id)
    return _form_page(request, "webhooks/edit.html", form, endpoint=endpoint)


@administrator_required
@require_POST
def endpoint_rotate(request, public_id):
    endpoint = webhook_endpoint_get(request.user, public_id)
    endpoint, secret = services.webhook_endpoint_rotate(
        actor=request.user, endpoint=endpoint, request=request
    )
    _keep_secret(request, endpoint, secret)
    return redirect("webhooks:secret", public_id=endpoint.public_id)


@administrator_required
@require_POST
def endpoint_disable(request, public_id):
    endpoint = webhook_endpoint_get(request.user, public_id)
    services.webhook_endpoint_disable(actor=request.user, endpoint=endpoint, request=request)
    messages.success(request, f"{endpoint.url} is disabled: nothing is sent to it.")
    return redirect("webhooks:detail", public_id=endpoint.public_id)


@administrator_required
@require_POST
def endpoint_enable(request, public_id):
    endpoint = webhook_endpoint_get(request.user, public_id)
    services.webhook_endpoint_enable(actor=request.user, endpoint=endpoint, request=request)
    messages.success(
        request,
        f"{endpoint.url} is enabled: new events are sent to it. Deliveries that failed while "
        "it was disabled are sent again only if you redeliver them.",
    )
    return redirect("webhooks:detail", public_id=endpoint.public_id)


@administrator_required
@require_http_methods(["GET", "HEAD", "POST"])
def endpoint_delete(request, public_id):
    endpoint = webhook_endpoint_get(request.user, public_id)
    if request.method == "POST":
        services.webhook_endpoint_delete(actor=request.user, endpoint=endpoint, request=request)
        messages.success(request, f"{endpoint.url} is deleted, with its deliveries.")
        return redirect("webhooks:list")
    return render(request, "webhooks/delete.html", {"endpoint": endpoint})
