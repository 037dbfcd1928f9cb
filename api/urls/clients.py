"""A Supplier's API clients, for its administrators. Mounted at /organisation/api-clients/."""

from django.urls import path

from ..views import clients as views

app_name = "api_clients"

urlpatterns = [
    path("", views.clients_list, name="list"),
    path("new/", views.clients_create, name="create"),
    path("<int:client_id>/", views.clients_detail, name="detail"),
    path("<int:client_id>/rotate/", views.clients_rotate, name="rotate"),
    path("<int:client_id>/revoke/", views.clients_revoke, name="revoke"),
]
