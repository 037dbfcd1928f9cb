"""Requests refused before any page sees them, and the id every request is logged under."""

from django.http import HttpResponseBadRequest

from .logs import request_id_accept, request_id_reset, request_id_set


class RefuseNulInQueryMiddleware:
    """A NUL character in the query string is refused (400): no page asks for one, and
    PostgreSQL refuses it in any text it compares, so a filter given one (an admin list's
    ``?status__exact=%00``) would be a server error. Form fields refuse it themselves."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if any(
            "\x00" in key or any("\x00" in value for value in values)
            for key, values in request.GET.lists()
        ):
            return HttpResponseBadRequest(
                "This address holds a NUL character, which no page of the portal accepts.",
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)


class RequestIdMiddleware:
    """Gives each request an id that every log line written for it carries, as do the tasks it
    queues (``ssi_portal.celery``), and returns it in ``X-Request-ID``. A proxy's id is kept
    when it is short and safe (``[A-Za-z0-9._-]{1,64}``), so its access log and ours agree."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request_id_accept(request.headers.get("X-Request-ID"))
        request.request_id = request_id
        token = request_id_set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_reset(token)
        response["X-Request-ID"] = request_id
        return response
