"""The settings of the benchmark's own server (bench/http_load.py): production's, with the URL
conf that adds the floor (:mod:`http_urls`)."""

from ssi_portal.settings.production import *  # noqa: F403

ROOT_URLCONF = "bench.http_urls"
