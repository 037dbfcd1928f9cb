"""One recipe per kind of incident event: the status it moves the request to, who hears of it
and with which email, and the summary a bulk job or a deadline sweep sends instead of one
email per request.

:mod:`.events` writes every event and plans its emails from here, for the single, lodged-code
and sweep paths alike; a bulk upload's digests (``bulk.raising``, ``bulk.answering``) take their
templates from the same recipe, one email per organisation told rather than one per request,
and so do the deadline sweeps' (:mod:`.digests`).
"""

from collections.abc import Callable, Iterator
from enum import StrEnum
from typing import NamedTuple

from accounts.models import Supplier

from ..models import Incident, IncidentEvent, IncidentStatus

Kind = IncidentEvent.Kind
Status = IncidentStatus


class Audience(StrEnum):
    """Who is told of an event."""

    ASSIGNEE = "assignee"  # the contact addresses of the Supplier the request is assigned to
    RAISER = "raiser"  # the user who raised it
    HELPDESK = "helpdesk"  # the DCC helpdesk
    PREVIOUS_ASSIGNEE = "previous_assignee"  # the Supplier a change took it away from


# (template, audience) pairs, in the order the emails are written.
Told = Iterator[tuple[str, Audience]]
Teller = Callable[[Incident, IncidentEvent, Supplier | None], Told]


class Recipe(NamedTuple):
    moves_to: frozenset[str]  # the statuses the change may move the request to; none: no move
    tells: Teller
    # A bulk upload's or a sweep's summary instead: the template each audience gets, once per
    # organisation.
    digest: dict[Audience, str] = {}


def _by_raiser(incident: Incident, event: IncidentEvent) -> bool:
    return (
        event.actor_supplier_id is not None
        and event.actor_supplier_id == incident.raising_supplier_id
    )


def _unassigned(incident: Incident, previous: Supplier | None) -> Told:
    if previous and previous.pk != incident.assigned_supplier_id:
        yield "incident_unassigned", Audience.PREVIOUS_ASSIGNEE


def _raiser_hears(incident: Incident, event: IncidentEvent, template: str) -> Told:
    # Whoever else updates the request, the raiser hears of it.
    if not _by_raiser(incident, event):
        yield template, Audience.RAISER


def _assignee_or_helpdesk(incident: Incident, template: str, *, helpdesk: bool) -> Told:
    if incident.assigned_supplier_id:
        yield template, Audience.ASSIGNEE
    elif helpdesk:
        yield template, Audience.HELPDESK


def _raised(incident, event, previous) -> Told:
    if not incident.assigned_supplier_id:
        yield "incident_helpdesk", Audience.HELPDESK
    elif incident.status == Status.AWAITING_INSTALLER:
        # (An assignee no longer awaited was answered at once from its lodged code.)
        yield "incident_assigned", Audience.ASSIGNEE
    yield from _unassigned(incident, previous)


def _reassigned(incident, event, previous) -> Told:
    if incident.assigned_supplier_id:
        yield "incident_assigned", Audience.ASSIGNEE
    else:
        yield "incident_helpdesk", Audience.HELPDESK
    yield from _unassigned(incident, previous)
    yield from _raiser_hears(incident, event, "incident_updated")


def _code_failed(incident, event, previous) -> Told:
    if incident.assigned_supplier_id:
        yield "incident_reopened", Audience.ASSIGNEE
    else:
        yield "incident_helpdesk", Audience.HELPDESK
    yield from _unassigned(incident, previous)
    yield from _raiser_hears(incident, event, "incident_updated")


def _code_provided(incident, event, previous) -> Told:
    yield from _unassigned(incident, previous)
    yield from _raiser_hears(incident, event, "incident_code_provided")
    if event.actor_id is None and incident.assigned_supplier_id:
        # Answered by the portal from the code the installing Supplier lodged in advance.
        yield "lodged_code_used", Audience.ASSIGNEE


def _not_installed(incident, event, previous) -> Told:
    yield "incident_helpdesk", Audience.HELPDESK
    yield from _unassigned(incident, previous)
    yield from _raiser_hears(incident, event, "incident_updated")


def _note(incident, event, previous) -> Told:
    yield from _unassigned(incident, previous)
    if not _by_raiser(incident, event):
        yield "incident_updated", Audience.RAISER
    else:
        # The side working the request hears of the raiser's notes.
        held = Status.WITH_HELPDESK in (event.from_status, incident.status)
        yield from _assignee_or_helpdesk(incident, "incident_updated", helpdesk=held)


def _closed(incident, event, previous) -> Told:
    if event.actor_id is None:
        # Closed by the portal after an SMI or registration change: both sides hear why.
        yield "incident_cancelled", Audience.RAISER
        held = event.from_status == Status.WITH_HELPDESK
        yield from _assignee_or_helpdesk(incident, "incident_cancelled", helpdesk=held)
        return
    yield from _unassigned(incident, previous)
    if not _by_raiser(incident, event):
        yield "incident_updated", Audience.RAISER
    else:
        # The side working the request hears that it is closed.
        held = event.from_status == Status.WITH_HELPDESK
        yield from _assignee_or_helpdesk(incident, "incident_closed", helpdesk=held)


def _nobody(incident, event, previous) -> Told:
    return iter(())


RECIPES: dict[str, Recipe] = {
    Kind.RAISED: Recipe(
        frozenset({Status.AWAITING_INSTALLER, Status.WITH_HELPDESK}),
        _raised,
        digest={
            Audience.ASSIGNEE: "bulk_requests_assigned",
            Audience.HELPDESK: "bulk_helpdesk",
        },
    ),
    Kind.CODE_PROVIDED: Recipe(
        frozenset({Status.CODE_PROVIDED}),
        _code_provided,
        digest={Audience.RAISER: "bulk_codes_provided"},
    ),
    Kind.NOT_INSTALLED: Recipe(
        frozenset({Status.WITH_HELPDESK}),
        _not_installed,
        digest={Audience.RAISER: "bulk_codes_provided", Audience.HELPDESK: "bulk_helpdesk"},
    ),
    Kind.CODE_FAILED: Recipe(frozenset({Status.AWAITING_INSTALLER}), _code_failed),
    Kind.REASSIGNED: Recipe(frozenset({Status.AWAITING_INSTALLER}), _reassigned),
    Kind.CLOSED: Recipe(frozenset({Status.CLOSED}), _closed),
    Kind.NOTE: Recipe(frozenset(), _note),
    # The deadline sweeps tell each organisation once per sweep (.digests), never per request.
    Kind.REMINDED: Recipe(
        frozenset(), _nobody, digest={Audience.ASSIGNEE: "deadline_reminder_digest"}
    ),
    Kind.BREACHED: Recipe(
        frozenset(),
        _nobody,
        digest={
            Audience.ASSIGNEE: "deadline_breached_installer",
            Audience.RAISER: "deadline_breached_raiser",
            Audience.HELPDESK: "deadline_breached_helpdesk",
        },
    ),
    # A reveal is in the timeline and the security log; nobody is emailed.
    Kind.CODE_REVEALED: Recipe(frozenset(), _nobody),
}
