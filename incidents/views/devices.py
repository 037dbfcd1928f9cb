"""The Device page: its SMI facts and the history of its requests (``selectors.devices``)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import render

from ..paths import device_path
from ..selectors.devices import device_get_for_user


@login_required
def device_detail(request, device_id: str):
    page = device_get_for_user(request.user, device_id)
    if page.device.device_id != device_id:
        # A pasted spelling (lower case, colons, no separators): one address per Device.
        return HttpResponseRedirect(device_path(page.device.device_id))
    return render(request, "incidents/device.html", {"page": page, "device": page.device})
