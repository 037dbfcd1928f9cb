"""The URLs of the benchmark's own server (bench/http_load.py): the portal's, and its floor.

The floor is the cheapest page the portal can serve: it goes through the same middleware,
session and sign-in checks as every page and then does one indexed lookup, so each page's
figures can be read as a multiple of what the stack itself costs. It exists only here: the
portal's own URL conf has no such page.
"""

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.urls import path
from django.views.decorators.http import require_GET

from inventory.models import Device
from ssi_portal.urls import urlpatterns as portal_urlpatterns


@require_GET
@login_required
def floor(request):
    row = (
        Device.objects.filter(device_id=request.GET.get("id", ""))
        .values_list("device_type", "smi_status")
        .first()
    )
    if row is None:
        return JsonResponse({"found": False})
    return JsonResponse({"found": True, "device_type": row[0], "smi_status": row[1]})


urlpatterns = [path("bench/floor/", floor, name="bench_floor"), *portal_urlpatterns]
