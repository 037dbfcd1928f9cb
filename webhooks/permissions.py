"""Who may manage a Supplier's webhooks: its administrators (the one "Supplier administrator"
rule of ``accounts.permissions``), and nobody else's. The pages' rule is a decorator."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.utils.cache import patch_cache_control

from accounts.permissions import can_manage_users


def can_manage_webhooks(user) -> bool:
    return can_manage_users(user)


def administrator_required(view):
    """Signed in (else the login page), an administrator of a Supplier (else 403); the answer
    is never stored by a browser or a cache (the pages show signing secrets and the events
    of the Supplier's requests)."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not can_manage_webhooks(request.user):
            raise PermissionDenied("Only your organisation's administrators manage its webhooks.")
        response = view(request, *args, **kwargs)
        patch_cache_control(response, no_store=True, private=True)
        return response

    return wrapped
