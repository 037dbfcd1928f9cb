"""Two-factor authentication, where required, before any page of the portal or the admin."""

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from .selectors.mfa import user_has_mfa

# The pages a signed-in user reaches before giving a code: those that set one up or end the
# session. Static files never get here (WhiteNoise serves them first).
EXEMPT_VIEWS = frozenset(
    {
        "login",
        "logout",
        "accounts:login_code",
        "accounts:mfa_setup",
        "accounts:mfa_qr",
        "accounts:set_password",
    }
)


class TwoFactorRequiredMiddleware:
    """With ``SSI_MFA_REQUIRED``, a signed-in user whose session no code verified sees only the
    page that sets up an authenticator app (if they have none) or logs in again (if they have
    one: a session begun before they set it up, or elsewhere). Needs ``OTPMiddleware`` before it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not settings.SSI_MFA_REQUIRED:
            return None
        user = request.user
        if not user.is_authenticated or user.is_verified():
            return None
        if request.resolver_match.view_name in EXEMPT_VIEWS:
            return None
        if user_has_mfa(user):
            logout(request)
            return redirect_to_login(request.get_full_path())
        setup = reverse("accounts:mfa_setup")
        if request.method in ("GET", "HEAD"):
            setup += "?" + urlencode({"next": request.get_full_path()})
        return redirect(setup)
