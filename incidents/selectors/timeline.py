"""The timeline of an incident, and what a user is told when the request moved on before
their action reached it."""

import datetime as dt
from typing import NamedTuple

from django.db import router
from django.utils import timezone

from ssi_portal.lib.compiled import CompiledQuery
from ssi_portal.lib.dates import month_names, short_date

from ..calendar import moment_text
from ..models import EventKind, Incident, IncidentEvent, IncidentStatus


def incident_timeline(incident: Incident, *, until: dt.datetime | None = None):
    """The incident's events, oldest first; ``until``: only those up to that moment."""
    events = incident.events.select_related("actor", "actor_supplier")
    if until is not None:
        events = events.filter(created_at__lte=until)
    return events.order_by("created_at", "id")


class TimelineEntry(NamedTuple):
    """What the incident's page shows of one event, worded here once: building an event, its
    actor and their Supplier as model instances and wording them by template filters was most
    of what a timeline cost."""

    kind: str  # EventKind: "code_provided"
    kind_label: str  # "Install code provided"
    now_status: str  # the status the event moved the request to, when that says more; or ""
    at_iso: str  # for <time datetime="...">, to the second
    at: str  # "3 Dec 2026, 14:05", UK time
    organisation: str  # the actor's Supplier, "DCC helpdesk" or "SSI Portal"
    actor: str  # the actor's name, "" for the portal itself
    message: str


_ENTRY_VALUES = (
    "kind",
    "from_status",
    "to_status",
    "message",
    "created_at",
    "actor_id",
    "actor__first_name",
    "actor__last_name",
    "actor__username",
    "actor_supplier__name",
)


def _entry_values(incident_id: int):
    return (
        IncidentEvent.objects.filter(incident_id=incident_id)
        .order_by("created_at", "id")
        .values_list(*_ENTRY_VALUES)
    )


_ENTRIES = CompiledQuery(_entry_values, kinds=(int,))
# The labels (translated when shown: str() of each) of the kinds and statuses.
_KINDS, _STATUSES = dict(EventKind.choices), dict(IncidentStatus.choices)


def incident_timeline_entries(
    incident: Incident, *, until: dt.datetime | None = None
) -> list[TimelineEntry]:
    """:func:`incident_timeline` as the incident's page words it, oldest first."""
    if until is None:
        rows = _ENTRIES.rows(incident.pk, using=router.db_for_read(IncidentEvent))
    else:
        rows = _entry_values(incident.pk).filter(created_at__lte=until)
    kinds, statuses = _KINDS, _STATUSES
    zone, months = timezone.get_current_timezone(), month_names()
    entries = []
    for kind, from_status, to_status, message, at, actor_id, first, last, username, org in rows:
        kind_label = kinds.get(kind, kind)
        now_status = statuses.get(to_status, to_status) if from_status != to_status else ""
        # As IncidentEvent.actor_organisation words it.
        organisation = "SSI Portal" if actor_id is None else org or "DCC helpdesk"
        local = at.astimezone(zone)
        entries.append(
            TimelineEntry(
                kind=kind,
                kind_label=str(kind_label),
                now_status="" if now_status == kind_label else str(now_status),
                at_iso=local.replace(microsecond=0).isoformat(),
                at=short_date(local, with_time=True, comma=True, zone=zone, months=months),
                organisation=organisation,
                actor="" if actor_id is None else (f"{first} {last}".strip() or username),
                message=message,
            )
        )
    return entries


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
