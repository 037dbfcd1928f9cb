"""The embedded default: SQLite, a broker in folders, emails written to files under var/mail.

Everything it needs is made on first use and kept under ``var/`` (``SSI_VAR_DIR``,
git-ignored): the secret key, the install-code key, the database, the broker's folders and
beat's schedule. ``scripts/demo`` runs the web server, a Celery worker and beat on it; no
server (PostgreSQL, Redis) is needed. Never used in production.
"""

import secrets

from .base import *  # noqa: F403
from .base import CELERY_BEAT_SCHEDULE, DATABASES, VAR_DIR, env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _local_secret(name: str, make) -> str:
    path = VAR_DIR / name
    if not path.exists():
        path.write_text(make() + "\n")
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="") or _local_secret(
    "secret-key", lambda: secrets.token_urlsafe(50)
)

if not INSTALL_CODE_KEYS and not INSTALL_CODE_KEYS_FILE:  # noqa: F405
    from ssi_portal.lib.crypto import generate_key

    INSTALL_CODE_KEYS = [_local_secret("install-code.key", generate_key)]

# Emails are written one file each under var/mail/, where someone trying the demo reads them.
MAILERS = {
    "default": {
        "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "OPTIONS": {"file_path": str(VAR_DIR / "mail")},
    }
}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STATIC_ROOT = None

# --- Database: SQLite shared by the web server, the worker and beat -----------------------
# WAL lets pages read while a worker writes (a bulk chunk, a sweep); IMMEDIATE takes the write
# lock when a transaction begins, so two writers queue for it instead of one failing with
# "database is locked" when it upgrades a read; the timeout (seconds) is how long a writer
# waits in that queue, longer than any one transaction of the portal holds the lock.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
        }
    )

# --- Celery: a real worker and beat on a broker kept in folders ---------------------------
# kombu's filesystem transport: each message is a file in var/broker/queue/, taken by the
# worker into var/broker/processed/ (kept there, to look at, until scripts/demo next starts).
# It needs no server and no package beyond kombu (SQLAlchemy's transport would add a locked
# dependency for nothing the demo needs). A worker stopped by scripts/demo gives back the
# message it had not finished (below); one killed outright loses it, and the portal's sweeps
# (outbox, bulk uploads) publish that work again, as after any lost message.
# CELERY_BROKER_URL (e.g. redis://) replaces it.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
BROKER_DIR = VAR_DIR / "broker"
if CELERY_BROKER_URL.startswith("filesystem:"):
    for _folder in ("queue", "processed", "control"):
        (BROKER_DIR / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # One folder both ways: the web server and beat write where the worker reads.
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "store_processed": True,
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        # How often the worker looks in the folder for a message (seconds).
        "polling_interval": 0.5,
    }
    # Nothing in the demo asks a worker anything: no broadcast queues left in the folder.
    CELERY_WORKER_ENABLE_REMOTE_CONTROL = False
# Stopped by scripts/demo (SIGQUIT), the worker lets a running task finish for this long, then
# cancels it and gives its message back to the queue for the next start (a bulk upload resumes
# after its last committed chunk).
CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT = 3.0
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# The sweeps run often enough to be seen: an overdue demo request is escalated, and its
# emails written to var/mail/, within half a minute of the demo starting.
for _entry, _variable, _seconds in (
    ("escalate-overdue-incidents", "SSI_ESCALATION_EVERY_SECONDS", 20),
    ("remind-incidents-due-soon", "SSI_REMINDER_EVERY_SECONDS", 30),
    ("requeue-stale-notifications", "SSI_NOTIFICATION_SWEEP_EVERY_SECONDS", 60),
    ("requeue-stale-bulk-uploads", "SSI_BULK_SWEEP_EVERY_SECONDS", 60),
):
    CELERY_BEAT_SCHEDULE[_entry]["schedule"] = env.int(_variable, default=_seconds)

# A bulk chunk holds SQLite's one write lock while it runs: smaller chunks let the pages' writes
# in between, and move a file's progress bar in steps a person sees.
SSI_BULK_CHUNK_ROWS = env.int("SSI_BULK_CHUNK_ROWS", default=500)

# Keep the demo's console to what a person trying it wants to read.
LOGGING["loggers"].update(  # noqa: F405
    {
        "celery.app.trace": {"level": "WARNING"},
        "kombu.connection": {"level": "ERROR"},
    }
)

# --- Authentication ----------------------------------------------------------
# The demo signs in with a password alone and offers two-factor authentication on the account
# page; production requires it. SSI_MFA_REQUIRED=true tries the production behaviour here.
SSI_MFA_REQUIRED = env.bool("SSI_MFA_REQUIRED", default=False)
