from django.contrib import admin, messages

from .models import Notification
from .services import notification_retry


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("created_at", "template", "recipient", "status", "attempts", "sent_at")
    list_filter = ("status", "template")
    search_fields = ("recipient", "source")
    show_full_result_count = False
    readonly_fields = (
        "source",
        "template",
        "recipient",
        "context",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "claimed_at",
        "sent_at",
    )
    actions = ["retry"]

    @admin.action(description="Retry the selected failed notifications")
    def retry(self, request, queryset):
        retried = sum(
            notification_retry(notification_id=pk)
            for pk in queryset.filter(status=Notification.Status.FAILED).values_list(
                "pk", flat=True
            )
        )
        messages.info(request, f"{retried} notification(s) queued again.")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
