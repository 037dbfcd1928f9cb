"""Every change to an incident goes through one of these services.

Each transition follows one recipe: ``transaction.atomic()`` → re-read the row with
``select_for_update()`` → check the guard → set fields → ``save(update_fields=...)`` → write an
``IncidentEvent`` → write the notification rows of that event (delivered after commit).
"""

import datetime as dt
import re

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from inventory.identifiers import IdentifierError, parse_device_id, parse_install_code
from inventory.models import (
    STATUSES_AWAITING_COMMISSIONING,
    TYPE_2_DEVICES,
    TYPES_WITH_INSTALL_CODE,
    Device,
    DeviceType,
    Supplier,
)
from notifications.services import notification_queue
from ssi_portal.lib.crypto import key_ring

from . import permissions
from .calendar import answer_deadline
from .models import (
    OPEN_STATUSES,
    TRANSITIONS,
    CloseOutcome,
    Incident,
    IncidentEvent,
    IncidentStatus,
)

Kind = IncidentEvent.Kind
NOTE_MAX_LENGTH = 2000
# 32 or more hex digits in a row (separators allowed) look like an install code.
_LOOKS_LIKE_CODE = re.compile(r"(?:[0-9A-Fa-f][\s:\-]?){32,}")


class IncidentError(Exception):
    """A request the rules refuse. ``code`` is machine-readable; ``message`` is for the user."""

    def __init__(self, code: str, message: str, *, field: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


# --- Raising ----------------------------------------------------------------------------------


def device_refusal(device: Device | None, device_id: str, supplier: Supplier) -> IncidentError | None:
    """Why ``supplier`` may not request the install code of ``device``, or None if it may."""
    if device is None:
        return IncidentError(
            "not_in_smi", f"Device {device_id} is not in the Smart Metering Inventory.", field="device_id"
        )
    if device.device_type not in TYPES_WITH_INSTALL_CODE:
        if device.device_type in TYPE_2_DEVICES:
            why = "a Type 2 Device, which does not join the home area network with an install code"
        else:
            why = "part of a Communications Hub, which has no install code"
        label = DeviceType(device.device_type).label
        return IncidentError("ineligible_type", f"Device {device_id} is a {label}: {why}.",
                             field="device_id")
    if device.smi_status not in STATUSES_AWAITING_COMMISSIONING:
        return IncidentError(
            "ineligible_status",
            f"Device {device_id} has SMI status {device.smi_status or 'none'}; an install code can "
            "be requested only for a Device awaiting commissioning (Pending, Whitelisted or "
            "InstalledNotCommissioned).",
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
        device=device, raised_by=actor, raising_supplier_id=actor.supplier_id,
        created_at=now, updated_at=now,
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
        _record(incident, Kind.RAISED, actor=actor, from_status="", message=message, now=now)
    return incident


# --- Transitions ------------------------------------------------------------------------------


def _locked(incident: Incident) -> Incident:
    return (
        Incident.objects.select_for_update(of=("self",))
        .select_related("device", "raising_supplier", "assigned_supplier", "raised_by")
        .get(pk=incident.pk)
    )


def _move(incident: Incident, to_status: str) -> str:
    from_status = incident.status
    if to_status not in TRANSITIONS[from_status]:
        raise IncidentError(
            "invalid_transition",
            f"{incident.reference} is {incident.get_status_display().lower()}; that action is no "
            "longer possible.",
        )
    incident.status = to_status
    return from_status


def _guard(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def incident_answer(*, actor, incident: Incident, install_code: str,
                    now: dt.datetime | None = None) -> Incident:
    """The assigned Supplier provides the install code (32 hex digits, or 36 with the CRC).

    The code is sealed (AES-GCM, bound to this incident) before it reaches the database.
    Writes a ``code_provided`` event (marked late after the deadline); emails the raiser.
    """
    now = now or timezone.now()
    try:
        code = parse_install_code(install_code)
    except IdentifierError as exc:
        raise IncidentError("bad_install_code", str(exc), field="install_code") from exc
    with transaction.atomic():
        incident = _locked(incident)
        _guard(permissions.is_assignee(actor, incident), "Only the assigned Supplier answers.")
        from_status = _move(incident, IncidentStatus.CODE_PROVIDED)
        incident.install_code_sealed = key_ring().seal(code, aad=incident.seal_context())
        incident.code_provided_by_id = actor.supplier_id
        incident.code_provided_at = now
        incident.updated_at = now
        incident.save(update_fields=["status", "install_code_sealed", "code_provided_by",
                                     "code_provided_at", "updated_at"])
        late = incident.due_at is not None and now > incident.due_at
        message = "Install code provided after the deadline." if late else "Install code provided."
        _record(incident, Kind.CODE_PROVIDED, actor=actor, from_status=from_status,
                message=message, now=now)
    return incident


def incident_answer_not_installed(*, actor, incident: Incident, reason: str = "",
                                  now: dt.datetime | None = None) -> Incident:
    """The assigned Supplier says it did not install the Device: the helpdesk must reassign.

    The deadline clock pauses (``due_at`` cleared) until the helpdesk assigns a Supplier.
    Writes a ``not_installed`` event; emails the helpdesk and the raiser.
    """
    now = now or timezone.now()
    reason = _clean_text(reason, field="reason", required=False)
    with transaction.atomic():
        incident = _locked(incident)
        _guard(permissions.is_assignee(actor, incident), "Only the assigned Supplier answers.")
        from_status = _move(incident, IncidentStatus.WITH_HELPDESK)
        previous = incident.assigned_supplier
        incident.assigned_supplier = None
        incident.due_at = None
        incident.notified_at = None
        incident.updated_at = now
        incident.save(update_fields=["status", "assigned_supplier", "due_at", "notified_at",
                                     "updated_at"])
        message = f"{previous.name} says it did not install this Device."
        if reason:
            message += f" Reason: {reason}"
        _record(incident, Kind.NOT_INSTALLED, actor=actor, from_status=from_status,
                message=message, now=now)
    return incident


def incident_reveal_code(*, actor, incident: Incident, now: dt.datetime | None = None) -> bytes:
    """Return the install code to a user entitled to it, and record that it was revealed.

    Allowed to users of the raising Supplier and of the Supplier that provided the code.
    Writes a ``code_revealed`` event; sends no email.
    """
    now = now or timezone.now()
    with transaction.atomic():
        incident = _locked(incident)
        _guard(permissions.can_reveal_code(actor, incident),
               "Only the raising Supplier, or the Supplier that provided it, may see this code.")
        code = key_ring().open(incident.install_code_sealed, aad=incident.seal_context())
        _record(incident, Kind.CODE_REVEALED, actor=actor, from_status="",
                message="Install code revealed.", now=now)
    return code


def incident_report_code_failed(*, actor, incident: Incident, reason: str,
                                now: dt.datetime | None = None) -> Incident:
    """The raiser reports that the code did not work: back to the installing Supplier.

    The failed code is discarded and a fresh five-Working-Day deadline starts.
    Writes a ``code_failed`` event; emails the assigned Supplier.
    """
    now = now or timezone.now()
    reason = _clean_text(reason, field="reason", required=True)
    with transaction.atomic():
        incident = _locked(incident)
        _guard(permissions.is_raiser(actor, incident), "Only the raising Supplier reports this.")
        if incident.status != IncidentStatus.CODE_PROVIDED or incident.assigned_supplier_id is None:
            raise IncidentError("invalid_transition",
                                f"{incident.reference} has no install code to report on.")
        from_status = _move(incident, IncidentStatus.AWAITING_INSTALLER)
        incident.install_code_sealed = None
        incident.code_provided_by = None
        incident.code_provided_at = None
        incident.notified_at = now
        incident.due_at = answer_deadline(now)
        incident.updated_at = now
        incident.save(update_fields=["status", "install_code_sealed", "code_provided_by",
                                     "code_provided_at", "notified_at", "due_at", "updated_at"])
        _record(incident, Kind.CODE_FAILED, actor=actor, from_status=from_status,
                message=f"The install code did not work: {reason}", now=now)
    return incident


def incident_close(*, actor, incident: Incident, outcome: str,
                   now: dt.datetime | None = None) -> Incident:
    """Close the incident. Only users of the raising Supplier may.

    ``code_worked`` needs a provided code; ``no_longer_needed`` withdraws an open request.
    Writes a ``closed`` event; emails the assigned Supplier.
    """
    now = now or timezone.now()
    if outcome not in CloseOutcome.values:
        raise IncidentError("bad_outcome", "Choose why you are closing the request.", field="outcome")
    with transaction.atomic():
        incident = _locked(incident)
        _guard(permissions.is_raiser(actor, incident), "Only the raising Supplier closes a request.")
        if outcome == CloseOutcome.CODE_WORKED and incident.status != IncidentStatus.CODE_PROVIDED:
            raise IncidentError(
                "bad_outcome", "No install code has been provided yet, so it cannot have worked.",
                field="outcome",
            )
        from_status = _move(incident, IncidentStatus.CLOSED)
        incident.close_outcome = outcome
        incident.closed_at = now
        incident.updated_at = now
        incident.save(update_fields=["status", "close_outcome", "closed_at", "updated_at"])
        _record(incident, Kind.CLOSED, actor=actor, from_status=from_status,
                message=f"Closed: {CloseOutcome(outcome).label.lower()}.", now=now)
    return incident


def incident_reassign(*, actor, incident: Incident, supplier: Supplier, reason: str,
                      now: dt.datetime | None = None) -> Incident:
    """The helpdesk assigns the incident to a Supplier, which starts a fresh deadline.

    Writes a ``reassigned`` event; emails the newly assigned Supplier and the raiser.
    """
    now = now or timezone.now()
    reason = _clean_text(reason, field="reason", required=True)
    _guard(bool(actor.is_helpdesk), "Only the DCC helpdesk reassigns incidents.")
    with transaction.atomic():
        incident = _locked(incident)
        if supplier.pk == incident.raising_supplier_id:
            raise IncidentError("bad_assignee",
                                "The raising Supplier cannot be assigned its own request.",
                                field="supplier")
        if incident.status not in (IncidentStatus.WITH_HELPDESK, IncidentStatus.AWAITING_INSTALLER):
            raise IncidentError("invalid_transition",
                                f"{incident.reference} is {incident.get_status_display().lower()}; "
                                "only a request awaiting an answer can be reassigned.")
        from_status = _move(incident, IncidentStatus.AWAITING_INSTALLER)
        incident.assigned_supplier = supplier
        incident.notified_at = now
        incident.due_at = answer_deadline(now)
        incident.updated_at = now
        incident.save(update_fields=["status", "assigned_supplier", "notified_at", "due_at",
                                     "updated_at"])
        _record(incident, Kind.REASSIGNED, actor=actor, from_status=from_status,
                message=f"Assigned to {supplier.name}: {reason}", now=now)
    return incident


def incident_add_note(*, actor, incident: Incident, text: str,
                      now: dt.datetime | None = None) -> IncidentEvent:
    """Add a note to an open incident. Writes a ``note`` event; emails the other side."""
    now = now or timezone.now()
    text = _clean_text(text, field="text", required=True)
    with transaction.atomic():
        incident = _locked(incident)
        _guard(permissions.is_raiser(actor, incident) or permissions.is_assignee(actor, incident)
               or actor.is_helpdesk, "You cannot add notes to this incident.")
        if not incident.is_open:
            raise IncidentError("closed", f"{incident.reference} is closed; notes can no longer be added.")
        incident.updated_at = now
        incident.save(update_fields=["updated_at"])
        return _record(incident, Kind.NOTE, actor=actor, from_status="", message=text, now=now)


def _clean_text(value: str, *, field: str, required: bool) -> str:
    value = (value or "").strip()
    if required and not value:
        raise IncidentError("required", "This field is required.", field=field)
    if len(value) > NOTE_MAX_LENGTH:
        raise IncidentError("too_long", f"Keep this under {NOTE_MAX_LENGTH} characters "
                            f"(it has {len(value)}).", field=field)
    if _LOOKS_LIKE_CODE.search(value):
        raise IncidentError(
            "contains_code",
            "This text looks like it contains an install code. Install codes are credentials: "
            "provide them only with the Answer form, never in free text.",
            field=field,
        )
    return value


# --- Events and their notifications -----------------------------------------------------------


def _record(incident: Incident, kind: str, *, actor, from_status: str, message: str,
            now: dt.datetime) -> IncidentEvent:
    event = IncidentEvent.objects.create(
        incident=incident, kind=kind, actor=actor,
        actor_supplier_id=getattr(actor, "supplier_id", None),
        from_status=from_status, to_status=incident.status if from_status or kind == Kind.RAISED else "",
        message=message, created_at=now,
    )
    _queue_notifications(incident, event)
    return event


def _contacts(supplier: Supplier | None) -> list[str]:
    return supplier.contact_emails if supplier else []


def _queue_notifications(incident: Incident, event: IncidentEvent) -> None:
    """Who hears of an event. Emails carry a link and the facts, never an install code."""
    if event.kind == Kind.CODE_REVEALED:
        return
    by_raiser = event.actor_supplier_id is not None and event.actor_supplier_id == incident.raising_supplier_id
    plan: list[tuple[str, list[str]]] = []
    if event.kind in (Kind.RAISED, Kind.REASSIGNED, Kind.CODE_FAILED):
        if incident.assigned_supplier_id:
            template = "incident_reopened" if event.kind == Kind.CODE_FAILED else "incident_assigned"
            plan.append((template, _contacts(incident.assigned_supplier)))
        else:
            plan.append(("incident_helpdesk", list(settings.HELPDESK_EMAILS)))
    if event.kind == Kind.NOT_INSTALLED:
        plan.append(("incident_helpdesk", list(settings.HELPDESK_EMAILS)))
    if not by_raiser and event.kind != Kind.RAISED:
        # Whoever else updates the request, the raiser hears of it.
        template = "incident_code_provided" if event.kind == Kind.CODE_PROVIDED else "incident_updated"
        plan.append((template, [incident.raised_by.email]))
    elif by_raiser and event.kind in (Kind.NOTE, Kind.CLOSED) and incident.assigned_supplier_id:
        template = "incident_closed" if event.kind == Kind.CLOSED else "incident_updated"
        plan.append((template, _contacts(incident.assigned_supplier)))

    if not plan:
        return
    context = {
        "reference": incident.reference,
        "device_id": incident.device.device_id,
        "device_type": incident.device.device_type,
        "status": incident.get_status_display(),
        "event": event.get_kind_display(),
        "actor_organisation": event.actor_organisation,
        "raising_supplier": incident.raising_supplier.name,
        "assigned_supplier": incident.assigned_supplier.name if incident.assigned_supplier_id else "",
        "due_at": timezone.localtime(incident.due_at).strftime("%A %d %B %Y, %H:%M")
        if incident.status == IncidentStatus.AWAITING_INSTALLER else "",
        "url": settings.PORTAL_BASE_URL.rstrip("/")
        + reverse("incidents:detail", kwargs={"public_id": incident.public_id}),
    }
    for template, recipients in plan:
        notification_queue(source=f"incident-event:{event.pk}", template=template,
                           recipients=recipients, context=context)
