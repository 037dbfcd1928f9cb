"""The calling client, as it sees itself."""

from rest_framework import serializers


class ClientSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="As the Supplier's administrators named it.")
    client_id = serializers.CharField()
    supplier = serializers.CharField(source="supplier.name", help_text="The client's Supplier.")
    scopes = serializers.ListField(
        child=serializers.CharField(), help_text="The scopes the client may ask for."
    )
    token_scopes = serializers.ListField(
        child=serializers.CharField(), help_text="The scopes of the token this call sent."
    )
    token_expires_at = serializers.DateTimeField()
