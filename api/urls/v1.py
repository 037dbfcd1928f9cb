from django.urls import path
from oauth2_provider.views import TokenView

app_name = "api"

urlpatterns = [
    # OAuth 2.0 token endpoint (client credentials only; api.oauth.ClientValidator).
    path("oauth/token/", TokenView.as_view(), name="token"),
]
