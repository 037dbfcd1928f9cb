"""Organisations (Suppliers) and their contact addresses, users and their roles, two-factor
devices, and the security log.

The tables keep the names they had when these models lived in the inventory app
(``db_table``): an existing database moved to this app without copying a row
(migrations ``accounts.0001``/``0002``).
"""

import base64
import binascii

from django.contrib.auth.models import AbstractUser
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.db.models import Q, Subquery, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from ssi_portal.lib.crypto import SecretError, key_ring


class Supplier(models.Model):
    """An energy Supplier (SEC Party) with users in the portal."""

    name = models.CharField(max_length=120, unique=True)
    user_id = models.CharField(
        "EUI-64 User ID",
        max_length=23,
        unique=True,
        help_text="The Party's DCC User ID, e.g. 90-B3-D5-1F-30-00-00-01.",
    )
    mpid = models.CharField(
        "MPID",
        max_length=4,
        blank=True,
        help_text="Electricity market participant ID (4 characters).",
    )
    gas_short_code = models.CharField(
        max_length=3, blank=True, help_text="Gas supplier short code (3 characters)."
    )
    is_import_supplier = models.BooleanField("Import Supplier (electricity)", default=False)
    is_gas_supplier = models.BooleanField("Gas Supplier", default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "inventory_supplier"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["mpid"], condition=~Q(mpid=""), name="supplier_mpid_unique"
            ),
            models.UniqueConstraint(
                fields=["gas_short_code"],
                condition=~Q(gas_short_code=""),
                name="supplier_gas_short_code_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    # A Supplier's text is its name as stored: a list of Suppliers' names (the admin's filters)
    # reads that column alone.
    __str__.text_field = "name"

    @property
    def contact_emails(self) -> list[str]:
        return [c.email for c in self.contacts.all()]

    @property
    def audience(self) -> str:
        return supplier_audience(self.pk)


AUDIENCE_PREFIX = "supplier:"


def supplier_audience(supplier_id: int | None) -> str:
    """The outbox's ``audience`` label of a Supplier's emails ("" for the DCC helpdesk's): the
    "Emails sent to us" page lists the rows with its label."""
    return f"{AUDIENCE_PREFIX}{supplier_id}" if supplier_id else ""


def supplier_name_of_audience(audience) -> Subquery:
    """The name of the Supplier whose label is in the ``audience`` expression (SQL, for a
    list of outbox rows: one subquery on the small Supplier table, no query per row)."""
    label = Concat(Value(AUDIENCE_PREFIX), Cast("pk", models.CharField()))
    return Subquery(
        Supplier.objects.annotate(label=label).filter(label=audience).values("name")[:1]
    )


class SupplierContact(models.Model):
    """An address that receives the Supplier's incident emails."""

    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="contacts")
    email = models.EmailField()

    class Meta:
        db_table = "inventory_suppliercontact"
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(fields=["supplier", "email"], name="supplier_contact_unique"),
        ]

    def __str__(self) -> str:
        return self.email


class User(AbstractUser):
    """A portal user: a member of one Supplier, or DCC helpdesk staff (no Supplier)."""

    supplier = models.ForeignKey(
        Supplier,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
    )
    is_helpdesk = models.BooleanField(
        "DCC helpdesk",
        default=False,
        help_text="Helpdesk staff see every incident and work them in the admin.",
    )
    is_supplier_admin = models.BooleanField(
        "Supplier administrator",
        default=False,
        help_text="Manages the Supplier's users and the addresses its incident emails go to.",
    )
    # Roles the Supplier's administrators give (DOMAIN.md: "Users' organisations nominate who
    # may raise incidents"); accounts.permissions reads them.
    can_raise = models.BooleanField(
        "May raise requests",
        default=True,
        help_text="Raises Requests for Install Code for the organisation.",
    )
    can_answer = models.BooleanField(
        "May answer requests",
        default=True,
        help_text="Answers the requests assigned to the organisation with install codes.",
    )
    # An API client's identity (api.ApiClient): never signs in (no usable password), is not
    # listed among the organisation's people, and its roles follow the client's scopes.
    is_service_account = models.BooleanField(
        "API client",
        default=False,
        help_text="The identity one of the Supplier's API clients acts as.",
    )

    class Meta:
        # The many-to-many tables follow: inventory_user_groups, inventory_user_user_permissions.
        db_table = "inventory_user"
        constraints = [
            models.CheckConstraint(
                condition=Q(supplier__isnull=True) | Q(is_helpdesk=False),
                name="user_helpdesk_has_no_supplier",
            ),
        ]

    @property
    def organisation_name(self) -> str:
        if self.supplier_id:
            return self.supplier.name
        return "DCC helpdesk" if self.is_helpdesk else "No organisation"


class Session(AbstractBaseSession):
    """A session (``SESSION_ENGINE``, ``accounts.sessions``) with the id of its signed-in user:
    each request reads the session and its user in one query, and a user's sessions are found
    by index. No foreign-key constraint: a session saved as its user is deleted must not fail
    (Django retries a failed insert as a clash of keys), and a session of no user is nobody's.
    """

    user = models.ForeignKey(
        User, null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )

    @classmethod
    def get_session_store_class(cls):
        from .sessions import SessionStore

        return SessionStore


class SecurityEventKind(models.TextChoices):
    LOGIN = "login", "Login"
    LOGIN_FAILED = "login_failed", "Login failed"
    LOCKED_OUT = "locked_out", "Locked out"
    LOGOUT = "logout", "Logout"
    MFA_ENROLLED = "mfa_enrolled", "Two-factor authentication set up"
    MFA_DISABLED = "mfa_disabled", "Two-factor authentication removed"
    BACKUP_CODES_REGENERATED = "backup_codes_regenerated", "Backup codes replaced"
    USER_INVITED = "user_invited", "User invited"
    USER_DEACTIVATED = "user_deactivated", "User deactivated"
    USER_REACTIVATED = "user_reactivated", "User reactivated"
    ROLES_CHANGED = "roles_changed", "Roles changed"
    CODE_REVEALED = "code_revealed", "Install code revealed"
    REASSIGNED = "reassigned", "Incident reassigned"
    EXPORT = "export", "Data exported"
    CODE_PURGED = "code_purged", "Install code purged"
    RAISE_REFUSED = "raise_refused", "Raise refused: not the registered Supplier"
    RAISE_RATE_LIMITED = "raise_rate_limited", "Raise refused: rate limit reached"
    ADMIN_ADDED = "admin_added", "Added in the admin"
    ADMIN_CHANGED = "admin_changed", "Changed in the admin"
    ADMIN_DELETED = "admin_deleted", "Deleted in the admin"
    LOCKOUT_LIFTED = "lockout_lifted", "Lockout lifted"
    API_CLIENT_CREATED = "api_client_created", "API client created"
    API_CLIENT_CHANGED = "api_client_changed", "API client changed"
    API_CLIENT_ROTATED = "api_client_rotated", "API client secret rotated"
    API_CLIENT_REVOKED = "api_client_revoked", "API client revoked"
    API_ANSWERED = "api_answered", "Request answered through the API"
    API_CLOSED = "api_closed", "Request closed through the API"
    API_REFUSED_ADDRESS = "api_refused_address", "API call refused: source address"
    WEBHOOK_ADDED = "webhook_added", "Webhook endpoint added"
    WEBHOOK_CHANGED = "webhook_changed", "Webhook endpoint changed"
    WEBHOOK_ROTATED = "webhook_rotated", "Webhook signing secret rotated"
    WEBHOOK_DISABLED = "webhook_disabled", "Webhook endpoint disabled"
    WEBHOOK_ENABLED = "webhook_enabled", "Webhook endpoint enabled"
    WEBHOOK_DELETED = "webhook_deleted", "Webhook endpoint deleted"
    LODGED_CODE_WITHDRAWN = "lodged_code_withdrawn", "Lodged install code withdrawn"


class AppendOnlyError(Exception):
    """A security event was about to be changed or deleted; the log only grows."""


class SecurityEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("Security events cannot be changed.")

    def delete(self):
        raise AppendOnlyError("Security events cannot be deleted.")


class SecurityEvent(models.Model):
    """One entry of the append-only log of security events, which the DCC helpdesk reads.

    Written by ``accounts.services.security_event_record`` only. Never holds a secret: no
    password, code, token or install code, in ``detail`` or anywhere else. Rows are never
    changed or deleted: ``save()`` and the queryset refuse it, and on PostgreSQL a trigger
    (migration inventory.0004) refuses any UPDATE or DELETE, whoever sends it.
    """

    created_at = models.DateTimeField(default=timezone.now, editable=False)
    kind = models.CharField(max_length=32, choices=SecurityEventKind.choices)
    # Who acted: the signed-in user. Empty for a failed login (the attempt's author is unknown;
    # ``username`` says which account it named) and for the system.
    actor = models.ForeignKey(
        "User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="security_events",
    )
    # The organisation concerned: the actor's, or for a failed login that of the account named.
    actor_supplier = models.ForeignKey(
        Supplier,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="security_events",
        verbose_name="Supplier",
    )
    username = models.CharField(
        max_length=150,
        blank=True,
        help_text="The actor's username at the time, or the one a failed login attempt typed.",
    )
    ip_address = models.GenericIPAddressField("IP address", null=True, blank=True)
    detail = models.CharField(max_length=500, blank=True)
    reference = models.CharField(
        max_length=120,
        blank=True,
        help_text="What the event is about, e.g. an incident reference or user:42.",
    )

    objects = SecurityEventQuerySet.as_manager()

    class Meta:
        db_table = "inventory_securityevent"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=SecurityEventKind.values),
                name="security_event_kind_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["created_at"], name="security_event_created_idx"),
            models.Index(fields=["kind", "created_at"], name="security_event_kind_idx"),
            models.Index(
                fields=["actor_supplier", "created_at"], name="security_event_supplier_idx"
            ),
            models.Index(fields=["username"], name="security_event_username_idx"),
            models.Index(fields=["reference"], name="security_event_reference_idx"),
        ]

    def __str__(self) -> str:
        who = self.username or "unknown"
        return f"{self.get_kind_display()} · {who} · {self.created_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("Security events cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Security events cannot be deleted.")


# A TOTP secret sealed with the install-code key ring, as stored in ``TOTPDevice.key``.
SEALED_SECRET_PREFIX = "s1:"  # noqa: S105 (a format marker, not a secret)


class SealedSecretError(Exception):
    """A stored TOTP secret does not open (another user's, or no key in the ring opens it)."""


class SealedTOTPDevice(TOTPDevice):
    """django-otp's authenticator-app device, its secret sealed at rest.

    The secret is a credential like an install code: ``key`` holds it sealed with the
    install-code key ring (AES-256-GCM) and bound to the user (a value copied to another
    user's device does not open), written ``s1:`` + URL-safe base64 (75 characters, inside
    the column's 80). A secret stored in django-otp's own hex form (made before sealing, or
    added in the admin) still works; migration inventory.0007 sealed those there were, and
    ``manage.py reencrypt_install_codes`` re-seals under the newest key.
    """

    class Meta:
        proxy = True
        verbose_name = "authenticator app"

    def seal_context(self) -> bytes:
        return f"totp-secret:user:{self.user_id}".encode()

    @property
    def is_sealed(self) -> bool:
        return self.key.startswith(SEALED_SECRET_PREFIX)

    @property
    def bin_key(self) -> bytes:
        if not self.is_sealed:
            return super().bin_key
        try:
            return key_ring().open(self.sealed_bytes, aad=self.seal_context())
        except (SecretError, ValueError, binascii.Error) as exc:
            raise SealedSecretError(f"The secret of device {self.pk} does not open.") from exc

    @property
    def sealed_bytes(self) -> bytes:
        return base64.urlsafe_b64decode(self.key[len(SEALED_SECRET_PREFIX) :])

    def seal_secret(self) -> None:
        """Seal the secret (the current one, sealed or not) under the newest key; not saved."""
        sealed = key_ring().seal(self.bin_key, aad=self.seal_context())
        self.key = SEALED_SECRET_PREFIX + base64.urlsafe_b64encode(sealed).decode("ascii")

    def verify_token(self, token) -> bool:
        try:
            self.bin_key  # noqa: B018 (a secret that does not open refuses every code)
        except SealedSecretError:
            self.throttle_increment(commit=True)
            return False
        return super().verify_token(token)


def backup_code_digest(code: str) -> str:
    """What is stored of a backup code: 16 hex digits of an HMAC-SHA256 of it keyed with the
    portal's secret key, so the table alone gives no code away (a code has 40 random bits: a
    plain hash could be reversed by trying them all; this one needs the key too)."""
    return salted_hmac("ssi.backup-code", code.strip().lower(), algorithm="sha256").hexdigest()[:16]


class HashedBackupCodes(StaticDevice):
    """django-otp's one-use backup codes, stored as :func:`backup_code_digest` of each code.

    A code is checked by looking up its digest; the match is deleted as django-otp does.
    Codes stored in clear before (8 characters, never 16 hex digits) were replaced by their
    digests in migration inventory.0009. Changing ``SECRET_KEY`` invalidates the stored codes:
    users then make new ones on their account page with their authenticator app.
    """

    class Meta:
        proxy = True
        verbose_name = "backup codes"
        verbose_name_plural = "backup codes"

    def verify_token(self, token) -> bool:
        return super().verify_token(backup_code_digest(str(token)))
