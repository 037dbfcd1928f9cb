"""Production: PostgreSQL, Redis, SMTP; refuses to start without its secrets."""

from django.core.checks.security.base import (
    SECRET_KEY_INSECURE_PREFIX,
    SECRET_KEY_MIN_LENGTH,
    SECRET_KEY_MIN_UNIQUE_CHARACTERS,
)
from django.core.exceptions import ImproperlyConfigured

from ssi_portal.lib.logs import JSON_LINES_FORMATTER
from ssi_portal.lib.networks import parse_networks

from .base import *  # noqa: F403
from .base import env
from .database import database_from_env

DEBUG = False
SECRET_KEY = env.str("DJANGO_SECRET_KEY")
# What `check --deploy` calls weak (security.W009) stops start-up here: sessions, password
# reset links and the backup-code digests are only as strong as this key.
if SECRET_KEY.startswith(SECRET_KEY_INSECURE_PREFIX):
    _weakness = f"starts with {SECRET_KEY_INSECURE_PREFIX!r}, the mark of a development key"
elif len(SECRET_KEY) < SECRET_KEY_MIN_LENGTH:
    _weakness = f"has {len(SECRET_KEY)} characters, fewer than {SECRET_KEY_MIN_LENGTH}"
elif len(set(SECRET_KEY)) < SECRET_KEY_MIN_UNIQUE_CHARACTERS:
    _weakness = (
        f"has {len(set(SECRET_KEY))} different characters, fewer than "
        f"{SECRET_KEY_MIN_UNIQUE_CHARACTERS}"
    )
else:
    _weakness = ""
if _weakness:
    raise ImproperlyConfigured(
        f"DJANGO_SECRET_KEY is weak: it {_weakness}. Make a long random one, e.g. with "
        'python -c "import secrets; print(secrets.token_urlsafe(50))".'
    )
# PostgreSQL directly, behind PgBouncer in transaction mode, or through the psycopg pool
# (ssi_portal/settings/database.py); connections kept a minute unless pooled.
DATABASES = {"default": database_from_env(env, conn_max_age=60)}
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL")
CELERY_TASK_ALWAYS_EAGER = False
# One JSON object a line on stderr (time, level, logger, message, request_id, exception), for
# the journal or a log shipper; secrets redacted as everywhere.
LOGGING["formatters"]["portal"] = JSON_LINES_FORMATTER  # noqa: F405

if not INSTALL_CODE_KEYS and not INSTALL_CODE_KEYS_FILE:  # noqa: F405
    raise ImproperlyConfigured("Set INSTALL_CODE_KEYS or INSTALL_CODE_KEYS_FILE.")
if SSI_WEBHOOK_ALLOW_LOOPBACK:  # noqa: F405
    raise ImproperlyConfigured(
        "SSI_WEBHOOK_ALLOW_LOOPBACK is for tests only: production sends webhooks over HTTPS to "
        "public addresses alone. Remove it from the settings."
    )
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("Production runs on PostgreSQL: set DATABASE_URL to postgres://…")

# --- Operations --------------------------------------------------------------
# /metrics only with the bearer token (operations.views.metrics): a scrape sends
# "Authorization: Bearer $SSI_METRICS_TOKEN"; the state it reveals is nobody else's business.
SSI_METRICS_OPEN = False
SSI_METRICS_TOKEN = env.str("SSI_METRICS_TOKEN", default="")
if len(SSI_METRICS_TOKEN) < 32:
    raise ImproperlyConfigured(
        "Set SSI_METRICS_TOKEN to the bearer token Prometheus sends to /metrics: 32 characters "
        'or more, e.g. python -c "import secrets; print(secrets.token_urlsafe(32))".'
    )

SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# Load balancers probe health over plain HTTP on the private network; the answers hold nothing.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True

# --- Authentication ----------------------------------------------------------
# Two-factor authentication for every user, whatever the environment says.
SSI_MFA_REQUIRED = True
# The portal runs behind the TLS-terminating proxy that SECURE_PROXY_SSL_HEADER trusts, on the
# same host, with gunicorn bound to loopback (README): the lockout counts by the client address
# that proxy appends to X-Forwarded-For. A proxy elsewhere is named in SSI_TRUSTED_PROXIES.
SSI_TRUSTED_PROXIES = env.list("SSI_TRUSTED_PROXIES", default=["127.0.0.1", "::1"])
try:
    parse_networks(SSI_TRUSTED_PROXIES, setting="SSI_TRUSTED_PROXIES")
except ValueError as _exc:
    raise ImproperlyConfigured(str(_exc)) from _exc
# The session cookie: HTTPS only (SESSION_COOKIE_SECURE above), out of reach of scripts, and not
# sent on cross-site requests other than top-level navigation.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
