"""The deadline sweeps' indexes: each batch is the first rows of its partial index in (due_at,
id) order; the digests find a sweep's requests by the stamp it wrote; and the Suppliers' own
single-column indexes go, the lists' indexes leading with each of them.

The two Suppliers' fields change in the migration state only: altering a foreign key through
the schema editor drops and re-creates its constraint, which re-checks every row of the
table. The database loses just the two indexes (their names are Django's, derived from the
table and the column)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

SUPPLIER_INDEXES = {
    "assigned_supplier_id": "incidents_incident_assigned_supplier_id_8d5f9802",
    "raising_supplier_id": "incidents_incident_raising_supplier_id_8af07738",
}


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_webhook_security_events"),
        ("incidents", "0013_api_updated_indexes"),
        ("inventory", "0012_accounts_moved_out"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(model_name="incident", name="inc_escalation_idx"),
        migrations.RemoveIndex(model_name="incident", name="inc_reminder_idx"),
        migrations.AddIndex(
            model_name="incident",
            index=models.Index(
                condition=models.Q(("breached_at__isnull", True), ("status", "awaiting_installer")),
                fields=["due_at", "id"],
                name="inc_escalation_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="incident",
            index=models.Index(
                condition=models.Q(("reminded_at__isnull", True), ("status", "awaiting_installer")),
                fields=["due_at", "id"],
                name="inc_reminder_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="incident",
            index=models.Index(
                condition=models.Q(("breached_at__isnull", False)),
                fields=["breached_at"],
                name="inc_breach_stamp_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="incident",
            index=models.Index(
                condition=models.Q(("reminded_at__isnull", False)),
                fields=["reminded_at"],
                name="inc_reminder_stamp_idx",
            ),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="incident",
                    name="assigned_supplier",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        help_text="Empty while the incident waits on the DCC helpdesk.",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="assigned_incidents",
                        to="accounts.supplier",
                    ),
                ),
                migrations.AlterField(
                    model_name="incident",
                    name="raising_supplier",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="raised_incidents",
                        to="accounts.supplier",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    sql=f'DROP INDEX IF EXISTS "{name}"',
                    reverse_sql=f'CREATE INDEX "{name}" ON "incidents_incident" ("{column}")',
                )
                for column, name in SUPPLIER_INDEXES.items()
            ],
        ),
    ]
