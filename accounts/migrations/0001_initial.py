"""Suppliers, their contact addresses and users, taken over from the inventory app.

State only: the tables exist already (inventory 0001-0003 made them; ``db_table`` keeps their
names), so an existing database keeps every row and a new one gets the same schema. Depends on
inventory 0003, after which these three tables have their final columns, and on nothing that
needs django-otp: otp_totp/otp_static/admin 0001 depend on this migration (the user model's
first), so depending on inventory 0007 or 0009 would make a cycle.
"""

import django.contrib.auth.models
import django.contrib.auth.validators
import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("inventory", "0003_roles_and_security_events"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Supplier",
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
                        ("name", models.CharField(max_length=120, unique=True)),
                        (
                            "user_id",
                            models.CharField(
                                help_text="The Party's DCC User ID, e.g. 90-B3-D5-1F-30-00-00-01.",
                                max_length=23,
                                unique=True,
                                verbose_name="EUI-64 User ID",
                            ),
                        ),
                        (
                            "mpid",
                            models.CharField(
                                blank=True,
                                help_text="Electricity market participant ID (4 characters).",
                                max_length=4,
                                verbose_name="MPID",
                            ),
                        ),
                        (
                            "gas_short_code",
                            models.CharField(
                                blank=True,
                                help_text="Gas supplier short code (3 characters).",
                                max_length=3,
                            ),
                        ),
                        (
                            "is_import_supplier",
                            models.BooleanField(
                                default=False, verbose_name="Import Supplier (electricity)"
                            ),
                        ),
                        (
                            "is_gas_supplier",
                            models.BooleanField(default=False, verbose_name="Gas Supplier"),
                        ),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                    ],
                    options={
                        "db_table": "inventory_supplier",
                        "ordering": ["name"],
                        "constraints": [
                            models.UniqueConstraint(
                                condition=models.Q(("mpid", ""), _negated=True),
                                fields=("mpid",),
                                name="supplier_mpid_unique",
                            ),
                            models.UniqueConstraint(
                                condition=models.Q(("gas_short_code", ""), _negated=True),
                                fields=("gas_short_code",),
                                name="supplier_gas_short_code_unique",
                            ),
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="User",
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
                        ("password", models.CharField(max_length=128, verbose_name="password")),
                        (
                            "last_login",
                            models.DateTimeField(blank=True, null=True, verbose_name="last login"),
                        ),
                        (
                            "is_superuser",
                            models.BooleanField(
                                default=False,
                                help_text="Designates that this user has all permissions without explicitly assigning them.",
                                verbose_name="superuser status",
                            ),
                        ),
                        (
                            "username",
                            models.CharField(
                                error_messages={
                                    "unique": "A user with that username already exists."
                                },
                                help_text="Required. 150 characters or fewer. Letters, digits and @/./+/-/_ only.",
                                max_length=150,
                                unique=True,
                                validators=[
                                    django.contrib.auth.validators.UnicodeUsernameValidator()
                                ],
                                verbose_name="username",
                            ),
                        ),
                        (
                            "first_name",
                            models.CharField(blank=True, max_length=150, verbose_name="first name"),
                        ),
                        (
                            "last_name",
                            models.CharField(blank=True, max_length=150, verbose_name="last name"),
                        ),
                        (
                            "email",
                            models.EmailField(
                                blank=True, max_length=254, verbose_name="email address"
                            ),
                        ),
                        (
                            "is_staff",
                            models.BooleanField(
                                default=False,
                                help_text="Designates whether the user can log into this admin site.",
                                verbose_name="staff status",
                            ),
                        ),
                        (
                            "is_active",
                            models.BooleanField(
                                default=True,
                                help_text="Designates whether this user should be treated as active. Unselect this instead of deleting accounts.",
                                verbose_name="active",
                            ),
                        ),
                        (
                            "date_joined",
                            models.DateTimeField(
                                default=django.utils.timezone.now, verbose_name="date joined"
                            ),
                        ),
                        (
                            "is_helpdesk",
                            models.BooleanField(
                                default=False,
                                help_text="Helpdesk staff see every incident and work them in the admin.",
                                verbose_name="DCC helpdesk",
                            ),
                        ),
                        (
                            "is_supplier_admin",
                            models.BooleanField(
                                default=False,
                                help_text="Manages the Supplier's users and the addresses its incident emails go to.",
                                verbose_name="Supplier administrator",
                            ),
                        ),
                        (
                            "can_raise",
                            models.BooleanField(
                                default=True,
                                help_text="Raises Requests for Install Code for the organisation.",
                                verbose_name="May raise requests",
                            ),
                        ),
                        (
                            "can_answer",
                            models.BooleanField(
                                default=True,
                                help_text="Answers the requests assigned to the organisation with install codes.",
                                verbose_name="May answer requests",
                            ),
                        ),
                        (
                            "groups",
                            models.ManyToManyField(
                                blank=True,
                                help_text="The groups this user belongs to. A user will get all permissions granted to each of their groups.",
                                related_name="user_set",
                                related_query_name="user",
                                to="auth.group",
                                verbose_name="groups",
                            ),
                        ),
                        (
                            "user_permissions",
                            models.ManyToManyField(
                                blank=True,
                                help_text="Specific permissions for this user.",
                                related_name="user_set",
                                related_query_name="user",
                                to="auth.permission",
                                verbose_name="user permissions",
                            ),
                        ),
                        (
                            "supplier",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="users",
                                to="accounts.supplier",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "inventory_user",
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(
                                    ("supplier__isnull", True),
                                    ("is_helpdesk", False),
                                    _connector="OR",
                                ),
                                name="user_helpdesk_has_no_supplier",
                            )
                        ],
                    },
                    managers=[
                        ("objects", django.contrib.auth.models.UserManager()),
                    ],
                ),
                migrations.CreateModel(
                    name="SupplierContact",
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
                        ("email", models.EmailField(max_length=254)),
                        (
                            "supplier",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="contacts",
                                to="accounts.supplier",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "inventory_suppliercontact",
                        "ordering": ["email"],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("supplier", "email"), name="supplier_contact_unique"
                            )
                        ],
                    },
                ),
            ],
        ),
    ]
