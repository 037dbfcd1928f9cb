"""Scopes: each operation names the scope its token must hold (``read``, ``raise``,
``answer``, ``reveal``). Who may act on which object is the access helper's
(``incidents.permissions``), asked by the views as the pages ask it."""

from rest_framework.permissions import BasePermission

from .problems import Problem


def view_scopes(view, method: str, request=None) -> tuple[str, ...]:
    """The scopes an operation takes, any one of them enough (none: no scope needed).

    The view's ``required_scopes``: method (or ``"*"``) to a scope, or a tuple of scopes any
    of which will do (an operation whose scope depends on what is sent, e.g. the kind of a
    bulk file). Given the request, a view's ``scope_for(request)`` may name the one it needs.
    """
    if request is not None and hasattr(view, "scope_for"):
        scope = view.scope_for(request)
        if scope is not None:
            return (scope,)
    scopes = getattr(view, "required_scopes", {})
    scope = scopes.get(method) or scopes.get("*")
    if scope is None:
        return ()
    return (scope,) if isinstance(scope, str) else tuple(scope)


class ScopeRequired(BasePermission):
    """The view's ``required_scopes`` (see :func:`view_scopes`)."""

    def has_permission(self, request, view):
        token = request.auth
        if token is None or not getattr(request.user, "is_service_account", False):
            return False
        scopes = view_scopes(view, request.method, request)
        if not scopes or any(token.allow_scopes([scope]) for scope in scopes):
            return True
        raise Problem(
            403,
            "insufficient_scope",
            f"This operation needs the {' or '.join(scopes)} scope; the token was issued "
            "without it.",
        )
