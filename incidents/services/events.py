"""The event row every change writes, and the emails each kind of event sends."""

import datetime as dt

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from inventory.models import Supplier
from notifications.services import notification_queue

from ..models import Incident, IncidentEvent, IncidentStatus

Kind = IncidentEvent.Kind


def record_event(
    incident: Incident,
    kind: str,
    *,
    actor,
    from_status: str,
    message: str,
    now: dt.datetime,
    previous_assignee: Supplier | None = None,
) -> IncidentEvent:
    """Write the event of a change and, in the same transaction, the emails it sends.

    ``previous_assignee``: the Supplier a change took the incident away from, which is told so.
    """
    changed_status = bool(from_status) or kind == Kind.RAISED
    event = IncidentEvent.objects.create(
        incident=incident,
        kind=kind,
        actor=actor,
        actor_supplier_id=getattr(actor, "supplier_id", None),
        from_status=from_status,
        to_status=incident.status if changed_status else "",
        message=message,
        created_at=now,
    )
    _queue_notifications(incident, event, previous_assignee)
    return event


def _contacts(supplier: Supplier | None) -> list[str]:
    return supplier.contact_emails if supplier else []


def _helpdesk() -> list[str]:
    return list(settings.HELPDESK_EMAILS)


def _plan(incident: Incident, event: IncidentEvent, previous_assignee: Supplier | None):
    """(template, recipients) pairs: who hears of an event."""
    kind = event.kind
    by_raiser = (
        event.actor_supplier_id is not None
        and event.actor_supplier_id == incident.raising_supplier_id
    )
    if kind in (Kind.RAISED, Kind.REASSIGNED, Kind.CODE_FAILED):
        if incident.assigned_supplier_id:
            template = "incident_reopened" if kind == Kind.CODE_FAILED else "incident_assigned"
            yield template, _contacts(incident.assigned_supplier)
        else:
            yield "incident_helpdesk", _helpdesk()
    if kind == Kind.NOT_INSTALLED:
        yield "incident_helpdesk", _helpdesk()
    if previous_assignee and previous_assignee.pk != incident.assigned_supplier_id:
        yield "incident_unassigned", _contacts(previous_assignee)
    if not by_raiser and kind != Kind.RAISED:
        # Whoever else updates the request, the raiser hears of it.
        template = "incident_code_provided" if kind == Kind.CODE_PROVIDED else "incident_updated"
        yield template, [incident.raised_by.email]
    elif by_raiser and kind in (Kind.NOTE, Kind.CLOSED):
        # The side working the request hears of the raiser's notes and of the closing.
        template = "incident_closed" if kind == Kind.CLOSED else "incident_updated"
        if incident.assigned_supplier_id:
            yield template, _contacts(incident.assigned_supplier)
        elif event.from_status == IncidentStatus.WITH_HELPDESK or (
            kind == Kind.NOTE and incident.status == IncidentStatus.WITH_HELPDESK
        ):
            yield template, _helpdesk()


def _queue_notifications(
    incident: Incident, event: IncidentEvent, previous_assignee: Supplier | None
) -> None:
    """Emails carry a link and the facts of the request, never an install code."""
    if event.kind == Kind.CODE_REVEALED:
        return
    plan = list(_plan(incident, event, previous_assignee))
    if not plan:
        return
    awaiting = incident.status == IncidentStatus.AWAITING_INSTALLER
    context = {
        "reference": incident.reference,
        "device_id": incident.device.device_id,
        "device_type": incident.device.device_type,
        "status": incident.get_status_display(),
        "event": event.get_kind_display(),
        "actor_organisation": event.actor_organisation,
        "raising_supplier": incident.raising_supplier.name,
        "assigned_supplier": (
            incident.assigned_supplier.name if incident.assigned_supplier_id else ""
        ),
        "due_at": (
            timezone.localtime(incident.due_at).strftime("%A %d %B %Y, %H:%M") if awaiting else ""
        ),
        "url": settings.PORTAL_BASE_URL.rstrip("/")
        + reverse("incidents:detail", kwargs={"public_id": incident.public_id}),
    }
    for template, recipients in plan:
        notification_queue(
            source=f"incident-event:{event.pk}",
            template=template,
            recipients=recipients,
            context=context,
        )
