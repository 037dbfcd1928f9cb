"""Settings shared by every environment; each value comes from the environment.

``dev`` (the embedded default), ``test`` and ``production`` build on this module.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from ssi_portal.lib.logs import logging_config
from ssi_portal.lib.rates import parse_rate

from .database import database_from_env

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(environ.Env().str("SSI_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
env_file = BASE_DIR / ".env"
if env_file.exists():
    environ.Env.read_env(env_file)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "oauth2_provider",
    # Floors, each importing only from those listed before it (tests/test_layers.py).
    "notifications",
    "accounts",
    "webhooks",
    "inventory",
    "incidents",
    "api",
    "operations",
]

MIDDLEWARE = [
    # First, so every log line of the request, a refusal's included, carries its id.
    "ssi_portal.lib.middleware.RequestIdMiddleware",
    "operations.middleware.RequestMetricsMiddleware",
    # Next, so that under /api/ a refusal of any layer below is a problem (RFC 9457).
    "api.middleware.ApiProblemsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "ssi_portal.lib.middleware.RefuseNulInQueryMiddleware",
    # Django's, saving a session at most once a minute (not on every request) to move its end on.
    "accounts.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # django-otp's, checking the session's second factor without reading its device.
    "accounts.middleware.VerifiedDeviceMiddleware",
    "accounts.middleware.TwoFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "incidents.middleware.NoStoreMiddleware",
    # Last, as django-axes requires: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "ssi_portal.urls"
WSGI_APPLICATION = "ssi_portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
            # Tags every app's templates use live on the lowest floor, not in an app.
            "libraries": {
                "fixed_urls": "ssi_portal.lib.templatetags.fixed_urls",
                "navigation": "ssi_portal.lib.templatetags.navigation",
                "plain_forms": "ssi_portal.lib.templatetags.plain_forms",
                "timestamps": "ssi_portal.lib.templatetags.timestamps",
            },
        },
    },
]

# Directly, behind PgBouncer or through a connection pool: ssi_portal/settings/database.py.
DATABASES = {"default": database_from_env(env, default_url=f"sqlite:///{VAR_DIR}/portal.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "incidents:home"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
# Times are stored in UTC and shown in the time zone of the GB energy market.
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True
# Dates and times read the same in the admin as on the portal's pages: 24-hour clock.
FORMAT_MODULE_PATH = ["ssi_portal.formats"]

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Files a browser asks for at the site's root (/favicon.ico), served by WhiteNoise.
WHITENOISE_ROOT = BASE_DIR / "public"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
# Content Security Policy: the portal's own files only; no inline script or style anywhere.
# data: images are Bootstrap's SVG icons inside its CSS (toggler, select arrow).
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# --- Email -------------------------------------------------------------------
# Django 6.1 mailers. SMTP by default; the embedded default writes files instead.
MAILERS = {
    "default": {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": env.str("EMAIL_HOST", default="localhost"),
            "port": env.int("EMAIL_PORT", default=25),
            "username": env.str("EMAIL_HOST_USER", default="") or None,
            "password": env.str("EMAIL_HOST_PASSWORD", default="") or None,
            "use_tls": env.bool("EMAIL_USE_TLS", default=False),
            "timeout": env.int("EMAIL_TIMEOUT", default=20),
        },
    }
}
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default="SSI Portal <no-reply@ssi-portal.invalid>"
)
# Absolute address of the portal, used for links in emails.
PORTAL_BASE_URL = env.str("PORTAL_BASE_URL", default="http://127.0.0.1:8000")
# Where the DCC helpdesk receives mail about incidents with no Supplier to work them.
HELPDESK_EMAILS = env.list("HELPDESK_EMAILS", default=["helpdesk@dcc.invalid"])

# --- Celery ------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
# Without a broker (the embedded default) tasks run in-process, after the commit that queued them.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
# A task is acknowledged only after it ran, and given back if its worker dies, so no
# notification is lost to a crash; the tasks are idempotent, which makes redelivery safe.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Workers log through LOGGING below (request ids, redaction, JSON in production), not through
# the handler Celery would put on the root logger in its place.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "Europe/London"
# Periodic jobs, run by exactly one `celery beat`. Each is idempotent and safe to overlap.
CELERY_BEAT_SCHEDULE = {
    "escalate-overdue-incidents": {
        "task": "incidents.tasks.escalate_overdue_incidents",
        "schedule": env.int("SSI_ESCALATION_EVERY_SECONDS", default=300),
    },
    "remind-incidents-due-soon": {
        "task": "incidents.tasks.remind_incidents_due_soon",
        "schedule": env.int("SSI_REMINDER_EVERY_SECONDS", default=900),
    },
    "purge-install-codes-of-closed-incidents": {
        "task": "incidents.tasks.purge_install_codes",
        "schedule": env.int("SSI_CODE_PURGE_EVERY_SECONDS", default=6 * 60 * 60),
    },
    "sync-open-incidents-with-smi": {
        "task": "incidents.tasks.sync_open_incidents_with_smi",
        "schedule": env.int("SSI_SMI_SYNC_EVERY_SECONDS", default=3600),
    },
    "requeue-stale-notifications": {
        "task": "notifications.tasks.requeue_stale_notifications",
        "schedule": env.int("SSI_NOTIFICATION_SWEEP_EVERY_SECONDS", default=120),
    },
}

# --- Domain ------------------------------------------------------------------
# Working-day calendar: bank holidays of this country and subdivision (holidays package).
SSI_HOLIDAY_COUNTRY = env.str("SSI_HOLIDAY_COUNTRY", default="GB")
SSI_HOLIDAY_SUBDIVISION = env.str("SSI_HOLIDAY_SUBDIVISION", default="ENG")
SSI_ANSWER_WORKING_DAYS = env.int("SSI_ANSWER_WORKING_DAYS", default=5)
# Install codes are deleted this many days after their request closes (the audit trail stays).
SSI_INSTALL_CODE_RETENTION_DAYS = env.int("SSI_INSTALL_CODE_RETENTION_DAYS", default=30)
# The assigned Supplier is reminded once when this many Working Days are left (today counts).
SSI_REMINDER_WORKING_DAYS = env.int("SSI_REMINDER_WORKING_DAYS", default=1)

# Install codes are encrypted with AES-256-GCM under these keys (base64, newest first).
# Either a list in the environment or a file holding one key a line.
INSTALL_CODE_KEYS = env.list("INSTALL_CODE_KEYS", default=[])
INSTALL_CODE_KEYS_FILE = env.str("INSTALL_CODE_KEYS_FILE", default="")

# Readable lines on stderr, each with its request id and with secrets redacted; production
# writes the same as JSON lines.
LOGGING = logging_config(level=env.str("LOG_LEVEL", default="INFO"))

# --- Notification delivery (delivery.py): the outbox's reliability ----------
from .delivery import *  # noqa: E402,F403

# --- Bulk uploads ------------------------------------------------------------
# CSV files of Device IDs to raise, answers to give, install codes to lodge in advance.
SSI_BULK_MAX_ROWS = env.int("SSI_BULK_MAX_ROWS", default=100_000)
SSI_BULK_MAX_BYTES = env.int("SSI_BULK_MAX_BYTES", default=16 * 1024 * 1024)
# A processing run stops after this long and queues its continuation (well inside
# CELERY_TASK_SOFT_TIME_LIMIT); a file whose runs died this many times is stopped.
SSI_BULK_TASK_SECONDS = env.int("SSI_BULK_TASK_SECONDS", default=120)
SSI_BULK_MAX_ATTEMPTS = env.int("SSI_BULK_MAX_ATTEMPTS", default=5)
# Rows a transaction (one chunk: its results and the upload's counters, the progress a page
# shows). The demo's SQLite takes smaller ones (dev.py): a chunk holds its one write lock.
SSI_BULK_CHUNK_ROWS = env.int("SSI_BULK_CHUNK_ROWS", default=2000)
# Lodged install codes are purged this long after lodging if no request used them.
SSI_LODGED_CODE_RETENTION_DAYS = env.int("SSI_LODGED_CODE_RETENTION_DAYS", default=365)
CELERY_BEAT_SCHEDULE["requeue-stale-bulk-uploads"] = {
    "task": "incidents.tasks.requeue_stale_bulk_uploads",
    "schedule": env.int("SSI_BULK_SWEEP_EVERY_SECONDS", default=120),
}
CELERY_BEAT_SCHEDULE["purge-lodged-codes"] = {
    "task": "incidents.tasks.purge_lodged_codes",
    "schedule": env.int("SSI_LODGED_CODE_PURGE_EVERY_SECONDS", default=24 * 60 * 60),
}

# --- Entitlement to raise ----------------------------------------------------
# Registration data (manage.py load_registrations) names the Supplier registered for each meter
# point. enforce: only the registered Supplier may raise a request for a Device of that meter
# point, and an open request is cancelled when the registration moves away from its raiser;
# warn: the raise goes ahead with a warning on the page and on the timeline (cancellation as
# for enforce); off: registration data is not read.
SSI_REGISTRATION_CHECK = env.str("SSI_REGISTRATION_CHECK", default="enforce").strip().lower()
if SSI_REGISTRATION_CHECK not in ("enforce", "warn", "off"):
    raise ImproperlyConfigured(
        f"SSI_REGISTRATION_CHECK is {SSI_REGISTRATION_CHECK!r}: use enforce, warn or off."
    )
CELERY_BEAT_SCHEDULE["cancel-requests-registration-moved"] = {
    "task": "incidents.tasks.cancel_requests_registration_moved",
    "schedule": env.int("SSI_REGISTRATION_SYNC_EVERY_SECONDS", default=3600),
}
# Rate limits on raising, "N/period" (second, minute, hour, day) over a sliding window, or off.
# Per user: the requests one user raises one at a time through the form. Per Supplier: every
# request the organisation raises, one at a time or in bulk (a bulk file larger than what is
# left is refused at upload).
SSI_RAISE_LIMIT_PER_USER = env.str("SSI_RAISE_LIMIT_PER_USER", default="60/hour")
SSI_RAISE_LIMIT_PER_SUPPLIER = env.str("SSI_RAISE_LIMIT_PER_SUPPLIER", default="200000/day")
CELERY_BEAT_SCHEDULE["purge-raise-tallies"] = {
    "task": "incidents.tasks.purge_raise_tallies",
    "schedule": 24 * 60 * 60,
}
for _name in ("SSI_RAISE_LIMIT_PER_USER", "SSI_RAISE_LIMIT_PER_SUPPLIER"):
    try:
        parse_rate(globals()[_name])
    except ValueError as _exc:
        raise ImproperlyConfigured(f"{_name}: {_exc}") from _exc

# --- Authentication (ssi_portal/settings/authentication.py) ----------------------
from .authentication import *  # noqa: E402,F403

# django-axes reports every login at INFO; lockouts, which matter, come at WARNING.
LOGGING["loggers"]["axes"] = {"level": "WARNING"}

# --- Machine API, webhooks, operations (api.py, webhooks.py, operations.py) ----
from .api import *  # noqa: E402,F403
from .operations import *  # noqa: E402,F403
from .webhooks import *  # noqa: E402,F403

CELERY_BEAT_SCHEDULE.update(API_BEAT_SCHEDULE)  # noqa: F405
CELERY_BEAT_SCHEDULE.update(WEBHOOK_BEAT_SCHEDULE)  # noqa: F405
