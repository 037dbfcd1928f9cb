"""Counts and times every request the web processes answer (``operations.metrics``)."""

import time

from django.conf import settings

from .metrics import IN_PROGRESS, LATENCY, REQUESTS

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def view_label(request) -> str:
    """The URL pattern's name (``incidents:detail``, ``admin:incidents_incident_change``), never
    the path: the labels stay as few as the portal's routes. Static files (WhiteNoise answers
    them before any URL is resolved) are ``static``; an address no pattern matches is
    ``unrouted``."""
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return match.view_name or "unnamed"
    if request.path_info.startswith("/" + settings.STATIC_URL.lstrip("/")):
        return "static"
    return "unrouted"


class RequestMetricsMiddleware:
    """Right after ``RequestIdMiddleware``: it sees every answer, refusals and static files
    included, and the time of everything the portal does for the request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        IN_PROGRESS.inc()
        status = 500  # what the client gets if an exception escapes the handler
        try:
            response = self.get_response(request)
            status = response.status_code
            return response
        finally:
            IN_PROGRESS.dec()
            method = request.method if request.method in METHODS else "other"
            labels = (view_label(request), method, f"{status // 100}xx")
            REQUESTS.labels(*labels).inc()
            LATENCY.labels(*labels).observe(time.perf_counter() - started)
