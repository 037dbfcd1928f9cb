"""Indexes for the lists' sort orders (incidents.selectors.incidents.LIST_ORDERS), one per segment and
side. The status indexes take the id as well and replace the older (Supplier, status, raised)
ones, which they cover: built first, so no moment goes without one."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0010_assignment_disclaimed_index"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="incident",
            index=models.Index(
                fields=["raising_supplier", "status", "-created_at", "-id"],
                name="inc_raiser_status_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="incident",
            index=models.Index(
                fields=["assigned_supplier", "status", "-created_at", "-id"],
                name="inc_assignee_status_idx",
            ),
        ),
        migrations.RemoveIndex(model_name="incident", name="inc_raiser_idx"),
        migrations.RemoveIndex(model_name="incident", name="inc_assignee_idx"),
        migrations.AddIndex(
            model_name="incident",
            index=models.Index(
                condition=~models.Q(status="awaiting_installer"),
                fields=["raising_supplier", "-created_at", "-id"],
                name="inc_raiser_noclock_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="incident",
            index=models.Index(
                condition=~models.Q(status="awaiting_installer"),
                fields=["assigned_supplier", "-created_at", "-id"],
                name="inc_assignee_noclock_idx",
            ),
        ),
    ]
