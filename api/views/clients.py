"""A Supplier's API clients, for its administrators: list, create, change, rotate the secret,
revoke. Nobody sees another organisation's clients here (404), and a Supplier's other users
nothing (403); the DCC helpdesk sees them in the admin.

A secret is shown once, in the answer to the POST that made it, never cached and never put
in a URL or the session: a reload or the back button cannot show it again. Each view checks
access, validates a form, calls one service and maps a refusal to the field it names; the
rules (and the security log) live in ``api.services.clients``.
"""

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_http_methods

from accounts.permissions import can_manage_users, is_helpdesk_staff

from .. import services
from ..forms.clients import ApiClientForm, RotateForm, api_client_initial
from ..selectors.clients import api_client_get, api_clients_of

# The API's documentation, served by the API itself.
DOCS_PATH = "/api/v1/docs/"


def refusal(user) -> str:
    if getattr(user, "supplier_id", None):
        return (
            "Only your organisation's administrators manage its API clients: ask one of them to "
            "create or change a client."
        )
    if is_helpdesk_staff(user) or getattr(user, "is_helpdesk", False):
        return (
            "API clients are managed by each Supplier's administrators; the DCC helpdesk sees "
            "them, and can revoke them, in the admin."
        )
    return "Only a Supplier's administrators manage its API clients."


def administrator_required(view):
    """Signed in (else the login page), and an administrator of a Supplier (else 403)."""

    @wraps(view)
    def guarded(request, *args, **kwargs):
        if not can_manage_users(request.user):
            raise PermissionDenied(refusal(request.user))
        return view(request, *args, **kwargs)

    return login_required(guarded)


def _token_facts(request) -> dict:
    seconds = settings.OAUTH2_PROVIDER["ACCESS_TOKEN_EXPIRE_SECONDS"]
    return {
        "token_url": request.build_absolute_uri(reverse("api:token")),
        "token_minutes": seconds // 60,
        "docs_path": DOCS_PATH,
    }


def _put_on_field(form, exc: services.ApiClientError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


@sensitive_variables("secret")
def _secret_page(request, client, secret: str, *, rotated: bool):
    return render(
        request,
        "api/secret.html",
        {"client": client, "secret": secret, "rotated": rotated, **_token_facts(request)},
    )


@administrator_required
@require_http_methods(["GET", "HEAD"])
def clients_list(request):
    clients = list(api_clients_of(request.user.supplier_id))
    return render(
        request,
        "api/list.html",
        {
            "active": [c for c in clients if c.is_active],
            "revoked": [c for c in clients if not c.is_active],
            **_token_facts(request),
        },
    )


@never_cache
@administrator_required
@require_http_methods(["GET", "HEAD", "POST"])
@sensitive_variables("secret")
def clients_create(request):
    form = ApiClientForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            client, secret = services.api_client_create(
                actor=request.user, request=request, **form.cleaned_data
            )
        except services.ApiClientError as exc:
            _put_on_field(form, exc)
        else:
            messages.success(request, f"API client {client.name} created.")
            return _secret_page(request, client, secret, rotated=False)
    return render(
        request,
        "api/create.html",
        {"form": form, "error_forms": [form] if form.errors else []},
        status=400 if form.errors else 200,
    )


@administrator_required
@require_http_methods(["GET", "HEAD", "POST"])
def clients_detail(request, client_id: int):
    client = api_client_get(request.user, client_id)
    form = ApiClientForm(
        request.POST if request.method == "POST" else None, initial=api_client_initial(client)
    )
    if request.method == "POST" and not client.is_active:
        # Refused whatever is sent: the client as it stands is sent, so that the refusal given
        # is the service's for a revoked client, not one about the fields.
        try:
            services.api_client_update(
                actor=request.user,
                client_id=client.pk,
                request=request,
                **api_client_initial(client),
            )
        except services.ApiClientError as exc:
            messages.error(request, exc.message)
        return redirect("api_clients:detail", client_id=client.pk)
    if request.method == "POST" and form.is_valid():
        try:
            client = services.api_client_update(
                actor=request.user, client_id=client.pk, request=request, **form.cleaned_data
            )
        except services.ApiClientError as exc:
            _put_on_field(form, exc)
        else:
            messages.success(request, f"Changes to {client.name} saved.")
            return redirect("api_clients:detail", client_id=client.pk)
    return render(
        request,
        "api/detail.html",
        {
            "client": client,
            "form": form if client.is_active else None,
            "error_forms": [form] if form.errors else [],
        },
        status=400 if form.errors else 200,
    )


@never_cache
@administrator_required
@require_http_methods(["GET", "HEAD", "POST"])
@sensitive_variables("secret")
def clients_rotate(request, client_id: int):
    client = api_client_get(request.user, client_id)
    form = RotateForm(request.POST if request.method == "POST" else None, client=client)
    # A revoked client's refusal is the service's, whatever the form holds.
    if request.method == "POST" and (not client.is_active or form.is_valid()):
        try:
            client, secret = services.api_client_rotate(
                actor=request.user, client_id=client.pk, request=request
            )
        except services.ApiClientError as exc:
            messages.error(request, exc.message)
            return redirect("api_clients:detail", client_id=client.pk)
        messages.success(request, f"The secret of {client.name} is rotated.")
        return _secret_page(request, client, secret, rotated=True)
    return render(
        request,
        "api/rotate.html",
        {"client": client, "form": form, "error_forms": [form] if form.errors else []},
        status=400 if form.errors else 200,
    )


@administrator_required
@require_http_methods(["GET", "HEAD", "POST"])
def clients_revoke(request, client_id: int):
    client = api_client_get(request.user, client_id)
    if request.method != "POST":
        return render(request, "api/revoke.html", {"client": client})
    if not client.is_active:
        messages.info(request, f"{client.name} was already revoked.")
        return redirect("api_clients:list")
    client = services.api_client_revoke(actor=request.user, client_id=client.pk, request=request)
    messages.success(
        request,
        f"{client.name} is revoked: it gets no more tokens, and the tokens it held no longer work.",
    )
    return redirect("api_clients:list")
