"""The operations app's two pages: /metrics for Prometheus, /operations/ for the helpdesk."""

import hmac

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from incidents.models import IncidentStatus
from incidents.permissions import Refusal, helpdesk_required

from . import charts
from .metrics import exposition
from .selectors.activity import activity_by_hour
from .selectors.health import health_checks
from .selectors.jobs import LATE_AFTER_INTERVALS, beat_jobs
from .selectors.state import portal_state


def bearer_token_given(request, token: str) -> bool:
    """Whether the request's ``Authorization: Bearer …`` is ``token``, compared in constant time
    (a near miss takes as long as a far one)."""
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), token.encode())


@never_cache
@require_GET
def metrics(request):
    """The Prometheus text format (``operations.metrics``).

    With ``SSI_METRICS_TOKEN`` set (always in production, which refuses to start without one)
    a scrape must send ``Authorization: Bearer <token>``; a missing or wrong token gets 401 and
    nothing else. Without a token the metrics are served to anyone only where
    ``SSI_METRICS_OPEN`` is on (the demo while DEBUG, the test settings); anywhere else
    /metrics answers 404, as if it did not exist. No session is read or made.
    """
    token = settings.SSI_METRICS_TOKEN
    if token:
        if not bearer_token_given(request, token):
            response = HttpResponse(
                "A bearer token is needed.\n", status=401, content_type="text/plain"
            )
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
    elif not settings.SSI_METRICS_OPEN:
        raise Http404("No metrics here.")
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)


# Its figures are every Supplier's (their requests, their emails): the compliance pages' refusal.
helpdesk_only = helpdesk_required(Refusal.NOT_HELPDESK_COMPLIANCE)


@never_cache
@require_GET
@helpdesk_only
def operations_home(request):
    now = timezone.now()
    state = portal_state(now=now)
    hours = activity_by_hour(now=now)
    jobs = beat_jobs(now=now)
    return render(
        request,
        "operations/home.html",
        {
            "now": now,
            "checks": health_checks(),
            "jobs": jobs,
            "late_jobs": [job for job in jobs if job.late or job.failing],
            "late_after": LATE_AFTER_INTERVALS,
            "state": state,
            "open_rows": [
                (IncidentStatus(status).label, count)
                for status, count in state.requests_open.items()
            ],
            "hours": hours,
            "email_chart": charts.hourly_chart(hours, charts.EMAIL_SERIES),
            "request_chart": charts.hourly_chart(hours, charts.REQUEST_SERIES),
        },
    )
