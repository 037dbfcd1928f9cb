"""Scopes: each operation names the scope its token must hold (``read``, ``raise``,
``answer``, ``reveal``). Who may act on which object is the access helper's
(``incidents.permissions``), asked by the views as the pages ask it."""

from rest_framework.permissions import BasePermission

from .problems import Problem


class ScopeRequired(BasePermission):
    """The view's ``required_scopes``: a dict of method (or ``"*"``) to scope."""

    def has_permission(self, request, view):
        token = request.auth
        if token is None or not getattr(request.user, "is_service_account", False):
            return False
        scopes = getattr(view, "required_scopes", {})
        scope = scopes.get(request.method) or scopes.get("*")
        if scope is None:
            return True
        if not token.allow_scopes([scope]):
            raise Problem(
                403,
                "insufficient_scope",
                f"This operation needs the {scope} scope; the token was issued without it.",
            )
        return True
