"""The admin behind the portal's own login, and behind a verified second factor where required."""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.urls import reverse


class PortalAdminSite(admin.AdminSite):
    """django-otp's ``OTPAdminSite`` rule where ``SSI_MFA_REQUIRED``: only a session verified
    with a code gets in. Its login page is the portal's, so that no password-only way in exists."""

    def has_permission(self, request):
        return super().has_permission(request) and (
            not settings.SSI_MFA_REQUIRED or request.user.is_verified()
        )

    def login(self, request, extra_context=None):
        user = request.user
        if user.is_authenticated and (user.is_verified() or not settings.SSI_MFA_REQUIRED):
            # Signed in as fully as the portal asks, yet not helpdesk staff: logging in again
            # would not help.
            raise PermissionDenied("Your account cannot use the helpdesk admin.")
        next_url = request.GET.get(REDIRECT_FIELD_NAME) or reverse(
            "admin:index", current_app=self.name
        )
        return redirect_to_login(next_url, login_url=reverse("login"))
