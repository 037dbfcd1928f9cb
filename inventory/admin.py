"""The DCC helpdesk's view of Suppliers, their users and the Smart Metering Inventory."""

import re

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AdminEmailInputWidget
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import (
    AdminUserCreationForm,
    ReadOnlyPasswordHashWidget,
    UserChangeForm,
)
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import connections, models
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.html import format_html
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from ssi_portal.lib.admin import AccessibleWidgetsMixin

from . import (
    admin_lockouts,  # noqa: F401 (django-axes' pages, replaced by the portal's)
    selectors,
    services,
)
from .admin_log import SecurityLoggedAdmin
from .admin_site import HostileInputSafeAdminMixin
from .forms import FirstAdministratorForm
from .identifiers import IdentifierError, device_id_or_none, parse_device_id
from .models import Device, Registration, SecurityEvent, Supplier, SupplierContact, User
from .permissions import is_helpdesk_staff, is_operator
from .selectors import supplier_ids_named

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

    def has_add_permission(self, request):
        return is_operator(request.user) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return is_operator(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return is_operator(request.user) and super().has_delete_permission(request, obj)


_SEPARATORS = re.compile(r"[\s:\-]+")
_HEX_DIGITS = re.compile(r"[0-9A-F]+")


class SupplierForm(forms.ModelForm):
    class Meta:
        model = Supplier
        fields = (
            "name",
            "user_id",
            "mpid",
            "gas_short_code",
            "is_import_supplier",
            "is_gas_supplier",
        )

    def clean_user_id(self):
        try:
            return parse_device_id(self.cleaned_data["user_id"])
        except IdentifierError as exc:
            raise forms.ValidationError(str(exc).replace("Device ID", "User ID")) from exc

    def clean_mpid(self):
        return self.cleaned_data["mpid"].strip().upper()

    def clean_gas_short_code(self):
        return self.cleaned_data["gas_short_code"].strip().upper()


class _OperatorEditsInline:
    """A Supplier's contact addresses are its own: its administrators keep them on the portal's
    "Contact addresses" page. Only an operator edits them here, else the helpdesk could send
    the first administrator's invitation (a password link) to an address it chose."""

    def has_add_permission(self, request, obj=None):
        return is_operator(request.user) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return is_operator(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return is_operator(request.user) and super().has_delete_permission(request, obj)


class SupplierContactInline(_OperatorEditsInline, admin.TabularInline):
    model = SupplierContact
    extra = 1
    # A table's column heading does not label the box in each row.
    formfield_overrides = {
        models.EmailField: {"widget": AdminEmailInputWidget(attrs={"aria-label": "Email address"})}
    }


# What the helpdesk (anyone but an operator) may edit on a Supplier: its name. The EUI-64 User
# ID decides whom an SMI load names as a Device's installing Supplier (who answers with the
# code); the MPID and gas short code decide whom the registration check lets raise (and
# reveal); the roles are the SEC Party's. All are market data, an operator's to change.
_SUPPLIER_HELPDESK_EDITS = ("name",)


class _SupplierDataForOperators:
    """Suppliers, for the helpdesk to read, correct a name and invite a first administrator at
    a registered address. Operators add and delete Suppliers and set their market data and
    contact addresses."""

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        if is_operator(request.user):
            return readonly
        locked = [f for f in SupplierForm._meta.fields if f not in _SUPPLIER_HELPDESK_EDITS]
        return (*readonly, *(f for f in locked if f not in readonly))

    def has_add_permission(self, request):
        return is_operator(request.user) and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        # Deleting a Supplier deletes its contact addresses too.
        return is_operator(request.user) and super().has_delete_permission(request, obj)


@admin.register(Supplier)
class SupplierAdmin(_SupplierDataForOperators, SecurityLoggedAdmin, admin.ModelAdmin):
    form = SupplierForm
    readonly_fields = ("administrators",)
    list_display = (
        "name",
        "mpid",
        "gas_short_code",
        "user_id",
        "is_import_supplier",
        "is_gas_supplier",
    )
    list_filter = ("is_import_supplier", "is_gas_supplier")
    search_fields = ("name", "mpid", "gas_short_code", "user_id")
    search_help_text = "Search by name, MPID, gas short code or EUI-64 User ID (any spelling)."
    inlines = [SupplierContactInline]

    def get_search_results(self, request, queryset, search_term):
        # A User ID pasted in any spelling matches its canonical (upper-case, hyphenated) form.
        user_id = device_id_or_none(search_term)
        if user_id:
            return queryset.filter(user_id=user_id), False
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description="Administrators")
    def administrators(self, obj):
        if obj is None or obj.pk is None:
            return "-"
        url = reverse("admin:inventory_supplier_invite_administrator", args=[obj.pk])
        invited = services.first_admin_invited(obj)
        if invited is not None:
            return format_html(
                '{}, invited, has not chosen a password yet. <a href="{}">Send the invitation '
                "again</a>.",
                invited.username,
                url,
            )
        names = list(
            obj.users.filter(is_active=True, is_supplier_admin=True)
            .order_by("username")
            .values_list("username", flat=True)
        )
        if names:
            return ", ".join(names) + " (they invite the organisation's users)"
        return format_html(
            'None active. <a href="{}">Invite a first administrator of {}</a> at a registered '
            "address.",
            url,
            obj.name,
        )

    def get_urls(self):
        return [
            path(
                "<int:pk>/invite-administrator/",
                self.admin_site.admin_view(self.invite_administrator_view),
                name="inventory_supplier_invite_administrator",
            ),
            *super().get_urls(),
        ]

    def invite_administrator_view(self, request, pk):
        supplier = get_object_or_404(Supplier, pk=pk)
        if not (is_helpdesk_staff(request.user) and self.has_change_permission(request, supplier)):
            raise PermissionDenied
        refusal = services.first_admin_invitation_refusal(supplier)
        invited = services.first_admin_invited(supplier)
        if request.method == "POST" and "again" in request.POST:
            try:
                user = services.supplier_first_admin_invite_again(
                    actor=request.user, supplier_id=supplier.pk, request=request
                )
            except services.AccountError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(
                    request,
                    f"A new invitation is on its way to {user.email}; the earlier link no "
                    "longer works.",
                )
            return redirect("admin:inventory_supplier_change", supplier.pk)
        form = FirstAdministratorForm(request.POST or None, supplier=supplier)
        if request.method == "POST" and refusal is None and form.is_valid():
            try:
                user = services.supplier_first_admin_invite(
                    actor=request.user,
                    supplier_id=supplier.pk,
                    request=request,
                    **form.cleaned_data,
                )
            except services.AccountError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(
                    request,
                    f"{user.username} is invited as the first administrator of {supplier.name}: "
                    f"an email with a link to choose a password is on its way to {user.email}.",
                )
                return redirect("admin:inventory_supplier_change", supplier.pk)
        refused = request.method == "POST" and (refusal is not None or bool(form.errors))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Invite the first administrator of {supplier.name}",
            "supplier": supplier,
            "form": form,
            "refusal": refusal,
            "invited": invited,
            "refused": refused,
            "opts": self.model._meta,
            "original": supplier,
        }
        return render(
            request,
            "admin/inventory/supplier/invite_administrator.html",
            context,
            status=400 if refused else 200,
        )


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
        if obj is None or obj.pk is None or not selectors.user_has_mfa(obj):
            return "Not set up."
        return f"Authenticator app set up; {selectors.backup_codes_left(obj)} backup codes left."

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


class EstimatedCountPaginator(Paginator):
    """Pages an unfiltered list of a big table by PostgreSQL's row estimate.

    ``COUNT(*)`` over an SMI of tens of millions of rows takes seconds on every page view;
    the planner's estimate (kept by autovacuum) is enough to page by. Filtered lists and
    small tables are counted exactly.
    """

    exact_below = 100_000

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        connection = connections[queryset.db]
        if connection.vendor == "postgresql" and not queryset.query.where:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                    [queryset.model._meta.db_table],
                )
                row = cursor.fetchone()
            if row and row[0] >= self.exact_below:
                return int(row[0])
        return super().count


@admin.register(Device)
class DeviceAdmin(
    AccessibleWidgetsMixin, HostileInputSafeAdminMixin, SecurityLoggedAdmin, admin.ModelAdmin
):
    list_display = (
        "device_id",
        "device_type",
        "smi_status",
        "status_effective_date",
        "installing_supplier",
        "mpxn",
    )
    list_filter = ("device_type", "smi_status", "installing_supplier")
    search_fields = ("device_id", "mpxn")  # shows the search box; see get_search_results
    search_help_text = (
        "Search by Device ID (any spelling, or its first digits), exact MPxN or the installing "
        "Supplier's name."
    )
    list_select_related = ("installing_supplier",)
    autocomplete_fields = ("installing_supplier",)
    readonly_fields = ("updated_at",)
    # Counting the whole SMI on every page is too slow; the filtered count is enough.
    show_full_result_count = False
    paginator = EstimatedCountPaginator

    def get_search_results(self, request, queryset, search_term):
        # Exact and prefix lookups only, which the indexes serve: the SMI holds tens of
        # millions of rows, where a "contains" search would read them all.
        term = search_term.strip()
        if not term:
            return queryset, False
        device_id = device_id_or_none(term)
        if device_id:
            return queryset.filter(device_id=device_id), False
        query = Q(mpxn=term)
        compact = _SEPARATORS.sub("", term).upper()
        if compact and len(compact) < 16 and _HEX_DIGITS.fullmatch(compact):
            # The first digits of an ID, re-spelt as stored: "00db1" -> "00-DB-1".
            prefix = "-".join(compact[i : i + 2] for i in range(0, len(compact), 2))
            query |= Q(device_id__startswith=prefix)
        if supplier_ids := supplier_ids_named(term):
            # As the sidebar's Supplier filter does: the indexed column, ids in hand.
            query |= Q(installing_supplier_id__in=supplier_ids)
        return queryset.filter(query), False


@admin.register(Registration)
class RegistrationAdmin(SecurityLoggedAdmin, admin.ModelAdmin):
    """The registration data, for the helpdesk to read when a raise is refused or a request
    cancelled. It comes from the registration services (``manage.py load_registrations``) and
    is not edited by hand."""

    list_display = ("mpxn", "supplier", "effective_from", "effective_to", "updated_at")
    list_filter = ("supplier",)
    list_select_related = ("supplier",)
    search_fields = ("mpxn",)
    search_help_text = "Search by exact MPAN core or MPRN."
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    fields = list_display
    readonly_fields = list_display

    def get_search_results(self, request, queryset, search_term):
        # Exact lookups only, which the unique index serves: there are tens of millions of rows.
        term = search_term.strip()
        return (queryset.filter(mpxn=term) if term else queryset), False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SecurityEvent)
class SecurityEventAdmin(HostileInputSafeAdminMixin, admin.ModelAdmin):
    """The security log, for the helpdesk to read: nobody adds, changes or deletes a row."""

    list_display = (
        "created_at",
        "kind",
        "username",
        "actor_supplier",
        "ip_address",
        "reference",
        "detail",
    )
    list_filter = ("kind", "actor_supplier", "created_at")
    list_select_related = ("actor_supplier",)
    date_hierarchy = "created_at"
    search_fields = ("username", "reference")
    search_help_text = "Search by username (as typed at login, for failures) or reference."
    show_full_result_count = False
    fields = (
        "created_at",
        "kind",
        "actor",
        "username",
        "actor_supplier",
        "ip_address",
        "reference",
        "detail",
    )
    readonly_fields = fields

    def _is_helpdesk(self, request) -> bool:
        return bool(request.user.is_active and request.user.is_staff and request.user.is_helpdesk)

    def has_module_permission(self, request):
        return self._is_helpdesk(request) or super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return self._is_helpdesk(request) or super().has_view_permission(request, obj)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
