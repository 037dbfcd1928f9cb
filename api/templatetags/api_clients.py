"""How an API client's scopes and addresses read on its Supplier's pages."""

from django import template

from ..models import ApiClient, ApiScope

register = template.Library()


@register.filter
def scope_words(client: ApiClient) -> list[str]:
    """The client's scopes in words, in the order the scopes are listed everywhere."""
    return [scope.label for scope in ApiScope if scope.value in client.scope_set]


@register.filter
def address_lines(client: ApiClient) -> list[str]:
    return [line.strip() for line in client.source_addresses.splitlines() if line.strip()]
