"""Settings for a Celery worker that a test starts as a separate process (one it can kill).

The test settings, with a real broker and a real SMTP server, both given by the environment
the test passes in (as is the test database, through DATABASE_URL). A test may shorten the
broker's visibility timeout, so that the message of a worker it killed comes back at once.
"""

import os

from ssi_portal.settings.test import *  # noqa: F403

CELERY_BROKER_URL = os.environ["CELERY_BROKER_URL"]
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_EAGER_PROPAGATES = False
MAILERS = {
    "default": {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": os.environ["SSI_TEST_SMTP_HOST"],
            "port": int(os.environ["SSI_TEST_SMTP_PORT"]),
            "timeout": 30,
        },
    }
}
if os.environ.get("SSI_TEST_VISIBILITY_TIMEOUT"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        **CELERY_BROKER_TRANSPORT_OPTIONS,  # noqa: F405
        "visibility_timeout": float(os.environ["SSI_TEST_VISIBILITY_TIMEOUT"]),
    }
