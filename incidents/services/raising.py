"""Raising a Request for Install Code."""

import datetime as dt
from dataclasses import dataclass
from typing import NamedTuple

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.utils import timezone

from accounts.models import SecurityEventKind, Supplier
from accounts.services import security_event_record
from inventory.models import (
    STATUSES_AWAITING_COMMISSIONING,
    TYPE_2_DEVICES,
    TYPES_WITH_INSTALL_CODE,
    Device,
    DeviceType,
)
from inventory.selectors.registrations import registered_from_annotations, registration_day
from ssi_portal.lib.identifiers import IdentifierError, device_id_or_none, parse_device_id

from ..calendar import answer_deadline, working_day_calendar
from ..models import OPEN_STATUSES, Incident, IncidentEvent, IncidentStatus
from ..permissions import raise_access
from ..selectors.raising import device_for_raise
from .clock import clock_start
from .common import CODE_AS_DEVICE_ID_MESSAGE, IncidentError, looks_like_install_code
from .entitlement import (
    OFF,
    RateLimited,
    entitlement_verdict,
    raise_entitlements,
    raise_rate_check,
    registration_mode,
)
from .raise_writes import raise_write

Kind = IncidentEvent.Kind


class DeviceFacts(NamedTuple):
    """What the checks of a raise read of a Device (:func:`device_refusal`, the registration
    check, the lodged codes), for a bulk raise to read a chunk's 2,000 Devices as tuples
    rather than build them as model instances (a tenth of the CPU)."""

    pk: int
    device_id: str
    device_type: str
    smi_status: str
    installing_supplier_id: int | None
    mpxn: str
    comms_hub_id: str


def device_refusal(
    device: Device | DeviceFacts | None, device_id: str, supplier: Supplier
) -> IncidentError | None:
    """Why ``supplier`` may not request the install code of ``device``, or None if it may."""
    refusal = device_ineligible(device, device_id)
    if refusal is None and device.installing_supplier_id == supplier.pk:
        return IncidentError(
            "own_device",
            f"{supplier.name} pre-notified Device {device_id}, so it is the installing Supplier "
            "and already holds the install code.",
            field="device_id",
        )
    return refusal


def device_ineligible(device: Device | DeviceFacts | None, device_id: str) -> IncidentError | None:
    """Why no install code can be requested for ``device`` whoever asks (not in the SMI, its
    type or its SMI status), or None. Lodging a code in advance applies the same rules."""
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
    return None


def already_open_error(device_id: str, reference: str | None) -> IncidentError:
    return IncidentError(
        "already_open",
        f"Device {device_id} already has an open Request for Install Code, "
        f"{reference or 'another request'}.",
        field="device_id",
    )


def _open_request(device: Device) -> Incident | None:
    return Incident.objects.filter(device=device, status__in=OPEN_STATUSES).only("pk").first()


def _already_open_error(device: Device) -> IncidentError:
    existing = _open_request(device)
    return already_open_error(device.device_id, existing.reference if existing else None)


SENT_TO_HELPDESK_MESSAGE = (
    "The SMI names no installing Supplier: sent to the DCC helpdesk to assign."
)


def assigned_message(installer: Supplier, started: str) -> str:
    """The words of the ``raised`` event of a request assigned to ``installer``."""
    return f"Assigned to the installing Supplier, {installer.name}. {started}"


@dataclass(frozen=True)
class RaiseCheck:
    """A Device a raise may go ahead for: the Device (with its installing Supplier), the
    registration warning to carry (``warn``), the meter point that entitles it."""

    device: Device
    warning: str
    registration_mpxn: str


def raise_check(*, actor, device_id: str, now: dt.datetime, preview: bool = False) -> RaiseCheck:
    """The checks of a raise that read the Device, in the raise's order: what was typed (not
    an install code, a Device ID), the Device (in the SMI, its type and status, not the
    actor's own), the registration data. :class:`IncidentError` for the first that fails; a
    refusal of the registration check is recorded in the security log (``preview``: marked
    as a preview's)."""
    if looks_like_install_code(device_id or ""):
        raise IncidentError("contains_code", CODE_AS_DEVICE_ID_MESSAGE, field="device_id")
    try:
        canonical = parse_device_id(device_id)
    except IdentifierError as exc:
        raise IncidentError("bad_format", str(exc), field="device_id") from exc
    # The installing Supplier and its contact addresses are needed for the assignment and its
    # email, and the registration of the Device's meter point for the check: read with the
    # Device rather than one query each.
    day = registration_day(now)
    checking = registration_mode() != OFF
    device = device_for_raise(canonical, registered_on=day if checking else None)
    refusal = device_refusal(device, canonical, actor.supplier)
    if refusal:
        raise refusal
    checked = raise_entitlements(
        [device],
        actor.supplier,
        now=now,
        registered=registered_from_annotations(device, on=day) if checking else None,
    )
    verdict = entitlement_verdict(checked and checked[device.pk], canonical, actor.supplier)
    if verdict.refusal:
        security_event_record(
            kind=SecurityEventKind.RAISE_REFUSED,
            actor=actor,
            reference=f"device:{canonical}",
            detail=(
                f"{'Preview of a raise. ' if preview else ''}{verdict.refusal.code}: meter "
                f"point {checked[device.pk].mpxn or 'none'}."
            ),
            now=now,
        )
        raise verdict.refusal
    return RaiseCheck(device, verdict.warning, verdict.registration_mpxn)


@dataclass(frozen=True)
class RaisePreview:
    """What a raise for a Device ID would answer now, without raising: ``code`` and
    ``message`` of its refusal, or (eligible) to whom it would be assigned (None: the DCC
    helpdesk) and the registration warning it would carry."""

    device_id: str  # canonical; empty when what was asked is not a Device ID
    eligible: bool
    code: str = ""
    message: str = ""
    assigned_to: str | None = None
    warning: str = ""


def incident_raise_preview(
    *, actor, device_id: str, now: dt.datetime | None = None
) -> RaisePreview:
    """What :func:`incident_raise` would answer for ``device_id`` (the same checks in the same
    order, and the same words), without raising, counting towards a rate limit or emailing
    anyone. A user who may not raise is refused (``PermissionDenied``) as the raise refuses
    it. Tells no more than the raise would: another Supplier's open request only to a raiser
    the registration data entitles."""
    now = now or timezone.now()
    access = raise_access(actor)
    if not access:
        raise PermissionDenied(access.refusal.text)
    shown = device_id_or_none(device_id) or ""
    try:
        checked = raise_check(actor=actor, device_id=device_id, now=now, preview=True)
    except IncidentError as exc:
        return RaisePreview(shown, False, exc.code, exc.message)
    device = checked.device
    if Incident.objects.filter(device=device, status__in=OPEN_STATUSES).exists():
        refusal = _already_open_error(device)
        return RaisePreview(shown, False, refusal.code, refusal.message)
    installer = device.installing_supplier
    if installer is None:
        message = f"A request for Device {shown} would go to the DCC helpdesk to assign."
    else:
        message = (
            f"A request for Device {shown} would be assigned to the installing Supplier, "
            f"{installer.name}."
        )
    return RaisePreview(
        shown,
        True,
        message=message,
        assigned_to=installer.name if installer else None,
        warning=checked.warning,
    )


def incident_raise(*, actor, device_id: str, now: dt.datetime | None = None) -> Incident:
    """Raise a Request for Install Code for ``device_id`` on behalf of the actor's Supplier.

    Preconditions: the actor belongs to a Supplier and may raise; neither the actor nor its
    Supplier has reached its rate limit (``entitlement``); the Device is in the SMI, of a type
    with an install code, awaiting commissioning, not pre-notified by the actor's Supplier; the
    registration data names the actor's Supplier for the Device's meter point (refused under
    ``enforce``, a warning under ``warn``: the returned incident's ``entitlement_warning``
    holds it, as does the ``raised`` event); no open request for the Device (also held by a
    database constraint). The checks run in this order, so a Supplier that may not have the
    code learns nothing of another's request.
    Writes a ``raised`` event; emails the installing Supplier, or the helpdesk when the SMI
    names no installing Supplier. When the installing Supplier lodged the Device's install code
    in advance, the request is answered at once from it (see ``lodged``).
    """
    now = now or timezone.now()
    access = raise_access(actor)
    if not access:
        raise PermissionDenied(access.refusal.text)
    try:
        raise_rate_check(actor=actor, now=now)
    except RateLimited as exc:
        # What was typed is recorded only as the Device ID it is: it may be anything, a
        # mistyped install code included.
        security_event_record(
            kind=SecurityEventKind.RAISE_RATE_LIMITED,
            actor=actor,
            reference=f"device:{device_id_or_none(device_id) or '(not a Device ID)'}",
            detail=exc.message,
            now=now,
        )
        raise
    checked = raise_check(actor=actor, device_id=device_id, now=now)
    device, warning = checked.device, checked.warning
    registration_mpxn = checked.registration_mpxn
    # "Already open" is found by the insert itself: the partial unique index refuses a second
    # open request for the Device (no query before it, and no race).
    incident = Incident(
        device=device,
        raised_by=actor,
        raising_supplier=actor.supplier,
        registration_mpxn=registration_mpxn,
        created_at=now,
        updated_at=now,
    )
    if device.installing_supplier_id:
        incident.status = IncidentStatus.AWAITING_INSTALLER
        calendar = working_day_calendar(device.non_working_days)  # read with the Device
        started = clock_start(
            incident, device.installing_supplier, now=now, due_at=answer_deadline(now, calendar)
        )
        message = assigned_message(device.installing_supplier, started)
    else:
        incident.status = IncidentStatus.WITH_HELPDESK
        message = SENT_TO_HELPDESK_MESSAGE
    if warning:
        message = f"{message} {warning}"
    try:
        raise_write(incident, device, actor=actor, message=message, now=now)
    except IntegrityError as exc:
        # The transaction is rolled back whole (no savepoint around the insert to fall back
        # to): only then can the open request that refused it be looked up.
        existing = _open_request(device)
        if existing is None:
            raise
        raise already_open_error(device.device_id, existing.reference) from exc
    incident.entitlement_warning = warning
    return incident
