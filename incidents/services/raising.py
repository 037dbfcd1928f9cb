"""Raising a Request for Install Code."""

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from inventory.identifiers import IdentifierError, parse_device_id
from inventory.models import (
    STATUSES_AWAITING_COMMISSIONING,
    TYPE_2_DEVICES,
    TYPES_WITH_INSTALL_CODE,
    Device,
    DeviceType,
    Supplier,
)

from ..calendar import answer_deadline
from ..models import OPEN_STATUSES, Incident, IncidentEvent, IncidentStatus
from .common import IncidentError
from .events import record_event

Kind = IncidentEvent.Kind


def device_refusal(
    device: Device | None, device_id: str, supplier: Supplier
) -> IncidentError | None:
    """Why ``supplier`` may not request the install code of ``device``, or None if it may."""
    if device is None:
        return IncidentError(
            "not_in_smi",
            f"Device {device_id} is not in the Smart Metering Inventory.",
            field="device_id",
        )
    if device.device_type not in TYPES_WITH_INSTALL_CODE:
        if device.device_type in TYPE_2_DEVICES:
            why = "a Type 2 Device, which does not join the home area network with an install code"
        else:
            why = "part of a Communications Hub, which has no install code"
        label = DeviceType(device.device_type).label
        return IncidentError(
            "ineligible_type", f"Device {device_id} is a {label}: {why}.", field="device_id"
        )
    if device.smi_status not in STATUSES_AWAITING_COMMISSIONING:
        state = f"has SMI status {device.smi_status}" if device.smi_status else "has no SMI status"
        return IncidentError(
            "ineligible_status",
            f"Device {device_id} {state}; an install code can be requested only for a Device "
            "awaiting commissioning (Pending, Whitelisted or InstalledNotCommissioned).",
            field="device_id",
        )
    if device.installing_supplier_id == supplier.pk:
        return IncidentError(
            "own_device",
            f"{supplier.name} pre-notified Device {device_id}, so it is the installing Supplier "
            "and already holds the install code.",
            field="device_id",
        )
    return None


def _already_open_error(device: Device) -> IncidentError:
    existing = Incident.objects.filter(device=device, status__in=OPEN_STATUSES).only("pk").first()
    reference = existing.reference if existing else "another request"
    return IncidentError(
        "already_open",
        f"Device {device.device_id} already has an open Request for Install Code, {reference}.",
        field="device_id",
    )


def incident_raise(*, actor, device_id: str, now: dt.datetime | None = None) -> Incident:
    """Raise a Request for Install Code for ``device_id`` on behalf of the actor's Supplier.

    Preconditions: the actor belongs to a Supplier; the Device is in the SMI, of a type with an
    install code, awaiting commissioning, not pre-notified by the actor's Supplier and without
    an open request (the last one is also held by a database constraint).
    Writes a ``raised`` event; emails the installing Supplier, or the helpdesk when the SMI
    names no installing Supplier.
    """
    now = now or timezone.now()
    if not actor.supplier_id:
        raise PermissionDenied("Only Supplier users raise Requests for Install Code.")
    try:
        canonical = parse_device_id(device_id)
    except IdentifierError as exc:
        raise IncidentError("bad_format", str(exc), field="device_id") from exc
    device = Device.objects.filter(device_id=canonical).first()
    refusal = device_refusal(device, canonical, actor.supplier)
    if refusal:
        raise refusal
    if Incident.objects.filter(device=device, status__in=OPEN_STATUSES).exists():
        raise _already_open_error(device)

    incident = Incident(
        device=device,
        raised_by=actor,
        raising_supplier_id=actor.supplier_id,
        created_at=now,
        updated_at=now,
    )
    if device.installing_supplier_id:
        incident.status = IncidentStatus.AWAITING_INSTALLER
        incident.assigned_supplier_id = device.installing_supplier_id
        incident.notified_at = now
        incident.due_at = answer_deadline(now)
        message = f"Assigned to the installing Supplier, {device.installing_supplier.name}."
    else:
        incident.status = IncidentStatus.WITH_HELPDESK
        message = "The SMI names no installing Supplier: sent to the DCC helpdesk to assign."
    with transaction.atomic():
        try:
            with transaction.atomic():
                incident.save()
        except IntegrityError as exc:
            raise _already_open_error(device) from exc
        record_event(incident, Kind.RAISED, actor=actor, from_status="", message=message, now=now)
    return incident
