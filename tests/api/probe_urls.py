"""A URL conf for the API's core tests: the portal's URLs, and one probe operation that needs
the raise scope and counts what it does (a security-log row a call)."""

import time

from django.urls import path
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response

from accounts.models import SecurityEventKind
from accounts.services import security_event_record
from api.problems import Problem
from api.views.base import ApiView
from ssi_portal.urls import urlpatterns as portal_urlpatterns

PAUSE = {"seconds": 0.0}


class ProbeView(ApiView):
    required_scopes = {"GET": "read", "POST": "raise"}
    parser_classes = [JSONParser, MultiPartParser]

    def get(self, request):
        return Response({"ok": True})

    def post(self, request):
        if request.data.get("refuse"):
            raise Problem(409, "refused_on_purpose", "Refused, as asked.")
        if request.data.get("fail"):
            raise RuntimeError("a failure of the server's own")
        event = security_event_record(
            kind=SecurityEventKind.EXPORT, actor=request.user, detail="probe"
        )
        time.sleep(PAUSE["seconds"])
        return Response({"event": event.pk, "echo": request.data.get("value")}, status=201)


urlpatterns = [path("api/v1/probe/", ProbeView.as_view()), *portal_urlpatterns]
handler404 = "api.views.errors.page_not_found"
handler500 = "api.views.errors.server_error"
