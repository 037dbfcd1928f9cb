"""Users and groups, for the DCC helpdesk and the portal's operators."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import (
    AdminUserCreationForm,
    ReadOnlyPasswordHashWidget,
    UserChangeForm,
)
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from ssi_portal.lib.admin import AccessibleWidgetsMixin

from .. import services
from ..models import User
from ..permissions import is_helpdesk_staff, is_operator
from ..selectors.mfa import backup_codes_left, user_has_mfa
from .log import SecurityLoggedAdmin
from .site import HostileInputSafeAdminMixin

# The helpdesk never enrols or removes anyone's authenticator or backup codes, and does not set
# permissions: django-otp's device pages are not served (the user page says what a user has,
# and "require a new enrolment" removes it, logged), and groups are an operator's to change.
for _model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(SecurityLoggedAdmin, DjangoGroupAdmin):
    """Groups grant permissions: only an operator adds, changes or deletes one, else the
    helpdesk could give itself (or anyone) any power."""

    # Django's two-box picker puts aria-label on a plain <span> (axe: aria-prohibited-attr);
    # the plain multiple select is labelled and works with the keyboard and screen readers.
    filter_horizontal = ()

    def has_add_permission(self, request):
        return is_operator(request.user) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return is_operator(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return is_operator(request.user) and super().has_delete_permission(request, obj)


class _OrganisationFormMixin:
    """The database refuses a helpdesk user with a Supplier; say so on the form instead."""

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("is_helpdesk") and cleaned.get("supplier"):
            raise forms.ValidationError(
                "A DCC helpdesk user belongs to no Supplier: clear the Supplier or untick "
                "DCC helpdesk."
            )
        return cleaned


class _PasswordHashWidget(ReadOnlyPasswordHashWidget):
    """The password's summary without ``disabled``, which HTML allows on form controls only
    (this is a <div>); the field stays disabled, so a posted value is still ignored."""

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"].pop("disabled", None)
        return context


class PortalUserChangeForm(_OrganisationFormMixin, UserChangeForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "password" in self.fields:
            self.fields["password"].widget = _PasswordHashWidget()


class PortalUserCreationForm(_OrganisationFormMixin, AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("username", "email", "supplier", "is_helpdesk")


# What the helpdesk (anyone but an operator) may edit on a user: the names. Not the username
# or address (an invitation goes there), the organisation, the roles, the powers, the password
# or the second factor: with any of them it could act as a Supplier.
_HELPDESK_EDITS = ("first_name", "last_name")
_TWO_FACTOR = ("Two-factor authentication", {"fields": ("two_factor_state",)})


@admin.register(User)
class UserAdmin(
    AccessibleWidgetsMixin, HostileInputSafeAdminMixin, SecurityLoggedAdmin, DjangoUserAdmin
):
    """Users, for the helpdesk to read, correct names, deactivate and require a new two-factor
    enrolment (actions, each logged). Supplier users come from their organisation's
    administrators, or for a first administrator from the invitation on the Supplier's page.
    Operators (superusers who are not helpdesk staff) may do everything."""

    form = PortalUserChangeForm
    add_form = PortalUserCreationForm
    filter_horizontal = ()  # as on groups: a labelled multiple select, not the two-box picker
    fieldsets = (
        *DjangoUserAdmin.fieldsets[:2],
        (
            "Organisation",
            {
                "fields": (
                    "supplier",
                    "is_helpdesk",
                    "is_supplier_admin",
                    "can_raise",
                    "can_answer",
                )
            },
        ),
        _TWO_FACTOR,
        *DjangoUserAdmin.fieldsets[2:],
    )
    actions = ["deactivate_users", "require_new_enrolment"]
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "username",
                    "email",
                    "supplier",
                    "is_helpdesk",
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
    )
    list_display = (
        "username",
        "email",
        "first_name",
        "last_name",
        "supplier",
        "is_helpdesk",
        "is_supplier_admin",
        "is_staff",
        "is_active",
    )
    list_filter = (
        "is_helpdesk",
        "supplier",
        "is_supplier_admin",
        "is_staff",
        "is_superuser",
        "is_active",
        "groups",
    )
    search_fields = ("username", "email", "first_name", "last_name", "supplier__name")
    list_select_related = ("supplier",)
    autocomplete_fields = ("supplier",)

    def get_fieldsets(self, request, obj=None):
        if obj is None or is_operator(request.user):
            return super().get_fieldsets(request, obj)
        # Not the password field: shown read-only it describes the hash and links to the
        # password form.
        (name, options), *rest = self.fieldsets
        fields = tuple("password_state" if f == "password" else f for f in options["fields"])
        return [(name, {**options, "fields": fields}), *rest]

    def get_readonly_fields(self, request, obj=None):
        readonly = (*super().get_readonly_fields(request, obj), "two_factor_state")
        if obj is None or is_operator(request.user):
            return readonly
        shown = [f for _, options in self.get_fieldsets(request, obj) for f in options["fields"]]
        # "password" too, though not shown: else the form would still carry it.
        locked = [f for f in [*shown, "password"] if f not in _HELPDESK_EDITS]
        return (*readonly, *(f for f in locked if f not in readonly))

    def has_add_permission(self, request):
        return is_operator(request.user) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        # Changing a superuser is an operator's job.
        if obj is not None and obj.is_superuser and not is_operator(request.user):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        # The helpdesk deactivates; deleting a user is an operator's job.
        return is_operator(request.user) and super().has_delete_permission(request, obj)

    def has_helpdesk_permission(self, request):
        return is_helpdesk_staff(request.user) and self.has_change_permission(request)

    def user_change_password(self, request, id, form_url=""):
        # Refused outright, not only unlinked: a password the helpdesk chose would let it log
        # in as the user.
        if not is_operator(request.user):
            raise PermissionDenied("Only an operator sets a password in the admin.")
        return super().user_change_password(request, id, form_url)

    @admin.display(description="Password")
    def password_state(self, obj):
        if obj.has_usable_password():
            return "Chosen by the user (never shown)."
        return "None yet: the user chooses one through an invitation's link."

    @admin.display(description="Two-factor authentication")
    def two_factor_state(self, obj):
        if obj is None or obj.pk is None or not user_has_mfa(obj):
            return "Not set up."
        return f"Authenticator app set up; {backup_codes_left(obj)} backup codes left."

    @admin.action(description="Deactivate the selected users", permissions=["helpdesk"])
    def deactivate_users(self, request, queryset):
        self._for_each(
            request,
            queryset,
            services.user_helpdesk_deactivate,
            "Deactivated (they can no longer log in)",
        )

    @admin.action(
        description="Require a new two-factor enrolment of the selected users",
        permissions=["helpdesk"],
    )
    def require_new_enrolment(self, request, queryset):
        self._for_each(
            request,
            queryset,
            services.mfa_helpdesk_reset,
            "Two-factor authentication removed (they set up a new app at their next sign-in)",
        )

    def _for_each(self, request, queryset, service, done: str) -> None:
        """One service call per user (each its own change, logged); refusals are listed."""
        changed = []
        for user in queryset.order_by("username"):
            try:
                service(actor=request.user, user_id=user.pk, request=request)
            except services.AccountError as exc:
                messages.error(request, exc.message)
            else:
                changed.append(user.username)
        if changed:
            messages.success(request, f"{done}: {', '.join(changed)}.")
