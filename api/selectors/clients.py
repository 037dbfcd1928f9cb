"""Reads about a Supplier's API clients."""

from django.db.models import QuerySet
from django.http import Http404

from ..models import ApiClient


def api_clients_of(supplier_id: int | None) -> QuerySet[ApiClient]:
    """Every API client of one organisation, live and revoked, by name, with what its list
    shows (the client id, who created it) in the same query."""
    if not supplier_id:
        return ApiClient.objects.none()
    return (
        ApiClient.objects.filter(supplier_id=supplier_id)
        .select_related("application", "created_by")
        .order_by("name", "pk")
    )


def api_client_get(actor, client_id: int) -> ApiClient:
    """An API client of the actor's organisation; ``Http404`` for anyone else's (missing and
    forbidden look the same)."""
    client = api_clients_of(actor.supplier_id).filter(pk=client_id).first()
    if client is None:
        raise Http404("No such API client in your organisation.")
    return client
