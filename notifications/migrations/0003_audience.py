"""The outbox knows whom an email is for by a label (``audience``, e.g. "supplier:42"), not by
a foreign key to a Supplier. Existing rows get the label of their Supplier; backwards, the
Supplier comes back from the label."""

from django.db import migrations, models

PREFIX = "supplier:"


def _checks_now(schema_editor):
    # Run the deferred foreign-key checks these UPDATEs queued, so that the ALTER TABLEs
    # after them in this transaction are allowed on PostgreSQL ("pending trigger events").
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def supplier_to_audience(apps, schema_editor):
    notification = apps.get_model("notifications", "Notification")
    supplier_ids = (
        notification.objects.exclude(supplier_id=None)
        .values_list("supplier_id", flat=True)
        .distinct()
    )
    # One UPDATE per Supplier (a few dozen), not one per row.
    for supplier_id in list(supplier_ids):
        notification.objects.filter(supplier_id=supplier_id).update(
            audience=f"{PREFIX}{supplier_id}"
        )
    _checks_now(schema_editor)


def audience_to_supplier(apps, schema_editor):
    notification = apps.get_model("notifications", "Notification")
    labels = (
        notification.objects.filter(audience__startswith=PREFIX)
        .values_list("audience", flat=True)
        .distinct()
    )
    for label in list(labels):
        notification.objects.filter(audience=label).update(
            supplier_id=int(label.removeprefix(PREFIX))
        )
    _checks_now(schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0011_lockout_lifted_security_event"),
        ("notifications", "0002_delivery_schedule_and_supplier"),
    ]

    operations = [
        migrations.AddField(
            model_name="notification",
            name="audience",
            field=models.CharField(
                blank=True,
                help_text="Whom the recipient reads for, e.g. supplier:42; empty for the DCC helpdesk.",
                max_length=64,
            ),
        ),
        migrations.RunPython(supplier_to_audience, audience_to_supplier),
        migrations.AddIndex(
            model_name="notification",
            index=models.Index(fields=["audience", "created_at"], name="notification_audience_idx"),
        ),
        migrations.RemoveIndex(model_name="notification", name="notification_supplier_idx"),
        migrations.RemoveField(model_name="notification", name="supplier"),
    ]
