"""The timeline of an incident, and what a user is told when the request moved on before
their action reached it."""

import datetime as dt

from django.utils import timezone

from ..calendar import moment_text
from ..models import EventKind, Incident, IncidentEvent


def incident_timeline(incident: Incident, *, until: dt.datetime | None = None):
    """The incident's events, oldest first; ``until``: only those up to that moment."""
    events = incident.events.select_related("actor", "actor_supplier")
    if until is not None:
        events = events.filter(created_at__lte=until)
    return events.order_by("created_at", "id")


# Events that change an incident's state, and how a sentence says what they did to it.
_CHANGES = {
    EventKind.CODE_PROVIDED: "answered with the install code",
    EventKind.NOT_INSTALLED: "answered “not installed by us” and sent to the DCC helpdesk",
    EventKind.CODE_FAILED: "reported as a code that did not work and returned to the "
    "installing Supplier",
    EventKind.REASSIGNED: "reassigned",
    EventKind.CLOSED: "closed",
}


def incident_latest_change(
    incident: Incident, *, until: dt.datetime | None = None
) -> IncidentEvent | None:
    """The latest event that changed the incident's state (an answer, a closing...), up to
    ``until`` if given."""
    events = incident.events.filter(kind__in=_CHANGES)
    if until is not None:
        events = events.filter(created_at__lte=until)
    return events.select_related("actor", "actor_supplier").order_by("-created_at", "-id").first()


def incident_moved_on_message(
    incident: Incident, *, until: dt.datetime | None = None, now=None
) -> str | None:
    """What a user is told when the action it took was one it could take a moment ago but the
    request has moved on meanwhile (a second click, another tab, a colleague): who did what,
    and when. "INC0000008 was already answered with the install code at 10:02 by Ann Smith
    (Installing Power). Nothing was changed." None when nothing has moved the request on
    since it was raised. ``until``: say nothing of what happened after that moment (a Supplier
    that disclaimed the request is told of its own answer, not of who has the request now).
    """
    now = now or timezone.now()
    event = incident_latest_change(incident, until=until)
    if event is None:
        return None
    return (
        f"{incident.reference} was already {_CHANGES[event.kind]} at "
        f"{moment_text(event.created_at, now=now)} by {_who(event)}. Nothing was changed."
    )


def _who(event: IncidentEvent) -> str:
    if event.actor_id is None:
        return "the SSI Portal"
    name = event.actor.get_full_name() or event.actor.username
    return f"{name} ({event.actor_organisation})"
