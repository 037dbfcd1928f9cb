"""API clients in the helpdesk admin: seen and revoked there, created and rotated only by the
Supplier's administrators (the secret is theirs). django-oauth-toolkit's own tables are not
worked by hand: tokens and applications follow the clients."""

from django.contrib import admin
from oauth2_provider.models import (
    get_access_token_model,
    get_application_model,
    get_grant_model,
    get_id_token_model,
    get_refresh_token_model,
)

from .models import ApiClient

for _model in (
    get_application_model(),
    get_access_token_model(),
    get_refresh_token_model(),
    get_id_token_model(),
    get_grant_model(),
):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    list_display = ["name", "supplier", "scopes", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["supplier", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "supplier__name", "application__client_id"]
    list_select_related = ["supplier"]
    fields = [
        "name",
        "supplier",
        "client_id",
        "scopes",
        "source_addresses",
        "created_by",
        "created_at",
        "rotated_at",
        "last_used_at",
        "revoked_at",
    ]
    readonly_fields = fields

    @admin.display(description="Client id")
    def client_id(self, client):
        return client.application.client_id

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
