"""Suppliers and their contact addresses, for the DCC helpdesk and the portal's operators."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AdminEmailInputWidget
from django.core.exceptions import PermissionDenied
from django.db import models
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.html import format_html

from ssi_portal.lib.identifiers import IdentifierError, device_id_or_none, parse_device_id

from .. import services
from ..forms.users import FirstAdministratorForm
from ..models import Supplier, SupplierContact
from ..permissions import is_helpdesk_staff, is_operator
from .log import SecurityLoggedAdmin


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
        url = reverse("admin:accounts_supplier_invite_administrator", args=[obj.pk])
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
                name="accounts_supplier_invite_administrator",
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
            return redirect("admin:accounts_supplier_change", supplier.pk)
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
                return redirect("admin:accounts_supplier_change", supplier.pk)
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
            "admin/accounts/supplier/invite_administrator.html",
            context,
            status=400 if refused else 200,
        )
