"""Requests refused before any page sees them."""

from django.http import HttpResponseBadRequest


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
