"""OAuth 2.0 client credentials for API clients (django-oauth-toolkit), narrowed to ours.

A token is issued only to a client that is not revoked, calling from one of its source
addresses, for scopes it holds (no scope asked: all of them). Tokens live
``ACCESS_TOKEN_EXPIRE_SECONDS`` (minutes); no refresh tokens: a client asks again with its
secret.
"""

from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.scopes import BaseScopes
from oauth2_provider.settings import oauth2_settings

from accounts.audit import client_ip

from .models import ApiClient, ApiScope


class _Meta:
    """A stand-in carrying ``META`` for ``client_ip``, from the headers oauthlib was given
    (django-oauth-toolkit passes the Django request's META as headers)."""

    def __init__(self, headers):
        self.META = {
            "REMOTE_ADDR": headers.get("REMOTE_ADDR", ""),
            "HTTP_X_FORWARDED_FOR": headers.get("HTTP_X_FORWARDED_FOR", ""),
        }


def client_of(application) -> ApiClient | None:
    if application is None:
        return None
    try:
        return application.api_client
    except ApiClient.DoesNotExist:
        return None


class ClientValidator(OAuth2Validator):
    def authenticate_client(self, request, *args, **kwargs):
        if not super().authenticate_client(request, *args, **kwargs):
            return False
        client = client_of(request.client)
        if client is None or not client.is_active or not client.user.is_active:
            return False
        return client.allows_address(client_ip(_Meta(request.headers)))

    def validate_grant_type(self, client_id, grant_type, client, request, *args, **kwargs):
        # Client credentials only, whatever an application row says.
        return grant_type == "client_credentials" and super().validate_grant_type(
            client_id, grant_type, client, request, *args, **kwargs
        )


class ClientScopes(BaseScopes):
    """A client may ask for the scopes its administrators gave it; by default, all of them."""

    def get_all_scopes(self):
        return oauth2_settings.SCOPES

    def get_available_scopes(self, application=None, request=None, *args, **kwargs):
        client = client_of(application)
        return sorted(client.scope_set) if client is not None else []

    def get_default_scopes(self, application=None, request=None, *args, **kwargs):
        return self.get_available_scopes(application, request)


SCOPES = {scope.value: scope.label for scope in ApiScope}
