"""API clients: a Supplier's back-office systems calling ``/api/v1/`` with OAuth 2.0 client
credentials.

Each client acts as a service account of its Supplier (``accounts.User`` with
``is_service_account``), so every service, access helper, event and security-log row treats
it as it treats a person: the roles follow the scopes (``raise`` gives ``can_raise``,
``answer`` gives ``can_answer``), and the name on the timeline and in the security log is the
client's. The OAuth application (django-oauth-toolkit) holds the client id and the hashed
secret; this row holds what the Supplier's administrators manage.
"""

import ipaddress

from django.conf import settings
from django.db import models
from django.db.models import Q


class ApiScope(models.TextChoices):
    READ = "read", "Read requests, bulk jobs and compliance figures"
    RAISE = "raise", "Raise requests and submit files of raises"
    ANSWER = "answer", "Answer requests and lodge install codes"
    REVEAL = "reveal", "Reveal install codes"


class ApiClient(models.Model):
    supplier = models.ForeignKey(
        "accounts.Supplier", on_delete=models.PROTECT, related_name="api_clients"
    )
    name = models.CharField(max_length=80)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="api_client",
        help_text="The service account the client acts as.",
    )
    application = models.OneToOneField(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
        on_delete=models.PROTECT,
        related_name="api_client",
    )
    # Space-separated, as OAuth 2.0 writes scopes.
    scopes = models.CharField(max_length=100)
    # One address or network (CIDR) a line; empty: any address.
    source_addresses = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="api_clients_created",
    )
    created_at = models.DateTimeField()
    rotated_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["supplier", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["supplier", "name"],
                condition=Q(revoked_at__isnull=True),
                name="api_client_name_unique_while_active",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def client_id(self) -> str:
        return self.application.client_id

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes.split())

    @property
    def networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        return [
            ipaddress.ip_network(line.strip(), strict=False)
            for line in self.source_addresses.splitlines()
            if line.strip()
        ]

    def allows_address(self, address: str | None) -> bool:
        networks = self.networks
        if not networks:
            return True
        if not address:
            return False
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in networks)


class IdempotencyKey(models.Model):
    """The first answer to a POST sent with an ``Idempotency-Key``, kept 24 hours, so that a
    retry with the same key and body gets that answer again instead of acting twice.

    Written in the transaction of the action itself: a concurrent retry with the same key
    waits on the unique index until the first commits (then replays it) or rolls back (then
    acts itself). See ``api.idempotency``.
    """

    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of method, path and body.")
    status_code = models.PositiveSmallIntegerField()
    body = models.BinaryField()
    content_type = models.CharField(max_length=100)
    headers = models.JSONField(default=dict)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "key"], name="idempotency_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.client_id}: {self.key}"
