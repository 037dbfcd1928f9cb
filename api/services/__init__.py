"""Writes of the api app: ``clients`` (a Supplier's API clients, managed by its
administrators)."""

from .clients import (
    ApiClientError,
    api_client_create,
    api_client_revoke,
    api_client_rotate,
    api_client_touch,
    api_client_update,
)

__all__ = [
    "ApiClientError",
    "api_client_create",
    "api_client_revoke",
    "api_client_rotate",
    "api_client_touch",
    "api_client_update",
]
