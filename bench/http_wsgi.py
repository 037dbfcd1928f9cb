"""The WSGI application of the benchmark's own server (bench/http_load.py): the portal as
production serves it, except for the bare view (:data:`http_urls.BARE_PATH`), which a second
Django handler of the same process serves with no middleware at all: no session, no sign-in,
no security headers, no request id or metrics. Same gunicorn worker, same settings, same
database connection handling (``CONN_MAX_AGE``) as every portal page.
"""

import os

from django.core.handlers.wsgi import WSGIHandler
from django.core.wsgi import get_wsgi_application
from django.test.utils import override_settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.http_settings")

portal = get_wsgi_application()

from bench.http_urls import BARE_PATH  # noqa: E402 (Django is set up by the line above)


class BareHandler(WSGIHandler):
    """Django's WSGI handler built with an empty middleware list."""

    def load_middleware(self, is_async=False):
        with override_settings(MIDDLEWARE=[]):
            super().load_middleware(is_async)


bare = BareHandler()


def application(environ, start_response):
    handler = bare if environ.get("PATH_INFO") == BARE_PATH else portal
    return handler(environ, start_response)
