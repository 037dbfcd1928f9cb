"""A Supplier's API clients: created, changed, rotated and revoked by its administrators.

A client is three rows made and changed together: the service account it acts as
(``accounts.User``, no usable password, roles from the scopes), the OAuth 2.0 application
(django-oauth-toolkit: the client id and the secret, stored hashed) and the :class:`ApiClient`.
The secret is returned once, by :func:`api_client_create` and :func:`api_client_rotate`, and
never stored in the clear or written to a log.
"""

import datetime as dt
import ipaddress
import logging
import secrets

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application, RefreshToken

from accounts.models import SecurityEventKind, Supplier, User
from accounts.permissions import can_manage_users
from accounts.services import security_event_record

from ..models import ApiClient, ApiScope

logger = logging.getLogger(__name__)

NAME_MAX_LENGTH = ApiClient._meta.get_field("name").max_length
MAX_SOURCE_ADDRESSES = 50
# last_used_at is written at most this often per client: a busy client is not one UPDATE a call.
TOUCH_EVERY = dt.timedelta(minutes=1)


class ApiClientError(Exception):
    """A refused change to an API client, with the field it concerns (for the form)."""

    def __init__(self, code: str, message: str, *, field: str | None = None):
        super().__init__(message)
        self.code, self.message, self.field = code, message, field


def _require_admin(actor) -> None:
    if not can_manage_users(actor):
        raise PermissionDenied("Only your organisation's administrators manage its API clients.")


def clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ApiClientError("name_required", "Enter a name for the API client.", field="name")
    if len(name) > NAME_MAX_LENGTH:
        raise ApiClientError(
            "name_too_long",
            f"The name has {len(name)} characters; use at most {NAME_MAX_LENGTH}.",
            field="name",
        )
    return name


def clean_scopes(scopes) -> str:
    chosen = {str(scope).strip() for scope in scopes if str(scope).strip()}
    unknown = sorted(chosen - set(ApiScope.values))
    if unknown:
        raise ApiClientError(
            "unknown_scope",
            f"No such scope: {', '.join(unknown)}. Scopes are {', '.join(ApiScope.values)}.",
            field="scopes",
        )
    if not chosen:
        raise ApiClientError("scopes_required", "Choose at least one scope.", field="scopes")
    return " ".join(scope for scope in ApiScope.values if scope in chosen)


def clean_source_addresses(text: str) -> str:
    """One address or network (CIDR) a line, as stored; ``ApiClientError`` naming the line of
    one that is not."""
    lines = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        try:
            network = ipaddress.ip_network(line, strict=False)
        except ValueError:
            raise ApiClientError(
                "bad_source_address",
                f"Line {number}: {line!r} is not an IP address or network (such as "
                "203.0.113.7 or 203.0.113.0/24).",
                field="source_addresses",
            ) from None
        lines.append(str(network) if network.num_addresses > 1 else str(network.network_address))
    if len(lines) > MAX_SOURCE_ADDRESSES:
        raise ApiClientError(
            "too_many_source_addresses",
            f"{len(lines)} addresses; list at most {MAX_SOURCE_ADDRESSES} (use networks).",
            field="source_addresses",
        )
    return "\n".join(dict.fromkeys(lines))


def _check_name_free(supplier: Supplier, name: str, *, except_pk: int | None = None) -> None:
    taken = ApiClient.objects.filter(supplier=supplier, name__iexact=name, revoked_at=None)
    if except_pk is not None:
        taken = taken.exclude(pk=except_pk)
    existing = taken.values_list("name", flat=True).first()
    if existing is not None:
        raise ApiClientError(
            "name_taken",
            f"Your organisation already has an API client named {existing}.",
            field="name",
        )


def _roles(scopes: str) -> dict:
    chosen = set(scopes.split())
    return {"can_raise": ApiScope.RAISE in chosen, "can_answer": ApiScope.ANSWER in chosen}


def _new_secret() -> str:
    return secrets.token_urlsafe(48)


def api_client_create(
    *, actor, name: str, scopes, source_addresses: str = "", request=None, now=None
) -> tuple[ApiClient, str]:
    """A new API client of the actor's organisation and its secret (shown once).

    ``PermissionDenied`` unless the actor administers a Supplier; ``ApiClientError`` for a
    bad name, scope or address. Writes an ``api_client_created`` security event."""
    _require_admin(actor)
    now = now or timezone.now()
    name, scopes = clean_name(name), clean_scopes(scopes)
    source_addresses = clean_source_addresses(source_addresses)
    secret = _new_secret()
    with transaction.atomic():
        supplier = Supplier.objects.select_for_update().get(pk=actor.supplier_id)
        _check_name_free(supplier, name)
        user = User(
            username=f"api-{secrets.token_hex(12)}",
            first_name=name,
            supplier=supplier,
            is_service_account=True,
            is_supplier_admin=False,
            **_roles(scopes),
        )
        user.set_unusable_password()
        user.save()
        application = Application.objects.create(
            name=f"{supplier.name}: {name}"[:255],
            user=user,
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
            client_secret=secret,  # hashed on save (hash_client_secret)
            hash_client_secret=True,
        )
        client = ApiClient.objects.create(
            supplier=supplier,
            name=name,
            user=user,
            application=application,
            scopes=scopes,
            source_addresses=source_addresses,
            created_by=actor,
            created_at=now,
        )
        security_event_record(
            kind=SecurityEventKind.API_CLIENT_CREATED,
            actor=actor,
            request=request,
            reference=f"api-client:{client.pk}",
            detail=f"{name}: scopes {scopes}.",
            now=now,
        )
    logger.info(
        "API client %s created for supplier %s by user %s", client.pk, supplier.pk, actor.pk
    )
    return client, secret


def _locked_own_client(actor, client_id: int) -> ApiClient:
    client = (
        ApiClient.objects.select_for_update()
        .select_related("user", "application")
        .filter(pk=client_id, supplier_id=actor.supplier_id)
        .first()
    )
    if client is None:
        raise ApiClientError("not_found", "No such API client in your organisation.")
    return client


def _end_tokens(client: ApiClient) -> None:
    RefreshToken.objects.filter(application=client.application).delete()
    AccessToken.objects.filter(application=client.application).delete()


def api_client_update(
    *, actor, client_id: int, name: str, scopes, source_addresses: str = "", request=None, now=None
) -> ApiClient:
    """Rename a client, change its scopes or source addresses. Tokens already issued keep
    the scopes they were issued with until they expire (minutes); a narrowed client's roles
    apply at once."""
    _require_admin(actor)
    now = now or timezone.now()
    name, scopes = clean_name(name), clean_scopes(scopes)
    source_addresses = clean_source_addresses(source_addresses)
    with transaction.atomic():
        client = _locked_own_client(actor, client_id)
        if not client.is_active:
            raise ApiClientError("revoked", f"{client.name} is revoked; it cannot be changed.")
        _check_name_free(client.supplier, name, except_pk=client.pk)
        narrowed = bool(set(client.scopes.split()) - set(scopes.split()))
        client.name, client.scopes, client.source_addresses = name, scopes, source_addresses
        client.save(update_fields=["name", "scopes", "source_addresses"])
        user = client.user
        user.first_name = name
        for field, value in _roles(scopes).items():
            setattr(user, field, value)
        user.save(update_fields=["first_name", "can_raise", "can_answer"])
        if narrowed:  # a token must not keep a scope the client lost
            _end_tokens(client)
        security_event_record(
            kind=SecurityEventKind.API_CLIENT_CHANGED,
            actor=actor,
            request=request,
            reference=f"api-client:{client.pk}",
            detail=f"{name}: scopes {scopes}.",
            now=now,
        )
    return client


def api_client_rotate(*, actor, client_id: int, request=None, now=None) -> tuple[ApiClient, str]:
    """A new secret for the client (shown once); the old one stops working at once and the
    tokens issued with it end."""
    _require_admin(actor)
    now = now or timezone.now()
    secret = _new_secret()
    with transaction.atomic():
        client = _locked_own_client(actor, client_id)
        if not client.is_active:
            raise ApiClientError("revoked", f"{client.name} is revoked; it has no secret.")
        application = client.application
        application.client_secret = secret  # hashed on save
        application.save(update_fields=["client_secret"])
        _end_tokens(client)
        client.rotated_at = now
        client.save(update_fields=["rotated_at"])
        security_event_record(
            kind=SecurityEventKind.API_CLIENT_ROTATED,
            actor=actor,
            request=request,
            reference=f"api-client:{client.pk}",
            detail=f"{client.name}: secret rotated.",
            now=now,
        )
    return client, secret


def api_client_revoke(*, actor, client_id: int, request=None, now=None) -> ApiClient:
    """End a client for good: its tokens end, its secret stops working, its service account
    is deactivated. The row stays for the audit trail."""
    _require_admin(actor)
    now = now or timezone.now()
    with transaction.atomic():
        client = _locked_own_client(actor, client_id)
        if not client.is_active:
            return client
        client.revoked_at = now
        client.save(update_fields=["revoked_at"])
        _end_tokens(client)
        client.user.is_active = False
        client.user.save(update_fields=["is_active"])
        security_event_record(
            kind=SecurityEventKind.API_CLIENT_REVOKED,
            actor=actor,
            request=request,
            reference=f"api-client:{client.pk}",
            detail=f"{client.name}: revoked.",
            now=now,
        )
    return client


def api_client_touch(client: ApiClient, *, now=None) -> None:
    """Record that the client called the API: at most one UPDATE a minute per client."""
    now = now or timezone.now()
    if client.last_used_at is not None and now - client.last_used_at < TOUCH_EVERY:
        return
    ApiClient.objects.filter(pk=client.pk).update(last_used_at=now)
    client.last_used_at = now
