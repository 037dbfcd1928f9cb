"""The Device page: its SMI facts and the history of its requests (``selectors.devices``)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse

from ..selectors.devices import device_get_for_user


def device_url(device_id: str) -> str:
    return reverse("incidents:device", kwargs={"device_id": device_id})


@login_required
def device_detail(request, device_id: str):
    page = device_get_for_user(request.user, device_id)
    if page.device.device_id != device_id:
        # A pasted spelling (lower case, colons, no separators): one address per Device.
        return redirect(device_url(page.device.device_id))
    return render(request, "incidents/device.html", {"page": page, "device": page.device})
