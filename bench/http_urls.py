"""The URLs of the benchmark's own server (bench/http_load.py): the portal's, its floor and the
bare view.

The floor is the cheapest page the portal can serve: it goes through the same middleware,
session and sign-in checks as every page and then does one indexed lookup, so each page's
figures can be read as a multiple of what the portal's stack costs. The bare view does the same
lookup with none of that: :mod:`http_wsgi` hands its requests to a Django handler without
middleware, so its figures are what Django, gunicorn and PostgreSQL cost for a request on this
machine, and the floor's distance from it is the tax every page pays before any work. Both
exist only here: the portal's own URL conf has neither.
"""

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.urls import path
from django.views.decorators.http import require_GET

from inventory.models import Device
from ssi_portal.urls import urlpatterns as portal_urlpatterns

BARE_PATH = "/bench/bare/"


def _device_answer(request) -> JsonResponse:
    row = (
        Device.objects.filter(device_id=request.GET.get("id", ""))
        .values_list("device_type", "smi_status")
        .first()
    )
    if row is None:
        return JsonResponse({"found": False})
    return JsonResponse({"found": True, "device_type": row[0], "smi_status": row[1]})


@require_GET
@login_required
def floor(request):
    return _device_answer(request)


@require_GET
def bare(request):
    """The floor's lookup without sign-in or session (served without middleware)."""
    return _device_answer(request)


urlpatterns = [
    path("bench/floor/", floor, name="bench_floor"),
    path(BARE_PATH.strip("/") + "/", bare, name="bench_bare"),
    *portal_urlpatterns,
]
