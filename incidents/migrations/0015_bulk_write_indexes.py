"""Fewer index entries for each row a bulk upload writes (100,000 for a big file).

Three single-column indexes go, each on a foreign key that another index leads with: an
event's incident (event_incident_idx: incident, created_at), a bulk row's upload (the unique
upload, line) and an assignment's Supplier (assignment_supplier_idx: Supplier, notified_at).
Every read by one of those columns, and the cascade or protection of a delete, is answered by
the index that leads with it.

The index of the Supplier that provided the code (read only when a Supplier is deleted, by its
id) keeps only the rows where it is set, not one for every request raised. The deadlines
across every Supplier keep their index by status and deadline: a partial one of running clocks
only was smaller than each Supplier's own, and the planner read a Supplier's worklist "by
deadline" from it, filtering out every other Supplier's rows and sorting.

The foreign keys change in the migration state only: altering one through the schema editor
drops and re-creates its constraint, which re-checks every row of the table. The database
loses just their four indexes (their names are Django's, derived from the table and
the column)."""

import django.db.models.deletion
from django.db import migrations, models

# Index name: (table, column).
INDEXES = {
    "incidents_incident_code_provided_by_id_f4029e6a": (
        "incidents_incident",
        "code_provided_by_id",
    ),
    "incidents_incidentevent_incident_id_98972806": ("incidents_incidentevent", "incident_id"),
    "incidents_bulkrow_upload_id_6608cb6b": ("incidents_bulkrow", "upload_id"),
    "incidents_assignment_supplier_id_b894ea46": ("incidents_assignment", "supplier_id"),
}


class Migration(migrations.Migration):
    dependencies = [("incidents", "0014_sweep_indexes")]

    operations = [
        migrations.AddIndex(
            model_name="incident",
            index=models.Index(
                condition=models.Q(("code_provided_by__isnull", False)),
                fields=["code_provided_by"],
                name="inc_code_provider_idx",
            ),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="incidentevent",
                    name="incident",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="events",
                        to="incidents.incident",
                    ),
                ),
                migrations.AlterField(
                    model_name="bulkrow",
                    name="upload",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="rows",
                        to="incidents.bulkupload",
                    ),
                ),
                migrations.AlterField(
                    model_name="incident",
                    name="code_provided_by",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="accounts.supplier",
                    ),
                ),
                migrations.AlterField(
                    model_name="assignment",
                    name="supplier",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="assignments",
                        to="accounts.supplier",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    sql=f'DROP INDEX IF EXISTS "{name}"',
                    reverse_sql=f'CREATE INDEX "{name}" ON "{table}" ("{column}")',
                )
                for name, (table, column) in INDEXES.items()
            ],
        ),
    ]
