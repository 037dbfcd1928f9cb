from django.urls import path
from oauth2_provider.views import TokenView

from .views import clients, docs

app_name = "api"

urlpatterns = [
    # OAuth 2.0 token endpoint (client credentials only; api.oauth.ClientValidator).
    path("oauth/token/", TokenView.as_view(), name="token"),
    path("schema/", docs.SchemaView.as_view(), name="schema"),
    path("docs/", docs.DocsView.as_view(), name="docs"),
    path("client/", clients.ClientView.as_view(), name="client"),
]
