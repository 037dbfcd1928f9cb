from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

admin.site.site_header = "SSI Portal — DCC helpdesk"
admin.site.site_title = "SSI Portal admin"
admin.site.index_title = "Incidents, Suppliers and the Smart Metering Inventory"

urlpatterns = [
    path("", include("incidents.urls")),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
]
