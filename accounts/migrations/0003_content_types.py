"""The content types of the models that moved from inventory follow them to accounts.

Permissions (``inventory.change_user`` becomes ``accounts.change_user``, still granted to the
same groups and users) and admin log entries point at a content type by id: renaming the row
keeps them all. On a new database there is nothing to rename (content types are made after
migrating), and where an ``accounts`` row already exists the ``inventory`` one is left alone.
"""

from django.db import migrations

MOVED = (
    "supplier",
    "suppliercontact",
    "user",
    "securityevent",
    "sealedtotpdevice",
    "hashedbackupcodes",
)


def relabel(apps, schema_editor, *, old, new):
    content_type = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    taken = set(
        content_type.objects.using(db)
        .filter(app_label=new, model__in=MOVED)
        .values_list("model", flat=True)
    )
    content_type.objects.using(db).filter(app_label=old, model__in=MOVED).exclude(
        model__in=taken
    ).update(app_label=new)


def forwards(apps, schema_editor):
    relabel(apps, schema_editor, old="inventory", new="accounts")


def backwards(apps, schema_editor):
    relabel(apps, schema_editor, old="accounts", new="inventory")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_security_log_and_devices"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
