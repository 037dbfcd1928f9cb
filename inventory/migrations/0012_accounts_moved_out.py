"""Suppliers, users, the security log and the two-factor devices live in the accounts app now.

State only: Devices and registrations point at accounts.Supplier (the same table), and the
models that moved leave inventory's state. No table, row, constraint or index changes.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_security_log_and_devices"),
        ("inventory", "0011_lockout_lifted_security_event"),
        ("notifications", "0003_audience"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="device",
                    name="installing_supplier",
                    field=models.ForeignKey(
                        blank=True,
                        help_text="The Supplier that pre-notified the Device to DCC.",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="prenotified_devices",
                        to="accounts.supplier",
                    ),
                ),
                migrations.AlterField(
                    model_name="registration",
                    name="supplier",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="registrations",
                        to="accounts.supplier",
                    ),
                ),
                migrations.DeleteModel(name="SecurityEvent"),
                migrations.DeleteModel(name="HashedBackupCodes"),
                migrations.DeleteModel(name="SealedTOTPDevice"),
                migrations.DeleteModel(name="User"),
                migrations.DeleteModel(name="SupplierContact"),
                migrations.DeleteModel(name="Supplier"),
            ],
        ),
    ]
