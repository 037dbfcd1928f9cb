"""Errors as RFC 9457 problem details (``application/problem+json``).

Every refusal of the API is a problem with ``type``, ``title``, ``status``, ``detail``, our
reason ``code`` (the same code the pages and bulk rows use, from
``incidents.permissions.Refusal`` or the service's ``IncidentError``), ``instance`` (the path
asked) and ``request_id`` (the ``X-Request-ID`` of the call, for the helpdesk). A validation
problem lists each field it refuses in ``errors`` (``field``, ``code``, ``detail``). A 401
carries ``WWW-Authenticate``; a 429 and a 503 carry ``Retry-After``.
"""

import logging
import math

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response

from incidents.permissions import Decision, Refusal
from incidents.services import IncidentError, RateLimited

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:ssi-portal:problem:"

TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    413: "Too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    429: "Too many requests",
    500: "Server error",
    503: "Service unavailable",
}
# A refusal's words, to find its code when a service refused with PermissionDenied (which
# carries the words only).
_REFUSAL_BY_TEXT = {refusal.text: refusal for refusal in Refusal}


class Problem(exceptions.APIException):
    """A refusal the API answers as a problem: raise it from a view."""

    def __init__(
        self,
        status_code: int,
        code: str,
        detail: str,
        *,
        errors: list[dict] | None = None,
        headers: dict | None = None,
    ):
        self.status_code, self.code, self.detail_text = status_code, code, detail
        self.errors, self.headers = errors, headers or {}
        super().__init__(detail, code)


def refusal_problem(decision: Decision, incident=None) -> Problem:
    """The problem of an action the access helper refuses: 404 for an incident the client may
    not see (exactly as a missing one), 409 for one it takes part in whose state moved on,
    403 otherwise."""
    refusal = decision.refusal
    if refusal is Refusal.NOT_VISIBLE:
        return Problem(404, refusal.code, refusal.text)
    if refusal.of_state and decision.takes_part:
        return Problem(409, refusal.code, refusal.message(incident))
    return Problem(403, refusal.code, refusal.message(incident))


def incident_error_problem(exc: IncidentError) -> Problem:
    """A service's refusal: a field's (422, naming the field) or of the state (409)."""
    if isinstance(exc, RateLimited):
        seconds = max(1, math.ceil((exc.retry_at - _now()).total_seconds()))
        return Problem(429, exc.code, exc.message, headers={"Retry-After": str(seconds)})
    if exc.field:
        return Problem(
            422,
            exc.code,
            exc.message,
            errors=[{"field": exc.field, "code": exc.code, "detail": exc.message}],
        )
    return Problem(409, exc.code, exc.message)


def _now():
    from django.utils import timezone

    return timezone.now()


def _field_errors(detail, prefix="") -> list[dict]:
    """DRF's nested validation errors as a flat list, one entry a field and message."""
    found = []
    if isinstance(detail, dict):
        for key, value in detail.items():
            if isinstance(key, int):  # an item of a list, as DRF keys its errors
                found += _field_errors(value, f"{prefix}[{key}]")
                continue
            name = "" if key == "non_field_errors" else str(key)
            found += _field_errors(value, f"{prefix}.{name}" if prefix and name else prefix or name)
    elif isinstance(detail, list):
        for index, value in enumerate(detail):
            if isinstance(value, dict | list) and not isinstance(value, exceptions.ErrorDetail):
                found += _field_errors(value, f"{prefix}[{index}]")
            else:
                found += _field_errors(value, prefix)
    else:
        found.append(
            {
                "field": prefix or None,
                "code": getattr(detail, "code", "invalid"),
                "detail": str(detail),
            }
        )
    return found


def _problem_of(exc) -> Problem | None:
    if isinstance(exc, Problem):
        return exc
    if isinstance(exc, IncidentError):
        return incident_error_problem(exc)
    if isinstance(exc, Http404 | exceptions.NotFound):
        return Problem(404, "not_found", str(exc) or "Not found.")
    if isinstance(exc, PermissionDenied):
        refusal = _REFUSAL_BY_TEXT.get(str(exc))
        return Problem(403, refusal.code if refusal else "forbidden", str(exc) or "Forbidden.")
    if isinstance(exc, exceptions.ValidationError):
        errors = _field_errors(exc.detail)
        named = [e["field"] for e in errors if e["field"]]
        detail = (f"Check {', '.join(dict.fromkeys(named))}: " if named else "") + "; ".join(
            e["detail"] for e in errors
        )
        return Problem(422, "invalid", detail, errors=errors)
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        return Problem(
            401,
            "not_authenticated",
            "Send a valid bearer token (OAuth 2.0 client credentials at /api/v1/oauth/token/).",
        )
    if isinstance(exc, exceptions.Throttled):
        wait = math.ceil(exc.wait) if exc.wait is not None else 1
        return Problem(
            429,
            "rate_limited",
            f"Too many calls from this client; try again in {wait} seconds.",
            headers={"Retry-After": str(wait)},
        )
    if isinstance(exc, exceptions.APIException):
        return Problem(exc.status_code, exc.default_code, str(exc.detail))
    return None


def problem_response(problem: Problem, request=None) -> Response:
    body = {
        "type": TYPE_PREFIX + problem.code,
        "title": TITLES.get(problem.status_code, "Error"),
        "status": problem.status_code,
        "detail": problem.detail_text,
        "code": problem.code,
    }
    if request is not None:
        body["instance"] = request.path
        if getattr(request, "request_id", None):
            body["request_id"] = request.request_id
    if problem.errors:
        body["errors"] = problem.errors
    response = Response(body, status=problem.status_code, headers=problem.headers)
    response.content_type = PROBLEM_CONTENT_TYPE
    return response


def exception_handler(exc, context):
    """DRF's ``EXCEPTION_HANDLER``: every error a problem; anything unexpected left to Django
    (logged, a 500)."""
    problem = _problem_of(exc)
    if problem is None:
        return None
    request = context.get("request")
    response = problem_response(problem, request)
    if problem.status_code == 401:
        view = context.get("view")
        header = view.get_authenticate_header(request) if view is not None else None
        if header:
            response["WWW-Authenticate"] = header
    return response
