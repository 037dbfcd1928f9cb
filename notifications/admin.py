from django.contrib import admin, messages
from django.utils.text import Truncator

from ssi_portal.lib.admin import NoSaveWhenReadOnlyMixin

from .models import Notification
from .services import notifications_retry_failed


@admin.register(Notification)
class NotificationAdmin(NoSaveWhenReadOnlyMixin, admin.ModelAdmin):
    """The helpdesk's view of the outbox: failed emails, why they failed, and a retry."""

    list_display = (
        "created_at",
        "template",
        "recipient",
        "audience",
        "status",
        "attempts",
        "error",
        "sent_at",
    )
    list_filter = ("status", "template")
    search_fields = ("recipient", "source")
    show_full_result_count = False
    readonly_fields = (
        "source",
        "template",
        "recipient",
        "audience",
        "context",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "next_attempt_at",
        "claimed_at",
        "sent_at",
    )
    actions = ["retry"]

    @admin.display(description="Last error")
    def error(self, obj):
        return Truncator(obj.last_error).chars(80)

    @admin.action(description="Retry the selected failed notifications", permissions=["change"])
    def retry(self, request, queryset):
        selected = queryset.count()
        retried = notifications_retry_failed(
            notification_ids=queryset.filter(status=Notification.Status.FAILED).values_list(
                "pk", flat=True
            )
        )
        skipped = selected - retried
        messages.info(
            request,
            f"{retried} notification(s) queued again."
            + (f" {skipped} not failed, left as they were." if skipped else ""),
        )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
