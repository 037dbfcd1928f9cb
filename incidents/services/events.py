"""The one door of the audit trail: every incident event, single or by the batch, is written
here, and here it is decided who hears of it: by email (the recipes) and by webhook (the
table in :mod:`.webhooks`), both in the transaction of the event. Emails and webhooks carry a
link and the facts of the request, never an install code."""

import datetime as dt
from collections.abc import Sequence
from typing import NamedTuple

from django.conf import settings
from django.db import connections, router

from accounts.models import Supplier, supplier_audience
from notifications.models import Notification
from notifications.services import (
    QueueItem,
    notification_queue_many,
    notification_rows,
    notifications_publish_after_commit,
)
from ssi_portal.lib.bulk_sql import RowMaker, insert_rows
from ssi_portal.lib.compiled import CompiledInsert

from ..calendar import deadline_text
from ..models import Incident, IncidentEvent, IncidentStatus
from ..paths import incident_path
from .common import portal_url
from .recipes import RECIPES, Audience
from .webhooks import EventWebhooks

Kind = IncidentEvent.Kind
EVENTS = RowMaker(IncidentEvent)
# The one or two events of a change (bulk_create beyond a few).
_EVENT_INSERT = CompiledInsert(IncidentEvent)
_NOTIFICATION_INSERT = CompiledInsert(Notification)


class Change(NamedTuple):
    """One event to write: what changed (the columns of its row but its time) and, for its
    emails, the incident as it now is and the Supplier the change took it away from."""

    incident_id: int
    kind: str
    actor_id: int | None
    actor_supplier_id: int | None
    from_status: str
    to_status: str
    message: str
    incident: Incident | None = None
    previous_assignee: Supplier | None = None
    # The actor's organisation as loaded: the emails name it (the id alone would cost a query).
    actor_supplier: Supplier | None = None


def change_of(
    incident: Incident,
    kind: str,
    *,
    actor,
    from_status: str,
    message: str,
    previous_assignee: Supplier | None = None,
) -> Change:
    """The change just made to ``incident`` (held in memory), as it stands now: an event
    whose recipe moves the status records the status it moved to."""
    moves_to = RECIPES[kind].moves_to
    if moves_to and incident.status not in moves_to:
        raise ValueError(f"A {kind} event cannot record a move to {incident.status}.")
    supplier = actor.supplier if actor is not None and getattr(actor, "supplier_id", None) else None
    return Change(
        incident_id=incident.pk,
        kind=kind,
        actor_id=actor.pk if actor is not None else None,
        actor_supplier_id=supplier.pk if supplier else None,
        from_status=from_status,
        to_status=incident.status if moves_to else "",
        message=message,
        incident=incident,
        previous_assignee=previous_assignee,
        actor_supplier=supplier,
    )


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
    change = change_of(
        incident,
        kind,
        actor=actor,
        from_status=from_status,
        message=message,
        previous_assignee=previous_assignee,
    )
    return record_events([change], now=now)[0]


def record_events(
    changes: Sequence[Change],
    *,
    now: dt.datetime,
    emails: bool = True,
    context: dict | None = None,
) -> list[IncidentEvent]:
    """Write the events of many changes at once, inside the caller's transaction: one INSERT
    for the events and one for their emails, whatever their number.

    ``emails``: each event sends the emails :func:`event_notifications` plans for it (each
    change then carries its incident, loaded with its Device, Suppliers, raiser and the
    assignee's contacts). ``False`` for a bulk upload, which tells each organisation once in a
    digest when it finishes: the events are then streamed to the table (``COPY`` on
    PostgreSQL) and none is returned. ``context``: added to every email's context.

    Either way the webhook deliveries of the events are written too: one query finds whether
    any endpoint subscribes, and when none does nothing more is read or written (the events'
    ids are then not even asked for).
    """
    if not changes:
        return []
    webhooks = EventWebhooks.plan(changes)
    if not emails:
        ids = insert_rows(
            IncidentEvent,
            EVENTS.fields,
            [
                EVENTS(
                    incident_id=c.incident_id,
                    kind=c.kind,
                    actor_id=c.actor_id,
                    actor_supplier_id=c.actor_supplier_id,
                    from_status=c.from_status,
                    to_status=c.to_status,
                    message=c.message,
                    created_at=now,
                )
                for c in changes
            ],
            with_ids=webhooks is not None,
        )
        if webhooks is not None:
            webhooks.queue(ids, now=now)
        return []
    events = _EVENT_INSERT.insert([event_row(c, now=now) for c in changes])
    notification_queue_many(
        item
        for c, event in zip(changes, events, strict=True)
        for item in event_notifications(c.incident, event, c.previous_assignee, context)
    )
    if webhooks is not None:
        webhooks.queue([event.pk for event in events], now=now)
    return events


def event_row(change: Change, *, now: dt.datetime) -> IncidentEvent:
    """The unsaved event of ``change`` (which carries its incident), as it is written."""
    return IncidentEvent(
        incident=change.incident,
        kind=change.kind,
        actor_id=change.actor_id,
        **(
            {"actor_supplier": change.actor_supplier}
            if change.actor_supplier is not None
            else {"actor_supplier_id": change.actor_supplier_id}
        ),
        from_status=change.from_status,
        to_status=change.to_status,
        message=change.message,
        created_at=now,
    )


def record_event_with(
    change: Change, *, now: dt.datetime, writes: Sequence[tuple[str, list]] = ()
) -> IncidentEvent:
    """:func:`record_events` for one change of which no webhook endpoint hears (the caller
    found none in its transaction), on PostgreSQL: the event, its emails and the caller's
    ``writes`` (INSERTs that return nothing: SQL and parameters) in one statement, one round
    trip instead of one each. The same rows as :func:`record_events` writes; the emails'
    tasks are published after commit as theirs are."""
    connection = connections[router.db_for_write(IncidentEvent)]
    event = event_row(change, now=now)
    rows = notification_rows(event_notifications(change.incident, event))
    # Each email names its event's id, known only once the event is written: read from the
    # event's part of the same statement.
    source = {"source": "(SELECT 'incident-event:' || id FROM e)"}
    event_params = _EVENT_INSERT.params([event], connection)
    email_params = _NOTIFICATION_INSERT.params(rows, connection, computed=source)
    if event_params is None or email_params is None:  # a database default: the ORM's way
        with connection.cursor() as cursor:
            for sql, values in writes:
                cursor.execute(sql, values)
        return record_events([change], now=now)[0]
    parts = [f"w{n} AS ({sql})" for n, (sql, _) in enumerate(writes)]
    params = [value for _, values in writes for value in values]
    parts.append(f"e AS ({_EVENT_INSERT.sql(connection, 1)})")
    params += event_params
    final = "SELECT (SELECT id FROM e), NULL::bigint[]"
    if rows:
        parts.append(f"n AS ({_NOTIFICATION_INSERT.sql(connection, len(rows), computed=source)})")
        params += email_params
        final = "SELECT (SELECT id FROM e), (SELECT array_agg(id ORDER BY id) FROM n)"
    with connection.cursor() as cursor:
        cursor.execute(f"WITH {', '.join(parts)} {final}", params)  # noqa: S608 (the models' names)
        event_id, notification_ids = cursor.fetchone()
    event.pk = event_id
    event._state.adding, event._state.db = False, connection.alias
    for row, pk in zip(rows, notification_ids or (), strict=True):
        row.pk = pk
        row._state.adding, row._state.db = False, connection.alias
    notifications_publish_after_commit(notification_ids or [])
    return event


def _contacts(supplier: Supplier | None) -> tuple[list[str], int | None]:
    return (supplier.contact_emails, supplier.pk) if supplier else ([], None)


def _helpdesk() -> tuple[list[str], None]:
    return list(settings.HELPDESK_EMAILS), None


def _raiser(incident: Incident) -> tuple[list[str], int]:
    return [incident.raised_by.email], incident.raising_supplier_id


def _plan(incident: Incident, event: IncidentEvent, previous_assignee: Supplier | None):
    """(template, (recipients, their Supplier's id)) pairs: who hears of an event, as its
    kind's recipe says."""
    assignee = incident.assigned_supplier if incident.assigned_supplier_id else None
    for template, audience in RECIPES[event.kind].tells(incident, event, previous_assignee):
        if audience == Audience.ASSIGNEE:
            yield template, _contacts(assignee)
        elif audience == Audience.PREVIOUS_ASSIGNEE:
            yield template, _contacts(previous_assignee)
        elif audience == Audience.RAISER:
            yield template, _raiser(incident)
        else:
            yield template, _helpdesk()


def event_notifications(
    incident: Incident,
    event: IncidentEvent,
    previous_assignee: Supplier | None = None,
    extra_context: dict | None = None,
) -> list[QueueItem]:
    """The outbox items of an event: (source, template, recipients, context, Supplier id),
    each address once per template. ``extra_context`` is added to the emails' context."""
    seen: set[tuple[str, str]] = set()
    planned: dict[tuple[str, int | None], list[str]] = {}
    for template, (recipients, supplier_id) in _plan(incident, event, previous_assignee):
        for address in recipients:
            key = (template, address.strip().lower())
            if address and key not in seen:
                seen.add(key)
                planned.setdefault((template, supplier_id), []).append(address)
    if not planned:
        return []
    context = {**_context(incident, event), **(extra_context or {})}
    if event.kind == Kind.CLOSED and event.actor_id is None:
        context["reason"] = event.message  # why the portal closed it
    source = f"incident-event:{event.pk}"
    return [
        (source, template, recipients, context, supplier_audience(supplier_id))
        for (template, supplier_id), recipients in planned.items()
    ]


def _context(incident: Incident, event: IncidentEvent) -> dict:
    awaiting = incident.status == IncidentStatus.AWAITING_INSTALLER
    return {
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
        # "the end of Tuesday 8 December, UK time": emails say "due by" before it.
        "due_at": (
            deadline_text(incident.due_at, now=event.created_at)
            if awaiting and incident.due_at
            else ""
        ),
        "what_happened": _what_happened(incident, event),
        "url": portal_url(incident_path(incident.public_id)),
    }


def _what_happened(incident: Incident, event: IncidentEvent) -> str:
    """The event as the end of a sentence ("… needs the DCC helpdesk: <this>."): its kind's
    label is a heading ("Raised"), not words for the middle of a sentence."""
    who = event.actor_organisation
    if not event.actor_supplier_id:
        who = f"the {who}"  # the DCC helpdesk, the SSI Portal
    assignee = incident.assigned_supplier.name if incident.assigned_supplier_id else ""
    return {
        Kind.RAISED: (
            f"{who} raised it, and the SMI names no installing Supplier"
            if not incident.assigned_supplier_id
            else f"{who} raised it"
        ),
        Kind.CODE_PROVIDED: f"{who} provided the install code",
        Kind.NOT_INSTALLED: f"{who} says it did not install the Device",
        Kind.CODE_FAILED: f"{who} reports that the install code did not work",
        Kind.REASSIGNED: f"{who} assigned it to {assignee or 'another Supplier'}",
        Kind.REMINDED: "the answer is due soon",
        Kind.BREACHED: "the deadline passed without an answer",
        Kind.NOTE: f"{who} added a note",
        Kind.CLOSED: f"{who} closed it",
    }.get(event.kind, event.get_kind_display())
