from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from accounts.admin.site import PortalAdminSite
from accounts.views.account import PortalLoginView
from operations import views as operations_views
from ssi_portal import health

# The default site, registrations and all, behind the portal's login and second factor.
admin.site.__class__ = PortalAdminSite
admin.site.site_header = "SSI Portal — DCC helpdesk"
admin.site.site_title = "SSI Portal admin"
admin.site.index_title = "Incidents, Suppliers and the Smart Metering Inventory"

urlpatterns = [
    path("", include("incidents.urls")),
    path("organisation/users/", include("accounts.urls.users")),
    path("organisation/webhooks/", include("webhooks.urls")),
    path("organisation/api-clients/", include("api.urls.clients")),
    path("organisation/", include("accounts.urls.organisation")),
    path("accounts/login/", PortalLoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/", include("accounts.urls.account")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("api.urls.v1")),
    path("operations/", include("operations.urls")),
    path("metrics", operations_views.metrics, name="metrics"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
]

# Under /api/ a missing page or a failure is a problem (RFC 9457), as every answer there.
handler404 = "api.views.errors.page_not_found"
handler500 = "api.views.errors.server_error"
