"""The security log and the two-factor devices, taken over from the inventory app.

State only, as 0001: the security log's table keeps its name, constraint, indexes and (on
PostgreSQL) the append-only trigger of inventory 0004; the devices are proxies of django-otp's.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("inventory", "0011_lockout_lifted_security_event"),
        ("otp_static", "0003_add_timestamps"),
        ("otp_totp", "0003_add_timestamps"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="SecurityEvent",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "created_at",
                            models.DateTimeField(default=django.utils.timezone.now, editable=False),
                        ),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("login", "Login"),
                                    ("login_failed", "Login failed"),
                                    ("locked_out", "Locked out"),
                                    ("logout", "Logout"),
                                    ("mfa_enrolled", "Two-factor authentication set up"),
                                    ("mfa_disabled", "Two-factor authentication removed"),
                                    ("backup_codes_regenerated", "Backup codes replaced"),
                                    ("user_invited", "User invited"),
                                    ("user_deactivated", "User deactivated"),
                                    ("user_reactivated", "User reactivated"),
                                    ("roles_changed", "Roles changed"),
                                    ("code_revealed", "Install code revealed"),
                                    ("reassigned", "Incident reassigned"),
                                    ("export", "Data exported"),
                                    ("code_purged", "Install code purged"),
                                    ("raise_refused", "Raise refused: not the registered Supplier"),
                                    ("raise_rate_limited", "Raise refused: rate limit reached"),
                                    ("admin_added", "Added in the admin"),
                                    ("admin_changed", "Changed in the admin"),
                                    ("admin_deleted", "Deleted in the admin"),
                                    ("lockout_lifted", "Lockout lifted"),
                                ],
                                max_length=32,
                            ),
                        ),
                        (
                            "username",
                            models.CharField(
                                blank=True,
                                help_text="The actor's username at the time, or the one a failed login attempt typed.",
                                max_length=150,
                            ),
                        ),
                        (
                            "ip_address",
                            models.GenericIPAddressField(
                                blank=True, null=True, verbose_name="IP address"
                            ),
                        ),
                        ("detail", models.CharField(blank=True, max_length=500)),
                        (
                            "reference",
                            models.CharField(
                                blank=True,
                                help_text="What the event is about, e.g. an incident reference or user:42.",
                                max_length=120,
                            ),
                        ),
                        (
                            "actor",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="security_events",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "actor_supplier",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="security_events",
                                to="accounts.supplier",
                                verbose_name="Supplier",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "inventory_securityevent",
                        "ordering": ["-created_at", "-id"],
                        "indexes": [
                            models.Index(fields=["created_at"], name="security_event_created_idx"),
                            models.Index(
                                fields=["kind", "created_at"], name="security_event_kind_idx"
                            ),
                            models.Index(
                                fields=["actor_supplier", "created_at"],
                                name="security_event_supplier_idx",
                            ),
                            models.Index(fields=["username"], name="security_event_username_idx"),
                            models.Index(fields=["reference"], name="security_event_reference_idx"),
                        ],
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(
                                    (
                                        "kind__in",
                                        [
                                            "login",
                                            "login_failed",
                                            "locked_out",
                                            "logout",
                                            "mfa_enrolled",
                                            "mfa_disabled",
                                            "backup_codes_regenerated",
                                            "user_invited",
                                            "user_deactivated",
                                            "user_reactivated",
                                            "roles_changed",
                                            "code_revealed",
                                            "reassigned",
                                            "export",
                                            "code_purged",
                                            "raise_refused",
                                            "raise_rate_limited",
                                            "admin_added",
                                            "admin_changed",
                                            "admin_deleted",
                                            "lockout_lifted",
                                        ],
                                    )
                                ),
                                name="security_event_kind_valid",
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="SealedTOTPDevice",
                    fields=[],
                    options={
                        "verbose_name": "authenticator app",
                        "proxy": True,
                        "indexes": [],
                        "constraints": [],
                    },
                    bases=("otp_totp.totpdevice",),
                ),
                migrations.CreateModel(
                    name="HashedBackupCodes",
                    fields=[],
                    options={
                        "verbose_name": "backup codes",
                        "verbose_name_plural": "backup codes",
                        "proxy": True,
                        "indexes": [],
                        "constraints": [],
                    },
                    bases=("otp_static.staticdevice",),
                ),
            ],
        ),
    ]
