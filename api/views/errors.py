"""A page the resolver did not find, or a server error, under ``/api/``: a problem, as every
other answer of the API; elsewhere the portal's own pages."""

from django.http import JsonResponse
from django.views import defaults

from ..problems import PROBLEM_CONTENT_TYPE, TITLES, TYPE_PREFIX

API_PREFIX = "/api/"


def problem_json(request, status: int, code: str, detail: str) -> JsonResponse:
    body = {
        "type": TYPE_PREFIX + code,
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "code": code,
        "instance": request.path,
    }
    if getattr(request, "request_id", None):
        body["request_id"] = request.request_id
    response = JsonResponse(body, status=status, content_type=PROBLEM_CONTENT_TYPE)
    response["Cache-Control"] = "no-store, private"
    return response


def page_not_found(request, exception=None):
    if request.path.startswith(API_PREFIX):
        return problem_json(request, 404, "not_found", "No such operation; see /api/v1/docs/.")
    return defaults.page_not_found(request, exception)


def server_error(request):
    if request.path.startswith(API_PREFIX):
        return problem_json(
            request,
            500,
            "server_error",
            "The portal failed to answer; the helpdesk can trace it by the request_id.",
        )
    return defaults.server_error(request)
