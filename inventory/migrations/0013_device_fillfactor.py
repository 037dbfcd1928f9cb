"""Room on every page of the Devices table for new versions of its rows (PostgreSQL).

A load that changes a Device's SMI status, date or model (columns no index holds) can then
write the new version on the row's own page as a heap-only tuple: no entry in any of the
table's six indexes, one page written instead of seven. With the pages packed full, as a
``COPY`` into the table leaves them, every such update moved the row to another page and
inserted it into every index. Pages written before this migration keep no room until the
table is rewritten (``VACUUM FULL inventory_device``, or a first load into the empty table).
"""

from django.db import migrations

FILLFACTOR = 90


def set_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE inventory_device SET (fillfactor = {FILLFACTOR})")


def reset_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE inventory_device RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("inventory", "0012_accounts_moved_out")]

    operations = [migrations.RunPython(set_fillfactor, reset_fillfactor)]
