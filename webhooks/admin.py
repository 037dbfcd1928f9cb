"""Webhooks in the helpdesk admin: read-only (the endpoints and their secrets are the
Supplier's own), with a Redeliver action on deliveries. No secret is ever shown."""

from django.contrib import admin, messages
from django.utils.text import Truncator

from ssi_portal.lib.admin import NoSaveWhenReadOnlyMixin

from .models import WebhookDelivery, WebhookEndpoint
from .services import webhook_redeliver


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnlyAdmin):
    list_display = ["url", "supplier", "status", "failing_since", "created_at"]
    list_filter = [("disabled_at", admin.EmptyFieldListFilter), "supplier"]
    search_fields = ["url", "supplier__name"]
    list_select_related = ["supplier"]
    fields = [
        "public_id",
        "supplier",
        "url",
        "description",
        "event_types",
        "created_by",
        "created_at",
        "updated_at",
        "rotated_at",
        "previous_secret_expires_at",
        "failing_since",
        "disabled_at",
        "disabled_reason",
    ]
    readonly_fields = fields

    @admin.display(description="Status")
    def status(self, endpoint):
        if endpoint.disabled_at:
            return "Disabled"
        return "Failing" if endpoint.failing_since else "Active"


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(NoSaveWhenReadOnlyMixin, admin.ModelAdmin):
    list_display = [
        "created_at",
        "supplier",
        "event_type",
        "status",
        "attempts",
        "last_status_code",
        "error",
        "delivered_at",
    ]
    list_filter = ["status", "event_type"]
    search_fields = ["message_id", "source", "endpoint__url", "endpoint__supplier__name"]
    list_select_related = ["endpoint__supplier"]
    show_full_result_count = False
    fields = [
        "endpoint",
        "message_id",
        "source",
        "event_type",
        "payload",
        "status",
        "attempts",
        "created_at",
        "next_attempt_at",
        "last_attempt_at",
        "last_status_code",
        "last_error",
        "delivered_at",
    ]
    readonly_fields = fields
    actions = ["redeliver"]

    @admin.display(description="Supplier", ordering="endpoint__supplier__name")
    def supplier(self, delivery):
        return delivery.endpoint.supplier.name

    @admin.display(description="Last error")
    def error(self, delivery):
        return Truncator(delivery.last_error).chars(60)

    @admin.action(description="Redeliver the selected deliveries", permissions=["change"])
    def redeliver(self, request, queryset):
        queued = sum(
            webhook_redeliver(delivery=delivery)
            for delivery in queryset.filter(endpoint__disabled_at__isnull=True)
        )
        skipped = queryset.count() - queued
        messages.info(
            request,
            f"{queued} deliver{'y' if queued == 1 else 'ies'} queued again."
            + (f" {skipped} left alone (endpoint disabled, or being sent)." if skipped else ""),
        )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
