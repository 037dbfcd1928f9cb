"""A Supplier's webhooks, for its administrators. Mounted at /organisation/webhooks/."""

from django.urls import path

from .views import deliveries, endpoints

app_name = "webhooks"

urlpatterns = [
    path("", endpoints.endpoints_list, name="list"),
    path("add/", endpoints.endpoint_add, name="add"),
    path("<uuid:public_id>/", deliveries.endpoint_detail, name="detail"),
    path("<uuid:public_id>/edit/", endpoints.endpoint_edit, name="edit"),
    path("<uuid:public_id>/secret/", endpoints.endpoint_secret, name="secret"),
    path("<uuid:public_id>/rotate/", endpoints.endpoint_rotate, name="rotate"),
    path("<uuid:public_id>/disable/", endpoints.endpoint_disable, name="disable"),
    path("<uuid:public_id>/enable/", endpoints.endpoint_enable, name="enable"),
    path("<uuid:public_id>/delete/", endpoints.endpoint_delete, name="delete"),
    path(
        "<uuid:public_id>/deliveries/<int:delivery_id>/redeliver/",
        deliveries.delivery_redeliver,
        name="redeliver",
    ),
]
