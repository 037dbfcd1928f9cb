"""The DCC helpdesk's view of Suppliers, their users and the Smart Metering Inventory."""

import re

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AdminEmailInputWidget
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import (
    AdminUserCreationForm,
    ReadOnlyPasswordHashWidget,
    UserChangeForm,
)
from django.core.paginator import Paginator
from django.db import connections, models
from django.db.models import Q
from django.utils.functional import cached_property

from ssi_portal.lib.admin import AccessibleWidgetsMixin

from .identifiers import IdentifierError, device_id_or_none, parse_device_id
from .models import Device, Registration, SecurityEvent, Supplier, SupplierContact, User
from .selectors import supplier_ids_named

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


class SupplierContactInline(admin.TabularInline):
    model = SupplierContact
    extra = 1
    # A table's column heading does not label the box in each row.
    formfield_overrides = {
        models.EmailField: {"widget": AdminEmailInputWidget(attrs={"aria-label": "Email address"})}
    }


@admin.register(Supplier)
class SupplierAdmin(admin.ModelAdmin):
    form = SupplierForm
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


# Fields that grant powers: only a superuser edits them, so that the helpdesk (which may
# change users) cannot make itself or anyone else a superuser.
_POWER_FIELDS = ("is_superuser", "groups", "user_permissions")


@admin.register(User)
class UserAdmin(AccessibleWidgetsMixin, DjangoUserAdmin):
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
        *DjangoUserAdmin.fieldsets[2:],
    )
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

    def get_readonly_fields(self, request, obj=None):
        readonly = tuple(super().get_readonly_fields(request, obj))
        if request.user.is_superuser:
            return readonly
        return readonly + _POWER_FIELDS

    def has_change_permission(self, request, obj=None):
        # Changing a superuser (or its password) is a superuser's job.
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)


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
class DeviceAdmin(AccessibleWidgetsMixin, admin.ModelAdmin):
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
class RegistrationAdmin(admin.ModelAdmin):
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
class SecurityEventAdmin(admin.ModelAdmin):
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
