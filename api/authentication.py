"""Bearer tokens of API clients: the call acts as the client's service account.

A token is accepted while it is unexpired and its client is live (not revoked, its service
account active) and the call comes from one of the client's source addresses. The call's
``request.user`` is the service account, so every service and the access helper treat the
client as they treat a person of its Supplier; ``request.api_client`` is the client.
"""

from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from rest_framework import exceptions

from accounts.audit import client_ip
from accounts.models import SecurityEventKind
from accounts.services import security_event_record

from .oauth import client_of
from .services import api_client_touch


class ClientTokenAuthentication(OAuth2Authentication):
    www_authenticate_realm = "ssi-portal"

    def authenticate(self, request):
        # The Django request, not DRF's: the token is read from the header, and oauthlib
        # reads the form body too, which DRF would parse with the view's parsers and refuse
        # (415) before the call is known to be unauthenticated (401).
        found = super().authenticate(request._request)
        if found is None:
            return None
        _, token = found
        client = client_of(token.application)
        if client is None or not client.is_active or not client.user.is_active:
            request.oauth2_error = {"error": "invalid_token"}
            return None
        address = client_ip(request)
        if not client.allows_address(address):
            security_event_record(
                kind=SecurityEventKind.API_REFUSED_ADDRESS,
                actor=client.user,
                request=request,
                reference=f"api-client:{client.pk}",
                detail=f"A call from {address}, which is not one of the client's addresses.",
            )
            raise exceptions.PermissionDenied(
                "This client may not call from this address; its administrators list the "
                "addresses it may call from."
            )
        api_client_touch(client)
        request._request.api_client = client
        return client.user, token
