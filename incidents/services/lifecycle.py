"""What happens to a request after it is raised: answers, reveals, reports, closing, notes and
reassignment by the helpdesk."""

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from accounts.models import SecurityEventKind, Supplier
from accounts.services import security_event_record
from inventory.identifiers import parse_install_code
from ssi_portal.lib.crypto import key_ring
from ssi_portal.lib.identifiers import IdentifierError
from ssi_portal.lib.working_days import WorkingDayCalendar

from ..models import (
    Assignment,
    AssignmentOutcome,
    CloseOutcome,
    Incident,
    IncidentEvent,
    IncidentStatus,
)
from ..permissions import incident_access
from .clock import (
    CLOCK_FIELDS,
    clock_pause,
    clock_record_start,
    clock_start,
    clock_stop,
    clock_stop_fields,
)
from .common import (
    IncidentError,
    clean_text,
    lock_incident,
    move_status,
    require,
    require_party,
)
from .events import record_event

Kind = IncidentEvent.Kind


ANSWER_FIELDS = [
    "status",
    "install_code_sealed",
    "code_provided_by",
    "code_provided_at",
    "updated_at",
]
NOT_INSTALLED_FIELDS = ["status", *CLOCK_FIELDS, "updated_at"]


@dataclass(frozen=True)
class Answer:
    """An answer applied to an incident held in memory, not yet written: the caller saves the
    incident's fields, ends the clock with ``clock_fields`` and writes the event."""

    from_status: str
    clock_fields: dict | None
    message: str


def answer_with_code(
    incident: Incident,
    *,
    supplier_id: int,
    code: bytes,
    now: dt.datetime,
    calendar: WorkingDayCalendar | None = None,
) -> Answer:
    """Apply the install code (16 bytes) to a locked incident awaiting ``supplier_id``'s answer.

    Shared by :func:`incident_answer`, the bulk answer and the answer from a lodged code. The
    code is sealed (AES-GCM, bound to this incident) before it reaches the database.
    """
    from_status = move_status(incident, IncidentStatus.CODE_PROVIDED)
    late = incident.due_at is not None and now > incident.due_at
    clock_fields = clock_stop_fields(
        incident, now=now, outcome=AssignmentOutcome.CODE_PROVIDED, calendar=calendar
    )
    incident.install_code_sealed = key_ring().seal(code, aad=incident.seal_context())
    incident.code_provided_by_id = supplier_id
    incident.code_provided_at = now
    incident.updated_at = now
    message = (
        "Install code provided late, after the deadline."
        if late
        else "Install code provided within the deadline."
    )
    return Answer(from_status, clock_fields, message)


def answer_not_installed(
    incident: Incident,
    *,
    reason: str,
    now: dt.datetime,
    calendar: WorkingDayCalendar | None = None,
) -> Answer:
    """Apply "not installed by us" to a locked incident: to the helpdesk, clock paused.

    ``reason`` is already cleaned (``clean_text``). Shared by
    :func:`incident_answer_not_installed` and the bulk answer.
    """
    from_status = move_status(incident, IncidentStatus.WITH_HELPDESK)
    previous = incident.assigned_supplier
    clock_fields = clock_stop_fields(
        incident, now=now, outcome=AssignmentOutcome.NOT_INSTALLED, calendar=calendar
    )
    paused = clock_pause(incident)
    incident.updated_at = now
    message = f"{previous.name} says it did not install this Device."
    if reason:
        message += f" Reason: {reason}"
    message += f" {paused}"
    return Answer(from_status, clock_fields, message)


def _api_call_record(actor, kind, incident: Incident, detail: str, now: dt.datetime) -> None:
    """An API client's answer or closing goes to the security log, under the client's name
    (a reveal is logged whoever reveals)."""
    if getattr(actor, "is_service_account", False):
        security_event_record(
            kind=kind, actor=actor, reference=incident.reference, detail=detail, now=now
        )


def _end_clock(incident: Incident, fields: dict | None) -> None:
    if fields:
        Assignment.objects.filter(incident=incident, ended_at__isnull=True).update(**fields)


def incident_answer(
    *, actor, incident: Incident, install_code: str, now: dt.datetime | None = None
) -> Incident:
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
        incident = lock_incident(incident)
        require(incident_access(actor, incident).answer, incident)
        answer = answer_with_code(incident, supplier_id=actor.supplier_id, code=code, now=now)
        _end_clock(incident, answer.clock_fields)
        incident.save(update_fields=ANSWER_FIELDS)
        record_event(
            incident,
            Kind.CODE_PROVIDED,
            actor=actor,
            from_status=answer.from_status,
            message=answer.message,
            now=now,
        )
        _api_call_record(actor, SecurityEventKind.API_ANSWERED, incident, answer.message, now)
    return incident


def not_installed_reason_clean(reason: str) -> str:
    """The reason given with "not installed by us", cleaned, or :class:`IncidentError` (too
    long, or it holds an install code): checked before the answer is confirmed, and again by
    :func:`incident_answer_not_installed`."""
    return clean_text(reason, field="reason", required=False)


def incident_answer_not_installed(
    *, actor, incident: Incident, reason: str = "", now: dt.datetime | None = None
) -> Incident:
    """The assigned Supplier says it did not install the Device: the helpdesk must reassign.

    The deadline clock pauses (``due_at`` cleared) until the helpdesk assigns a Supplier.
    Writes a ``not_installed`` event; emails the helpdesk and the raiser.
    """
    now = now or timezone.now()
    reason = not_installed_reason_clean(reason)
    with transaction.atomic():
        incident = lock_incident(incident)
        require(incident_access(actor, incident).disclaim, incident)
        answer = answer_not_installed(incident, reason=reason, now=now)
        _end_clock(incident, answer.clock_fields)
        incident.save(update_fields=NOT_INSTALLED_FIELDS)
        record_event(
            incident,
            Kind.NOT_INSTALLED,
            actor=actor,
            from_status=answer.from_status,
            message=answer.message,
            now=now,
        )
        _api_call_record(
            actor, SecurityEventKind.API_ANSWERED, incident, "Answered: not installed by us.", now
        )
    return incident


def incident_reveal_code(*, actor, incident: Incident, now: dt.datetime | None = None) -> bytes:
    """Return the install code to a user entitled to it, and record that it was revealed.

    Allowed as ``incident_access(...).reveal`` says: users of the raising Supplier with the
    role to raise, and users of the Supplier that provided the code with the role to answer.
    Writes a ``code_revealed`` event; sends no email.
    """
    now = now or timezone.now()
    with transaction.atomic():
        incident = lock_incident(incident)
        require(incident_access(actor, incident).reveal, incident)
        code = key_ring().open(incident.install_code_sealed, aad=incident.seal_context())
        record_event(
            incident,
            Kind.CODE_REVEALED,
            actor=actor,
            from_status="",
            message="Install code revealed.",
            now=now,
        )
        security_event_record(
            kind=SecurityEventKind.CODE_REVEALED, actor=actor, reference=incident.reference
        )
    return code


def incident_report_code_failed(
    *, actor, incident: Incident, reason: str, now: dt.datetime | None = None
) -> Incident:
    """The raiser reports that the code did not work: back to the installing Supplier.

    The failed code is discarded and a fresh five-Working-Day deadline starts.
    Writes a ``code_failed`` event; emails the assigned Supplier.
    """
    now = now or timezone.now()
    reason = clean_text(reason, field="reason", required=True)
    with transaction.atomic():
        incident = lock_incident(incident)
        require(incident_access(actor, incident).code_failed, incident)
        from_status = move_status(incident, IncidentStatus.AWAITING_INSTALLER)
        incident.install_code_sealed = None
        incident.code_provided_by = None
        incident.code_provided_at = None
        started = clock_start(incident, incident.assigned_supplier, now=now)
        incident.updated_at = now
        incident.save(
            update_fields=[
                "status",
                "install_code_sealed",
                "code_provided_by",
                "code_provided_at",
                *CLOCK_FIELDS,
                "updated_at",
            ]
        )
        clock_record_start(incident)
        record_event(
            incident,
            Kind.CODE_FAILED,
            actor=actor,
            from_status=from_status,
            message=f"The install code did not work: {reason} {started}",
            now=now,
        )
    return incident


CLOSE_FIELDS = ["status", "close_outcome", "closed_at", "updated_at"]


def apply_close(incident: Incident, *, outcome: str, now: dt.datetime) -> str:
    """Close a locked incident held in memory with ``outcome`` (the raiser's
    ``CloseOutcome`` or the portal's ``PortalCloseOutcome``); return the status it left.

    Shared by :func:`incident_close` and the portal's closing after an SMI or registration
    change: the caller writes ``CLOSE_FIELDS``, ends the running clock and writes the event.
    """
    from_status = move_status(incident, IncidentStatus.CLOSED)
    incident.close_outcome = outcome
    incident.closed_at = now
    incident.updated_at = now
    return from_status


def incident_close(
    *, actor, incident: Incident, outcome: str, now: dt.datetime | None = None
) -> Incident:
    """Close the incident. Only users of the raising Supplier may.

    ``code_worked`` needs a provided code; ``no_longer_needed`` withdraws an open request.
    Writes a ``closed`` event; emails the assigned Supplier.
    """
    now = now or timezone.now()
    if outcome not in CloseOutcome.values:
        raise IncidentError(
            "bad_outcome", "Choose why you are closing the request.", field="outcome"
        )
    with transaction.atomic():
        incident = lock_incident(incident)
        access = incident_access(actor, incident).close
        require_party(access)
        if outcome == CloseOutcome.CODE_WORKED and incident.status != IncidentStatus.CODE_PROVIDED:
            raise IncidentError(
                "bad_outcome",
                "No install code has been provided yet, so it cannot have worked.",
                field="outcome",
            )
        require(access, incident)
        from_status = apply_close(incident, outcome=outcome, now=now)
        if from_status == IncidentStatus.AWAITING_INSTALLER:
            clock_stop(incident, now=now, outcome=AssignmentOutcome.WITHDRAWN)
        incident.save(update_fields=CLOSE_FIELDS)
        record_event(
            incident,
            Kind.CLOSED,
            actor=actor,
            from_status=from_status,
            message=f"Closed: {CloseOutcome(outcome).label.lower()}.",
            now=now,
        )
        _api_call_record(
            actor,
            SecurityEventKind.API_CLOSED,
            incident,
            f"Closed: {CloseOutcome(outcome).label.lower()}.",
            now,
        )
    return incident


def incident_reassign(
    *, actor, incident: Incident, supplier: Supplier, reason: str, now: dt.datetime | None = None
) -> Incident:
    """The helpdesk assigns the incident to a Supplier, which starts a fresh deadline.

    Writes a ``reassigned`` event; emails the newly assigned Supplier and the raiser.
    """
    now = now or timezone.now()
    reason = clean_text(reason, field="reason", required=True)
    require_party(incident_access(actor, incident).reassign)
    with transaction.atomic():
        incident = lock_incident(incident)
        if supplier.pk == incident.raising_supplier_id:
            raise IncidentError(
                "bad_assignee",
                "The raising Supplier cannot be assigned its own request.",
                field="supplier",
            )
        require(incident_access(actor, incident).reassign, incident)
        from_status = move_status(incident, IncidentStatus.AWAITING_INSTALLER)
        previous_assignee = incident.assigned_supplier
        clock_stop(incident, now=now, outcome=AssignmentOutcome.REASSIGNED)
        started = clock_start(incident, supplier, now=now)
        incident.updated_at = now
        incident.save(update_fields=["status", *CLOCK_FIELDS, "updated_at"])
        clock_record_start(incident)
        record_event(
            incident,
            Kind.REASSIGNED,
            actor=actor,
            from_status=from_status,
            message=f"Assigned to {supplier.name}: {reason} {started}",
            now=now,
            previous_assignee=previous_assignee,
        )
        security_event_record(
            kind=SecurityEventKind.REASSIGNED,
            actor=actor,
            reference=incident.reference,
            detail=f"Assigned to {supplier.name}.",
        )
    return incident


def incident_add_note(
    *, actor, incident: Incident, text: str, now: dt.datetime | None = None
) -> IncidentEvent:
    """Add a note to an open incident. Writes a ``note`` event; emails the other side."""
    now = now or timezone.now()
    text = clean_text(text, field="text", required=True)
    with transaction.atomic():
        incident = lock_incident(incident)
        require(incident_access(actor, incident).note, incident)
        incident.updated_at = now
        incident.save(update_fields=["updated_at"])
        return record_event(incident, Kind.NOTE, actor=actor, from_status="", message=text, now=now)
