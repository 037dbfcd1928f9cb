"""Sessions move to the portal's own table, whose row also names the signed-in user: each
request reads its session and that user in one query, and a user's sessions are found by index.

The sessions open at the time move with their rows (the user's id read from each one's data),
so nobody is signed out by the deploy; Django's table is left empty. Back, they move the same
way (without the user's column).
"""

import django.db.models.deletion
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.db import migrations, models
from django.utils import timezone

BATCH = 2_000


def _user_id(session_data: str):
    # Django's store: its class name is in the key its data is signed with, as in the portal's.
    user_id = SessionStore().decode(session_data).get(SESSION_KEY)
    try:
        return int(user_id) if user_id is not None else None
    except (TypeError, ValueError):
        return None


def _move(apps, schema_editor, *, source, target, with_user: bool):
    db = schema_editor.connection.alias
    source = apps.get_model(*source)._default_manager.db_manager(db)
    target = apps.get_model(*target)._default_manager.db_manager(db)
    rows = source.filter(expire_date__gt=timezone.now()).values_list(
        "session_key", "session_data", "expire_date"
    )
    batch = []
    for key, data, expire_date in rows.iterator(chunk_size=BATCH):
        extra = {"user_id": _user_id(data)} if with_user else {}
        batch.append(
            target.model(session_key=key, session_data=data, expire_date=expire_date, **extra)
        )
        if len(batch) == BATCH:
            target.bulk_create(batch, ignore_conflicts=True)
            batch = []
    target.bulk_create(batch, ignore_conflicts=True)
    source.all().delete()


def forwards(apps, schema_editor):
    _move(
        apps,
        schema_editor,
        source=("sessions", "Session"),
        target=("accounts", "Session"),
        with_user=True,
    )


def backwards(apps, schema_editor):
    _move(
        apps,
        schema_editor,
        source=("accounts", "Session"),
        target=("sessions", "Session"),
        with_user=False,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_webhook_security_events"),
        ("sessions", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="Session",
            fields=[
                (
                    "session_key",
                    models.CharField(
                        max_length=40, primary_key=True, serialize=False, verbose_name="session key"
                    ),
                ),
                ("session_data", models.TextField(verbose_name="session data")),
                ("expire_date", models.DateTimeField(db_index=True, verbose_name="expire date")),
                (
                    "user",
                    models.ForeignKey(
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "session",
                "verbose_name_plural": "sessions",
                "abstract": False,
            },
        ),
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
