"""The Device page: what the SMI says of a Device, and the history of its requests, for those
entitled to it.

A Supplier's users may open it when their Supplier installed the Device (pre-notified it), is
registered today for one of its meter points, or has a request for it that they may see; the
DCC helpdesk always. To anyone else a Device answers exactly like a missing one (404), so the
page never tells whether a Device exists.

A meter point identifies a home: the MPxN is shown only to the installing Supplier and the
Supplier registered for it today (and the helpdesk), not to a Supplier whose only link is an
old request.
"""

from dataclasses import dataclass

from django.http import Http404
from django.utils import timezone

from inventory.models import Device
from inventory.selectors.registrations import (
    device_meter_points,
    registered_suppliers,
    registration_day,
)
from ssi_portal.lib.identifiers import IdentifierError, parse_device_id

from ..models import Incident
from ..permissions import device_access, may_look_up_devices
from .incidents import incidents_visible_to

# A Device has one open request at a time and few over its life; past this many, the page
# shows the newest and says there are more.
HISTORY_LIMIT = 50


@dataclass(frozen=True)
class DevicePage:
    device: Device
    installed_by_us: bool
    registered_to_us: bool
    # The Device's meter points (its own MPxN, or those of the meters on its Comms Hub), or
    # () when the user may not see them.
    meter_points: tuple[str, ...]
    history: list[Incident]
    more_history: bool

    @property
    def shows_meter_points(self) -> bool:
        return bool(self.meter_points)


def device_get_for_user(user, device_id: str, *, now=None) -> DevicePage:
    """The Device page for ``device_id`` (any spelling a person might paste) if the user is
    entitled to it; Http404 otherwise, as for a Device that does not exist. A fixed number of
    queries: the Device, its hub's meters (a PPMID, HCALCS or SAPC only), their registrations
    and its requests the user may see."""
    if not may_look_up_devices(user):
        raise Http404("No such Device.")
    try:
        canonical = parse_device_id(device_id)
    except IdentifierError as exc:
        raise Http404("No such Device.") from exc
    device = (
        Device.objects.select_related("installing_supplier").filter(device_id=canonical).first()
    )
    if device is None:
        raise Http404("No such Device.")
    history = list(
        incidents_visible_to(user)
        .filter(device=device)
        .select_related("raising_supplier", "assigned_supplier")
        .order_by("-created_at", "-id")[: HISTORY_LIMIT + 1]
    )
    points = device_meter_points([device])[device.pk]
    registered = registered_suppliers(points, on=registration_day(now or timezone.now()))
    access = device_access(
        user,
        device,
        registered_supplier_ids=registered.values(),
        has_visible_requests=bool(history),
    )
    if not access.view:
        raise Http404("No such Device.")
    return DevicePage(
        device=device,
        installed_by_us=access.installed_by_us,
        registered_to_us=access.registered_to_us,
        meter_points=points if access.meter_points else (),
        history=history[:HISTORY_LIMIT],
        more_history=len(history) > HISTORY_LIMIT,
    )
