"""Calls per client: ``SSI_API_RATE`` over a sliding window, in the shared cache (Redis in
production, so that every web process counts the same calls). A client over its rate gets
429 with ``Retry-After``."""

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from ssi_portal.lib.rates import parse_rate


class ClientRateThrottle(SimpleRateThrottle):
    scope = "api_client"

    def get_rate(self):
        rate = parse_rate(settings.SSI_API_RATE)
        return None if rate is None else f"{rate.limit}/{rate.period}"

    def parse_rate(self, rate):
        if rate is None:
            return None, None
        limit, _, period = rate.partition("/")
        return int(limit), {"second": 1, "minute": 60, "hour": 3600, "day": 86400}[period]

    def get_cache_key(self, request, view):
        if not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}
