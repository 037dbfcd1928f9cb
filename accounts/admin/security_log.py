"""The security log, read-only."""

from django.contrib import admin

from ..models import SecurityEvent
from .site import HostileInputSafeAdminMixin


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
