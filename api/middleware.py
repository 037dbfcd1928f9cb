"""Under ``/api/``, an error the portal's own layers answer before any operation sees the
call (a NUL character in the query string, a host not allowed, a body Django will not read)
is a problem too, as every other answer of the API."""

from .problems import PROBLEM_CONTENT_TYPE
from .views.errors import API_PREFIX, problem_json

CODES = {400: "bad_request", 403: "forbidden", 405: "method_not_allowed", 413: "too_large"}


class ApiProblemsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith(API_PREFIX) or response.status_code < 400:
            return response
        content_type = response.get("Content-Type", "")
        if content_type.startswith((PROBLEM_CONTENT_TYPE, "application/json")):
            return response
        detail = "The portal refused this call before reading it."
        if content_type.startswith("text/plain") and not response.streaming:
            detail = response.content.decode(errors="replace").strip() or detail
        status = response.status_code
        return problem_json(request, status, CODES.get(status, f"http_{status}"), detail)
