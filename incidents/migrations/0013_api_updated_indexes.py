"""Indexes for the API's "changed since" reads of each side (oldest change first, by an
(updated_at, id) cursor)."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_webhook_security_events"),
        ("incidents", "0012_suppliers_in_accounts"),
        ("inventory", "0012_accounts_moved_out"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="incident",
            index=models.Index(
                fields=["raising_supplier", "updated_at", "id"], name="inc_raiser_updated_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="incident",
            index=models.Index(
                fields=["assigned_supplier", "updated_at", "id"], name="inc_assignee_updated_idx"
            ),
        ),
    ]
