from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from inventory.admin_site import PortalAdminSite
from inventory.views_accounts import PortalLoginView

# The default site, registrations and all, behind the portal's login and second factor.
admin.site.__class__ = PortalAdminSite
admin.site.site_header = "SSI Portal — DCC helpdesk"
admin.site.site_title = "SSI Portal admin"
admin.site.index_title = "Incidents, Suppliers and the Smart Metering Inventory"

urlpatterns = [
    path("", include("incidents.urls")),
    path("organisation/users/", include("inventory.urls")),
    path("organisation/", include("notifications.urls")),
    path("accounts/login/", PortalLoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/", include("inventory.urls_accounts")),
    path("admin/", admin.site.urls),
]
