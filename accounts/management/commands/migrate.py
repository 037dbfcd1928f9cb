"""``manage.py migrate`` that first records ``accounts.0001`` on a database made before the
accounts app existed.

Why: Suppliers, contacts and users moved from the inventory app to accounts, and
``AUTH_USER_MODEL`` with them. django-otp's, the admin's and the incidents' migrations depend
on the user model's first migration (``swappable_dependency``), which is now
``accounts.0001``. On a database migrated before the move those migrations are applied while
``accounts.0001`` is not, and Django's consistency check refuses to migrate at all
(``InconsistentMigrationHistory``, the case of changing the user model mid-project, Django
ticket 25313).

Recording ``accounts.0001`` as applied is exactly right, and only when
``inventory.0003_roles_and_security_events`` is applied: ``accounts.0001`` changes no table
(``SeparateDatabaseAndState``, state only), and the state it describes is that of the tables
``inventory_supplier``, ``inventory_suppliercontact`` and ``inventory_user`` as inventory
0001-0003 left them, which inventory 0003 being applied guarantees. It is not recorded on a
new database (nothing is applied yet: migrate runs it in order) nor twice. ``accounts.0002``
and later are not touched: no applied migration depends on them, so they run as usual.

The well-known alternative is an ``INSERT INTO django_migrations`` (or ``migrate --fake``
after removing the check) by hand before deploying; doing it here means a plain
``manage.py migrate`` works on every database, a developer's, CI's or production's.
"""

from django.core.management.commands.migrate import Command as DjangoMigrateCommand
from django.db import connections
from django.db.migrations.recorder import MigrationRecorder

TAKEN_OVER = ("accounts", "0001_initial")
TAKEN_OVER_FROM = ("inventory", "0003_roles_and_security_events")


def record_accounts_takeover(connection) -> bool:
    """Record ``accounts.0001`` as applied where the inventory migration it takes over from is
    applied and it is not; whether it did."""
    recorder = MigrationRecorder(connection)
    if not recorder.has_table():
        return False
    applied = recorder.applied_migrations()
    if TAKEN_OVER_FROM not in applied or TAKEN_OVER in applied:
        return False
    recorder.record_applied(*TAKEN_OVER)
    return True


class Command(DjangoMigrateCommand):
    help = DjangoMigrateCommand.help + (
        " First records accounts.0001 (state only) on a database made before the accounts app."
    )

    def handle(self, *args, **options):
        if record_accounts_takeover(connections[options["database"]]) and options["verbosity"]:
            self.stdout.write(
                "Recorded accounts.0001_initial as applied: its tables are inventory's, "
                "already there."
            )
        return super().handle(*args, **options)
