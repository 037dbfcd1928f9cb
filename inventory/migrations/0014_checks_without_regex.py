"""The Device ID's and the registration's MPxN CHECK constraints, said without a regular
expression: each is evaluated for every row a load writes, and a regular expression cost
PostgreSQL microseconds a row (SQLite a call back into Python). They accept exactly the values
the regular expressions accepted (``tests/inventory/test_check_constraints.py``):

- ``^([0-9A-F]{2}-){7}[0-9A-F]{2}$``: 23 characters with a hyphen after each pair (``LIKE``),
  nothing but hex digits and hyphens (``LTRIM``, of the bytes on PostgreSQL), and no hyphen
  where a digit belongs (one there would stand at either end or beside another);
- ``^([0-9]{13}|[0-9]{6,10})$``: digits only, 13 of them or 6 to 10.

Adding each constraint checks the stored rows once, under the table's lock."""

import django.db.models.functions.text
import django.db.models.lookups
from django.db import migrations, models

import ssi_portal.lib.sql_checks


class Migration(migrations.Migration):
    dependencies = [("inventory", "0013_device_fillfactor")]

    operations = [
        migrations.RemoveConstraint(model_name="device", name="device_id_canonical"),
        migrations.AddConstraint(
            model_name="device",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ssi_portal.lib.sql_checks.Like(
                        models.F("device_id"), "__-__-__-__-__-__-__-__"
                    ),
                    ssi_portal.lib.sql_checks.OnlyCharacters(
                        models.F("device_id"), "0123456789ABCDEF-"
                    ),
                    models.Q(("device_id__startswith", "-"), _negated=True),
                    models.Q(("device_id__endswith", "-"), _negated=True),
                    models.Q(("device_id__contains", "--"), _negated=True),
                ),
                name="device_id_canonical",
            ),
        ),
        migrations.RemoveConstraint(model_name="registration", name="registration_mpxn_digits"),
        migrations.AddConstraint(
            model_name="registration",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ssi_portal.lib.sql_checks.OnlyCharacters(models.F("mpxn"), "0123456789"),
                    models.Q(
                        django.db.models.lookups.Exact(
                            django.db.models.functions.text.Length(models.F("mpxn")), 13
                        ),
                        django.db.models.lookups.Range(
                            django.db.models.functions.text.Length(models.F("mpxn")), (6, 10)
                        ),
                        _connector="OR",
                    ),
                ),
                name="registration_mpxn_digits",
            ),
        ),
    ]
