"""Who is calling: the client, its Supplier and scopes. Needs no scope: a client checks its
token and set-up with it."""

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.response import Response

from ..serializers.clients import ClientSerializer
from .base import ApiView


class ClientView(ApiView):
    @extend_schema(
        operation_id="client_get",
        summary="The calling client",
        description="The client the token belongs to, its Supplier and scopes.",
        responses=ClientSerializer,
        examples=[
            OpenApiExample(
                "A back office",
                value={
                    "name": "Billing back office",
                    "client_id": "Zx3…",
                    "supplier": "Gaining Energy",
                    "scopes": ["answer", "raise", "read", "reveal"],
                    "token_scopes": ["raise", "read"],
                    "token_expires_at": "2026-12-02T09:10:00Z",
                },
                response_only=True,
            )
        ],
        tags=["Client"],
    )
    def get(self, request):
        client, token = self.api_client, request.auth
        return Response(
            ClientSerializer(
                {
                    "name": client.name,
                    "client_id": client.client_id,
                    "supplier": client.supplier,
                    "scopes": sorted(client.scope_set),
                    "token_scopes": sorted(token.scope.split()),
                    "token_expires_at": token.expires,
                }
            ).data
        )
