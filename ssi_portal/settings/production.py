"""Production: PostgreSQL, Redis, SMTP; refuses to start without its secrets."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECRET_KEY = env.str("DJANGO_SECRET_KEY")
DATABASES = {"default": env.db("DATABASE_URL")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL")
CELERY_TASK_ALWAYS_EAGER = False

if not INSTALL_CODE_KEYS and not INSTALL_CODE_KEYS_FILE:  # noqa: F405
    raise ImproperlyConfigured("Set INSTALL_CODE_KEYS or INSTALL_CODE_KEYS_FILE.")
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("Production runs on PostgreSQL: set DATABASE_URL to postgres://…")

SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True

# --- Authentication ----------------------------------------------------------
# Two-factor authentication for every user, whatever the environment says.
SSI_MFA_REQUIRED = True
# The portal runs behind the TLS-terminating proxy that SECURE_PROXY_SSL_HEADER trusts; the
# lockout counts by the client address that proxy appends to X-Forwarded-For.
SSI_TRUSTED_PROXY_COUNT = env.int("SSI_TRUSTED_PROXY_COUNT", default=1)
# The session cookie: HTTPS only (SESSION_COOKIE_SECURE above), out of reach of scripts, and not
# sent on cross-site requests other than top-level navigation.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
