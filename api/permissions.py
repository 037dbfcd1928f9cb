"""Scopes: each operation names the scope its token must hold (``read``, ``raise``,
``answer``, ``reveal``), or a tuple of scopes any one of which will do. Who may act on which
object is the access helper's (``incidents.permissions``), asked by the views as the pages ask
it."""

from rest_framework.permissions import BasePermission

from .problems import Problem

Scope = str | tuple[str, ...]

# The scope of each action on a request, by the access helper's name for it
# (``incident_access(user, incident).of(name)``): the action's operation requires it, and a
# request lists among its ``actions`` only those the token's scopes allow.
ACTION_SCOPES: dict[str, Scope] = {
    "answer": "answer",
    "not_installed": "answer",
    "reveal": "reveal",
    "code_failed": "raise",
    "close": "raise",
    # Both sides write notes: the raiser's systems hold raise, the installer's answer.
    "note": ("raise", "answer"),
}


def scopes_of(scope: Scope) -> tuple[str, ...]:
    return (scope,) if isinstance(scope, str) else tuple(scope)


def scope_allowed(token, scope: Scope) -> bool:
    """Whether the token holds the scope, or one of a tuple of scopes."""
    return any(token.allow_scopes([one]) for one in scopes_of(scope))


def view_scope(view, method: str) -> Scope | None:
    """The scope the view's ``required_scopes`` names for ``method`` (or ``"*"``)."""
    scopes = getattr(view, "required_scopes", {})
    return scopes.get(method) or scopes.get("*")


class ScopeRequired(BasePermission):
    """The view's ``required_scopes``: a dict of method (or ``"*"``) to a scope, or to a tuple
    of scopes meaning any one of them."""

    def has_permission(self, request, view):
        token = request.auth
        if token is None or not getattr(request.user, "is_service_account", False):
            return False
        scope = view_scope(view, request.method)
        if hasattr(view, "scope_for"):
            # A view whose scope depends on what is sent (a bulk file's kind) names the one
            # this call needs; without one, the required_scopes' any-of stands.
            scope = view.scope_for(request) or scope
        if scope is None:
            return True
        if not scope_allowed(token, scope):
            names = " or the ".join(scopes_of(scope))
            raise Problem(
                403,
                "insufficient_scope",
                f"This operation needs the {names} scope; the token was issued without it.",
            )
        return True
