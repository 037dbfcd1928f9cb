"""The incidents' Suppliers are accounts.Supplier now (same table: state only)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_security_log_and_devices"),
        ("incidents", "0011_list_sort_indexes"),
    ]
    # Before inventory drops its Supplier from the state, which these fields still name.
    run_before = [("inventory", "0012_accounts_moved_out")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="assignment",
                    name="supplier",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="assignments",
                        to="accounts.supplier",
                    ),
                ),
                migrations.AlterField(
                    model_name="bulkupload",
                    name="supplier",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="bulk_uploads",
                        to="accounts.supplier",
                    ),
                ),
                migrations.AlterField(
                    model_name="incident",
                    name="assigned_supplier",
                    field=models.ForeignKey(
                        blank=True,
                        help_text="Empty while the incident waits on the DCC helpdesk.",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="assigned_incidents",
                        to="accounts.supplier",
                    ),
                ),
                migrations.AlterField(
                    model_name="incident",
                    name="code_provided_by",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="accounts.supplier",
                    ),
                ),
                migrations.AlterField(
                    model_name="incident",
                    name="raising_supplier",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="raised_incidents",
                        to="accounts.supplier",
                    ),
                ),
                migrations.AlterField(
                    model_name="incidentevent",
                    name="actor_supplier",
                    field=models.ForeignKey(
                        blank=True,
                        help_text="The actor's organisation at the time; empty for the helpdesk or the system.",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="accounts.supplier",
                    ),
                ),
                migrations.AlterField(
                    model_name="lodgedcode",
                    name="supplier",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="lodged_codes",
                        to="accounts.supplier",
                    ),
                ),
                migrations.AlterField(
                    model_name="raisetally",
                    name="supplier",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="accounts.supplier",
                    ),
                ),
            ],
        ),
    ]
