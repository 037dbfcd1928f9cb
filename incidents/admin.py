"""The DCC helpdesk's view of incidents: search, filter, follow the timeline, reassign."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from inventory.identifiers import device_id_or_none

from . import permissions, services
from .forms import ReassignForm
from .models import Incident, IncidentEvent, IncidentStatus, pk_from_reference


class OverdueFilter(admin.SimpleListFilter):
    title = "overdue"
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", "Overdue"), ("no", "Not overdue")]

    def queryset(self, request, queryset):
        overdue = {"status": IncidentStatus.AWAITING_INSTALLER, "due_at__lt": timezone.now()}
        if self.value() == "yes":
            return queryset.filter(**overdue)
        if self.value() == "no":
            return queryset.exclude(**overdue)
        return queryset


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
class IncidentAdmin(admin.ModelAdmin):
    list_display = (
        "reference_display",
        "device",
        "raising_supplier",
        "assigned_supplier",
        "status",
        "due_at",
        "created_at",
    )
    list_filter = ("status", OverdueFilter, "assigned_supplier", "raising_supplier")
    search_fields = ("device__device_id",)
    search_help_text = "Search by reference (INC0000123) or Device ID (any spelling)."
    list_select_related = ("device", "raising_supplier", "assigned_supplier")
    show_full_result_count = False
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")
    inlines = [IncidentEventInline]
    fields = (
        "reference_display",
        "public_id",
        "device",
        "status",
        "raising_supplier",
        "raised_by",
        "assigned_supplier",
        "notified_at",
        "due_at",
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

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_search_results(self, request, queryset, search_term):
        pk = pk_from_reference(search_term)
        if pk is not None:
            return queryset.filter(pk=pk), False
        canonical = device_id_or_none(search_term)
        if canonical:
            return queryset.filter(device__device_id=canonical), False
        return super().get_search_results(request, queryset, search_term)

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
        if not permissions.can_reassign(request.user, incident):
            messages.error(
                request,
                f"{incident.reference} is {incident.get_status_display().lower()} "
                "and cannot be reassigned.",
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
