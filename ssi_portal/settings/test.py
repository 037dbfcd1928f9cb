"""Settings for the test suite.

The database is PostgreSQL when ``DATABASE_URL`` names it (CI always does) and SQLite
otherwise; tests that need PostgreSQL-only features say so and skip on SQLite.
"""

import os

os.environ.setdefault("DATABASE_URL", "sqlite:///:memory:")

from .base import *  # noqa: E402,F403
from .base import env  # noqa: E402

# Several suites may share one PostgreSQL server: scripts/test gives each run a test database
# of its own (SSI_TEST_DATABASE_NAME), so one run cannot drop another's tables mid-run.
if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":  # noqa: F405
    _test_name = env.str("SSI_TEST_DATABASE_NAME", default="")
    if _test_name:
        DATABASES["default"].setdefault("TEST", {})["NAME"] = _test_name  # noqa: F405
else:
    # SQLite: a file of this run's own, run as the embedded default runs it (settings.dev: WAL,
    # IMMEDIATE transactions), not Django's shared in-memory database. There a write fails at
    # once ("database table is locked") while another connection reads the same table, so a
    # real worker in a thread would fail its task whenever the test looked at a row meanwhile;
    # in WAL mode readers never block the writer, and a writer waits for another (timeout) as
    # the demo's worker and pages do. The file is the run's own (the process id in its name),
    # beside the demo's database in var/; Django deletes it when the run ends.
    VAR_DIR.mkdir(exist_ok=True)  # noqa: F405
    DATABASES["default"].setdefault("TEST", {})["NAME"] = str(  # noqa: F405
        VAR_DIR / f"test-{os.getpid()}.sqlite3"  # noqa: F405
    )
    DATABASES["default"].setdefault("OPTIONS", {}).update(  # noqa: F405
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
        }
    )

SECRET_KEY = "test-only-secret-key-not-for-any-deployment"  # noqa: S105
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
INSTALL_CODE_KEYS = [
    # Two fixed test keys: the first encrypts, both decrypt (rotation).
    "q0zvI3b4b8VvQ3Jb0k3Zx7o1wKc5b2GxZ8mC0yQe9lE=",
    "m4Jk2yF6yqkqvXxS1fTtJ3nq8v0Pq2o0c6vZ7p2Yw1U=",
]
INSTALL_CODE_KEYS_FILE = ""
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="memory://")
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
PORTAL_BASE_URL = "http://testserver"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
HELPDESK_EMAILS = ["helpdesk@dcc.example"]

# Static files are served from the app folders (no collectstatic in tests).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STATIC_ROOT = None

# --- Authentication ----------------------------------------------------------
# Most tests sign in with client.force_login, which sets no second factor; the two-factor tests
# (tests/accounts) switch the requirement on. Login throttling stays on.
SSI_MFA_REQUIRED = False
# Sessions are saved at most once a minute, as in production (accounts.middleware); a login
# counts as a save, so a page right after force_login writes no session in a pinned count.

# --- Entitlement to raise ------------------------------------------------------
# Test set-ups raise hundreds of requests within a minute of frozen time; the rate-limit tests
# (tests/incidents/test_rate_limits.py) set the limits they exercise. The registration check
# stays at its default (enforce): the personas' Devices are registered to the gaining Supplier.
SSI_RAISE_LIMIT_PER_USER = "off"
SSI_RAISE_LIMIT_PER_SUPPLIER = "off"

# --- Operations ------------------------------------------------------------------
# /metrics answers without a token here; the token tests (tests/operations) set one.
SSI_METRICS_TOKEN = ""
SSI_METRICS_OPEN = True

# --- Webhooks ------------------------------------------------------------------
# Deliveries go to receivers the tests start on 127.0.0.1 over plain http; the SSRF tests
# (tests/webhooks/test_ssrf.py) switch this off to see production's refusals.
SSI_WEBHOOK_ALLOW_LOOPBACK = True
