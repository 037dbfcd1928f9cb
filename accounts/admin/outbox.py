"""The outbox's admin page names the Supplier an email went to: the outbox itself knows only
the audience label (``accounts.models.supplier_audience``)."""

from django.contrib import admin
from django.db.models import OuterRef

from notifications.admin import NotificationAdmin
from notifications.models import Notification

from ..models import supplier_name_of_audience


def _with_supplier(fields: tuple[str, ...]) -> tuple[str, ...]:
    return tuple("supplier" if f == "audience" else f for f in fields)


admin.site.unregister(Notification)


@admin.register(Notification)
class SupplierNotificationAdmin(NotificationAdmin):
    list_display = _with_supplier(NotificationAdmin.list_display)
    readonly_fields = _with_supplier(NotificationAdmin.readonly_fields)
    exclude = ("audience",)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(supplier_name=supplier_name_of_audience(OuterRef("audience")))
        )

    @admin.display(description="Supplier", ordering="supplier_name")
    def supplier(self, obj):
        return obj.supplier_name or None
