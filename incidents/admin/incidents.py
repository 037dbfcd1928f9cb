"""The DCC helpdesk's view of incidents: search, filter, follow the timeline, reassign; the
incidents' events and the extra non-working days."""

import json
import operator
import re
from functools import reduce

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import connections
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.html import format_html

from accounts.admin.log import SecurityLoggedAdmin
from accounts.admin.site import HostileInputSafeAdminMixin
from accounts.selectors.suppliers import supplier_ids_named
from inventory.admin import EstimatedCountPaginator
from ssi_portal.lib.admin import AccessibleWidgetsMixin, NoSaveWhenReadOnlyMixin
from ssi_portal.lib.identifiers import device_id_or_none
from ssi_portal.lib.media import KeptMedia

from .. import services
from ..forms.incidents import ReassignForm
from ..models import Incident, IncidentEvent, NonWorkingDay, pk_from_reference
from ..permissions import incident_access
from .changelist import COLUMNS, IncidentChangeList
from .filters import BreachedFilter, DateFilter, OverdueFilter, StatusFilter, SupplierListFilter
from .page import ChangeListPage

_SEPARATORS = re.compile(r"[\s:\-]+")
_HEX_DIGITS = re.compile(r"[0-9A-F]+")


class IncidentPaginator(EstimatedCountPaginator):
    """Pages the change list without counting hundreds of thousands of incidents.

    Unfiltered: PostgreSQL's row estimate of the table (see ``EstimatedCountPaginator``).
    Filtered: counted exactly up to ``exact_up_to`` rows (a bounded scan); beyond that, the
    planner's estimate of the filtered query, so "Closed" does not count 400,000 rows on every
    page view. The admin shows the figure as is: past the cap it is approximate.
    """

    exact_up_to = 10_000

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if not queryset.query.where:
            return super().count
        capped = queryset.order_by()[: self.exact_up_to + 1].count()
        if capped <= self.exact_up_to or connections[queryset.db].vendor != "postgresql":
            return capped if capped <= self.exact_up_to else queryset.count()
        plan = json.loads(queryset.order_by().values("pk").explain(format="json"))
        return max(capped, int(plan[0]["Plan"]["Plan Rows"]))


class IncidentEventInline(admin.TabularInline):
    model = IncidentEvent
    fields = (
        "created_at",
        "kind",
        "actor",
        "actor_supplier",
        "from_status",
        "to_status",
        "message",
    )
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("created_at", "id")

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor", "actor_supplier")


@admin.register(Incident)
class IncidentAdmin(NoSaveWhenReadOnlyMixin, admin.ModelAdmin):
    list_display = COLUMNS  # written from values: see changelist.py
    list_filter = (
        ("status", StatusFilter),
        OverdueFilter,
        BreachedFilter,
        ("assigned_supplier", SupplierListFilter),
        ("raising_supplier", SupplierListFilter),
        # Not date_hierarchy: its year links come from a SELECT DISTINCT over every incident
        # on each page view. These ranges are index range scans on created_at.
        ("created_at", DateFilter),
    )
    search_fields = ("device__device_id",)  # shows the search box; see get_search_results
    search_help_text = (
        "Search by reference (INC0000123), Device ID (any spelling), the first digits of a "
        "Device ID, or the name of the raising or assigned Supplier."
    )
    list_select_related = ("device", "raising_supplier", "assigned_supplier")
    # Neither the whole table nor a big filtered list is counted on each page view.
    show_full_result_count = False
    paginator = IncidentPaginator
    ordering = ("-created_at", "-id")
    inlines = [IncidentEventInline]
    fields = (
        "reference_display",
        "public_id",
        "device",
        "status",
        "raising_supplier",
        "raised_by",
        "channel",
        "registration_mpxn",
        "assigned_supplier",
        "notified_at",
        "due_at",
        "reminded_at",
        "breached_at",
        "install_code_held",
        "code_provided_by",
        "code_provided_at",
        "close_outcome",
        "created_at",
        "updated_at",
        "closed_at",
    )
    readonly_fields = fields

    @admin.display(description="Reference", ordering="pk")
    def reference_display(self, obj):
        return obj.reference

    @admin.display(description="Install code")
    def install_code_held(self, obj):
        # The helpdesk sees that a code exists, never the code.
        return "Held (encrypted)" if obj.has_install_code else "None"

    @property
    def media(self):
        # Django's scripts, their tags written once (the change list writes them on each view).
        return KeptMedia.of(super().media)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_changelist(self, request, **kwargs):
        return IncidentChangeList

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        if type(response) is TemplateResponse:
            # The same page, written in Python where page.py covers it.
            response = ChangeListPage(request, response.template_name, response.context_data)
        return response

    def get_search_results(self, request, queryset, search_term):
        # Lookups the indexes serve only, as on the Device admin: a "contains" search would
        # join every incident to its Device (hundreds of milliseconds at national scale).
        term = search_term.strip()
        if not term:
            return queryset, False
        pk = pk_from_reference(term)
        if pk is not None:
            return queryset.filter(pk=pk), False
        canonical = device_id_or_none(term)
        if canonical:
            return queryset.filter(device__device_id=canonical), False
        matches = []
        compact = _SEPARATORS.sub("", term).upper()
        if compact and len(compact) < 16 and _HEX_DIGITS.fullmatch(compact):
            # The first digits of an ID, re-spelt as stored: "00db1" -> "00-DB-1".
            prefix = "-".join(compact[i : i + 2] for i in range(0, len(compact), 2))
            matches.append(Q(device__device_id__startswith=prefix))
        if supplier_ids := supplier_ids_named(term):
            # The Suppliers' ids first (a small table), then the indexed Supplier columns.
            matches.append(
                Q(raising_supplier_id__in=supplier_ids) | Q(assigned_supplier_id__in=supplier_ids)
            )
        if not matches:
            return queryset.none(), False
        return queryset.filter(reduce(operator.or_, matches)), False

    # Given no term, the rows given back unchanged and no duplicates: the change list reads
    # the whole list without asking (common_list.CommonListMixin.get_queryset).
    get_search_results.blank_term_unchanged = True

    def get_urls(self):
        return [
            path(
                "<int:pk>/reassign/",
                self.admin_site.admin_view(self.reassign_view),
                name="incidents_incident_reassign",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        if str(object_id).isascii() and str(object_id).isdigit():
            # Anything else is no incident's key: the admin says it does not exist.
            extra_context["reassign_url"] = reverse(
                "admin:incidents_incident_reassign", args=[object_id]
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def reassign_view(self, request, pk):
        incident = get_object_or_404(
            Incident.objects.select_related("device", "raising_supplier", "assigned_supplier"),
            pk=pk,
        )
        if not (self.has_change_permission(request, incident) and request.user.is_helpdesk):
            raise PermissionDenied
        form = ReassignForm(request.POST or None)
        form.fields["supplier"].queryset = form.fields["supplier"].queryset.exclude(
            pk=incident.raising_supplier_id
        )
        if not incident_access(request.user, incident).reassign:
            messages.error(
                request,
                f"{incident.reference} {incident.status_phrase} and cannot be reassigned.",
            )
            return redirect("admin:incidents_incident_change", incident.pk)
        if request.method == "POST" and form.is_valid():
            try:
                services.incident_reassign(
                    actor=request.user,
                    incident=incident,
                    supplier=form.cleaned_data["supplier"],
                    reason=form.cleaned_data["reason"],
                )
            except services.IncidentError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(
                    request,
                    f"{incident.reference} assigned to {form.cleaned_data['supplier'].name}.",
                )
                return redirect("admin:incidents_incident_change", incident.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Reassign {incident.reference}",
            "incident": incident,
            "form": form,
            "opts": self.model._meta,
            "original": incident,
            # What each Supplier said when it disclaimed the request, newest first: the
            # helpdesk reads it before choosing whom to assign next.
            "disclaimers": incident.events.filter(kind=IncidentEvent.Kind.NOT_INSTALLED)
            .select_related("actor_supplier")
            .order_by("-created_at", "-id"),
        }
        return render(
            request,
            "admin/incidents/incident/reassign.html",
            context,
            status=400 if form.errors else 200,
        )


@admin.register(IncidentEvent)
class IncidentEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "incident_link", "kind", "actor", "actor_supplier", "to_status")
    list_filter = ("kind",)
    list_select_related = ("incident", "actor", "actor_supplier")
    show_full_result_count = False
    readonly_fields = (
        "incident",
        "kind",
        "actor",
        "actor_supplier",
        "from_status",
        "to_status",
        "message",
        "created_at",
    )

    @admin.display(description="Incident")
    def incident_link(self, obj):
        url = reverse("admin:incidents_incident_change", args=[obj.incident_id])
        return format_html('<a href="{}">{}</a>', url, obj.incident.reference)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(NonWorkingDay)
class NonWorkingDayAdmin(
    AccessibleWidgetsMixin, HostileInputSafeAdminMixin, SecurityLoggedAdmin, admin.ModelAdmin
):
    """Extra days that are not Working Days; deadlines set from now on skip them."""

    list_display = ("date", "description", "created_at")
    date_hierarchy = "date"
    search_fields = ("description",)
