"""The admin behind the portal's own login, and behind a verified second factor where required."""

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.contrib.admin.widgets import AutocompleteSelect
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.urls import re_path, reverse
from django.views.generic import RedirectView

from ssi_portal.lib.admin import AutocompleteSelect as SafeAutocompleteSelect

from .app_list import app_list


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

    def get_app_list(self, request, app_label=None):
        # Django's list, kept by what it is built from (app_list.py).
        return app_list(self, request, app_label, super().get_app_list)

    def get_urls(self):
        # Bookmarks made when users, Suppliers and the security log were the inventory's.
        moved = re_path(
            r"^inventory/(?P<rest>(?:user|supplier|suppliercontact|securityevent)/.*)$",
            RedirectView.as_view(url="/admin/accounts/%(rest)s", permanent=True, query_string=True),
        )
        return [moved, *super().get_urls()]


# --- Hostile input on admin pages ---------------------------------------------------------------
# Two places where Django's admin turns a malformed value into a server error rather than a
# refusal; the admins that use them take ``HostileInputSafeAdminMixin``.


class _SafeChangeList(ChangeList):
    """A date-hierarchy year past any date (``?created_at__year=99999999999999999999``) is an
    OverflowError in Django's own check: make it the bad-lookup notice like any other."""

    def get_filters(self, request):
        try:
            return super().get_filters(request)
        except OverflowError as exc:
            raise IncorrectLookupParameters(exc) from exc


class HostileInputSafeAdminMixin:
    """For a ModelAdmin with a date hierarchy or autocomplete fields: malformed values in the
    query string or a posted form are refused, never a server error."""

    def get_changelist(self, request, **kwargs):
        return _SafeChangeList

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        # The portal's autocomplete box shows a value that cannot be a key as nothing chosen.
        if field is not None and type(field.widget) is AutocompleteSelect:
            field.widget.__class__ = SafeAutocompleteSelect
        return field
