"""On PostgreSQL, refuse every UPDATE and DELETE of a security event, from any client.

``SecurityEvent.save()`` and its queryset already refuse changes from the portal; the trigger
holds the rule for SQL sent any other way (a shell, a script, a compromised process). TRUNCATE
is left alone: it is how the test suite empties tables, and it needs the table owner's rights.
SQLite (the demo) has no trigger: the log there is a convenience, not evidence.
"""

from django.db import migrations

CREATE = [
    """
CREATE OR REPLACE FUNCTION inventory_security_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'inventory_securityevent is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql
""",
    """
CREATE TRIGGER inventory_security_event_append_only
    BEFORE UPDATE OR DELETE ON inventory_securityevent
    FOR EACH ROW EXECUTE FUNCTION inventory_security_event_append_only()
""",
]

DROP = [
    "DROP TRIGGER IF EXISTS inventory_security_event_append_only ON inventory_securityevent",
    "DROP FUNCTION IF EXISTS inventory_security_event_append_only()",
]


def _on_postgresql(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                # No parameters: the "%" of RAISE is PL/pgSQL's, not a placeholder.
                schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0003_roles_and_security_events"),
    ]

    operations = [
        migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP), elidable=False),
    ]
