"""The benchmark's floor: the cheapest page the portal can serve (bench/http_load.py).

Routed only when ``SSI_BENCH_FLOOR`` is on (the benchmark sets it for its own server); anywhere
else the URL does not exist. It goes through the same middleware, session and sign-in checks as
every page and then does one indexed lookup, so each page's figures can be read as a multiple of
what the stack itself costs.
"""

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.views.decorators.http import require_GET

from inventory.models import Device


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
