"""The DCC helpdesk's view of the Smart Metering Inventory and the registration data."""

import re

from django.contrib import admin
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Q
from django.utils.functional import cached_property

from accounts.admin.log import SecurityLoggedAdmin
from accounts.admin.site import HostileInputSafeAdminMixin
from accounts.selectors.suppliers import supplier_ids_named
from ssi_portal.lib.admin import AccessibleWidgetsMixin
from ssi_portal.lib.identifiers import device_id_or_none

from .models import Device, Registration

_SEPARATORS = re.compile(r"[\s:\-]+")
_HEX_DIGITS = re.compile(r"[0-9A-F]+")


class EstimatedCountPaginator(Paginator):
    """Pages an unfiltered list of a big table by PostgreSQL's row estimate.

    ``COUNT(*)`` over an SMI of tens of millions of rows takes seconds on every page view;
    the planner's estimate (kept by autovacuum) is enough to page by. Filtered lists and
    small tables are counted exactly: on PostgreSQL in the same query as the estimate is read
    (the count runs only where the estimate is below ``exact_below``).
    """

    exact_below = 100_000

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        connection = connections[queryset.db]
        if connection.vendor == "postgresql" and not queryset.query.where:
            rows, params = queryset.order_by().values("pk").query.sql_with_params()
            with connection.cursor() as cursor:
                # The subquery is PostgreSQL's InitPlan: run only if the CASE comes to it. The
                # SQL joined in is the ORM's own, its values passed as parameters.
                cursor.execute(
                    "SELECT CASE WHEN reltuples >= %s THEN reltuples::bigint"  # noqa: S608
                    f" ELSE (SELECT COUNT(*) FROM ({rows}) AS page_rows) END"
                    " FROM pg_class WHERE oid = %s::regclass",
                    [self.exact_below, *params, queryset.model._meta.db_table],
                )
                row = cursor.fetchone()
            if row is not None:
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
