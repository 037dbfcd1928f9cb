"""The embedded default: SQLite, no Redis, emails written to files under var/mail.

Everything it needs is made on first use and kept under ``var/`` (git-ignored): the
secret key and the install-code key. Never used in production.
"""

import secrets

from .base import *  # noqa: F403
from .base import VAR_DIR, env

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

# --- Operations ----------------------------------------------------------------
# The demo serves /metrics without a token while DEBUG is on, unless SSI_METRICS_TOKEN sets one.
SSI_METRICS_OPEN = DEBUG
