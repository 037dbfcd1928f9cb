"""Reads of the registration data: which Supplier is registered for a Device's meter points.

A meter (ESME, GSME) has its own MPxN. A PPMID, HCALCS or SAPC has none: it serves the home
of its Communications Hub, so its meter points are those of the meters on that hub. A Supplier
is entitled to a Device's install code when it is the currently registered Supplier for one of
those meter points (DOMAIN.md, "Registration data").

Every function takes many Devices at once and costs a fixed number of queries, so a bulk
upload's chunk of 2,000 rows asks what a single raise asks.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db.models import OuterRef, Subquery

from ssi_portal.lib.bulk_sql import in_values
from ssi_portal.lib.working_days import LONDON

from ..models import Device, Registration


class EntitlementStatus:
    REGISTERED = "registered"
    NOT_REGISTERED = "not_registered"
    # No current registration for any of the Device's meter points (none loaded, or lapsed).
    UNKNOWN = "registration_unknown"
    NO_METER_POINT = "no_meter_point"


@dataclass(frozen=True)
class Entitlement:
    """What the registration data says of one Supplier raising for one Device.

    ``mpxn``: the meter point the Supplier is registered for (``REGISTERED``), one another
    Supplier is registered for (``NOT_REGISTERED``), otherwise the first of ``meter_points``
    (empty when there is none).
    """

    status: str
    mpxn: str
    meter_points: tuple[str, ...]

    @property
    def registered(self) -> bool:
        return self.status == EntitlementStatus.REGISTERED


def registration_day(now: dt.datetime) -> dt.date:
    """The day registrations are judged on: registration dates are days in Great Britain."""
    return now.astimezone(LONDON).date()


def device_meter_points(devices: Sequence[Device]) -> dict[int, tuple[str, ...]]:
    """The MPxNs each Device serves: its own, or those of the meters on its Comms Hub.

    Reads ``pk``, ``mpxn`` and ``comms_hub_id`` of the Devices; one query for those without
    an MPxN of their own, none when every Device has one.
    """
    points: dict[int, tuple[str, ...]] = {}
    by_hub: dict[str, list[int]] = defaultdict(list)
    for device in devices:
        if device.mpxn:
            points[device.pk] = (device.mpxn,)
        elif device.comms_hub_id:
            by_hub[device.comms_hub_id].append(device.pk)
        else:
            points[device.pk] = ()
    if by_hub:
        hub_meters: dict[str, set[str]] = defaultdict(set)
        rows = (
            Device.objects.filter(in_values("comms_hub_id", list(by_hub), "text"))
            .exclude(mpxn="")
            .values_list("comms_hub_id", "mpxn")
        )
        for hub, mpxn in rows:
            hub_meters[hub].add(mpxn)
        for hub, pks in by_hub.items():
            for pk in pks:
                points[pk] = tuple(sorted(hub_meters.get(hub, ())))
    return points


def current_registration(*, on: dt.date) -> dict:
    """Annotations for a Device queryset: the Supplier registered for the Device's own MPxN
    on the day ``on`` (``registered_supplier_id``) and the last day of that registration
    (``registered_until``; None: open-ended), read with the Devices instead of by
    :func:`registered_suppliers` after them. A Device without an MPxN of its own gets None."""
    latest = Registration.objects.filter(mpxn=OuterRef("mpxn"), effective_from__lte=on).order_by(
        "-effective_from"
    )
    return {
        "registered_supplier_id": Subquery(latest.values("supplier_id")[:1]),
        "registered_until": Subquery(latest.values("effective_to")[:1]),
    }


def registered_from_annotations(device: Device, *, on: dt.date) -> dict[str, int] | None:
    """What :func:`registered_suppliers` answers for the Device's own MPxN, from the
    annotations of :func:`current_registration`; None for a Device without an MPxN of its own
    (its meter points are those of its Comms Hub, read by :func:`entitlements`)."""
    if not device.mpxn:
        return None
    supplier_id, until = device.registered_supplier_id, device.registered_until
    if supplier_id is None or (until is not None and until < on):
        return {}
    return {device.mpxn: supplier_id}


def registered_suppliers(mpxns: Iterable[str], *, on: dt.date) -> dict[str, int]:
    """The pk of the Supplier registered for each MPxN on the day ``on``; an MPxN with no
    current registration (never loaded, or its latest registration ended) is left out."""
    mpxns = sorted(set(mpxns))
    if not mpxns:
        return {}
    latest: dict[str, tuple[dt.date, int, dt.date | None]] = {}
    rows = Registration.objects.filter(
        in_values("mpxn", mpxns, "text"), effective_from__lte=on
    ).values_list("mpxn", "effective_from", "supplier_id", "effective_to")
    for mpxn, start, supplier_id, end in rows:
        if mpxn not in latest or start > latest[mpxn][0]:
            latest[mpxn] = (start, supplier_id, end)
    return {
        mpxn: supplier_id
        for mpxn, (_start, supplier_id, end) in latest.items()
        if end is None or end >= on
    }


def entitlements(
    devices: Sequence[Device],
    supplier_id: int,
    *,
    on: dt.date,
    registered: dict[str, int] | None = None,
) -> dict[int, Entitlement]:
    """For each Device (by pk), whether ``supplier_id`` is registered for its meter point.

    ``registered``: the Suppliers registered for the Devices' meter points on ``on``, when
    the caller read them already (:func:`registered_from_annotations`)."""
    points = device_meter_points(devices)
    if registered is None:
        registered = registered_suppliers((m for ms in points.values() for m in ms), on=on)
    result = {}
    for device in devices:
        meter_points = points[device.pk]
        mine = next((m for m in meter_points if registered.get(m) == supplier_id), None)
        if mine:
            status, mpxn = EntitlementStatus.REGISTERED, mine
        elif not meter_points:
            status, mpxn = EntitlementStatus.NO_METER_POINT, ""
        elif elsewhere := next((m for m in meter_points if m in registered), None):
            status, mpxn = EntitlementStatus.NOT_REGISTERED, elsewhere
        else:
            status, mpxn = EntitlementStatus.UNKNOWN, meter_points[0]
        result[device.pk] = Entitlement(status, mpxn, meter_points)
    return result
