"""The OpenAPI schema and its documentation, served by the portal (Swagger UI from the
drf-spectacular sidecar package: no CDN). Both are public: they describe the API, never a
Supplier's data."""

from django.views.generic import TemplateView
from drf_spectacular.views import SpectacularAPIView


class SchemaView(SpectacularAPIView):
    authentication_classes = []
    permission_classes = []
    throttle_classes = []


class DocsView(TemplateView):
    template_name = "api/docs.html"
