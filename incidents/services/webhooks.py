"""Which webhook each kind of incident event sends, and to which Supplier: one table.

:mod:`.events` calls :class:`EventWebhooks` for every event it writes, on every path (one at a
time, lodged codes, bulk uploads, the deadline sweeps, the SMI and registration syncs), so
that the deliveries are written in the transaction of their events. The bulk jobs send
``bulk_job.finished`` when an upload ends (:func:`bulk_job_webhook`).

A payload is thin: the request's reference and id, its status and deadline, the event's id and
time, and links to the API resource and the portal page. Never an install code, a note's text
or a reason: the receiver reads the request through the API with its own credentials and
scopes. A note sends no webhook at all (its words are the whole of its news).
"""

import datetime as dt
import uuid
from collections.abc import Sequence
from enum import StrEnum
from typing import NamedTuple

from django.urls import reverse

from ssi_portal.lib.bulk_sql import in_values
from webhooks.models import WebhookEventType
from webhooks.services import (
    Subscriptions,
    WebhookItem,
    webhook_deliveries_queue,
    webhook_subscribed_sql,
    webhook_subscriptions,
)

from ..models import BulkUpload, Incident, IncidentEvent, reference_for
from .common import portal_url

Kind = IncidentEvent.Kind
Type = WebhookEventType
# The API's resources (the api app, a floor above, routes them here).
API_REQUEST_PATH = "/api/v1/requests/{}/"
API_BULK_JOB_PATH = "/api/v1/bulk-jobs/{}/"
_PLACEHOLDER = uuid.UUID(int=0)


class To(StrEnum):
    """Which Supplier of a request hears of an event."""

    ASSIGNEE = "assignee"  # the Supplier the request is assigned to, after the change
    RAISER = "raiser"  # the raising Supplier
    RAISER_IF_OTHERS_ACTED = "raiser_if_others_acted"  # the raiser, unless it made the change
    OTHER_PARTY = "other_party"  # of the raiser and the code's provider, the one that did not act


# kind of incident event → (webhook event type, who gets it). The recipes (.recipes) say who
# is emailed; here the Suppliers whose systems are told, by the same rules: the side that
# must act next, and the raiser whenever someone else changed its request.
WEBHOOKS: dict[str, tuple[str, tuple[To, ...]]] = {
    Kind.RAISED: (Type.REQUEST_RAISED, (To.ASSIGNEE,)),
    Kind.CODE_PROVIDED: (Type.REQUEST_ANSWERED, (To.RAISER,)),
    Kind.NOT_INSTALLED: (Type.REQUEST_DISCLAIMED, (To.RAISER,)),
    Kind.CODE_REVEALED: (Type.REQUEST_CODE_REVEALED, (To.OTHER_PARTY,)),
    # Back with the Supplier that gave the code: the request is assigned to it again.
    Kind.CODE_FAILED: (Type.REQUEST_CODE_FAILED, (To.ASSIGNEE,)),
    Kind.REASSIGNED: (Type.REQUEST_REASSIGNED, (To.ASSIGNEE, To.RAISER_IF_OTHERS_ACTED)),
    Kind.REMINDED: (Type.REQUEST_REMINDED, (To.ASSIGNEE,)),
    Kind.BREACHED: (Type.REQUEST_BREACHED, (To.ASSIGNEE, To.RAISER)),
    # Closed by the raiser: the assignee; by the portal (SMI or registration change): both.
    Kind.CLOSED: (Type.REQUEST_CLOSED, (To.ASSIGNEE, To.RAISER_IF_OTHERS_ACTED)),
}
FACT_FIELDS = (
    "pk",
    "public_id",
    "status",
    "due_at",
    "raising_supplier_id",
    "assigned_supplier_id",
    "code_provided_by_id",
)


class Facts(NamedTuple):
    """What a payload and its recipients need of a request, as it is after the change."""

    pk: int
    public_id: uuid.UUID
    status: str
    due_at: dt.datetime | None
    raising_supplier_id: int
    assigned_supplier_id: int | None
    code_provided_by_id: int | None

    @classmethod
    def of(cls, incident: Incident) -> "Facts":
        return cls(*(getattr(incident, name) for name in FACT_FIELDS))


def told(to: tuple[To, ...], facts: Facts, actor_supplier_id: int | None) -> list[int]:
    """The Suppliers an event is sent to, each once."""
    raiser, assignee = facts.raising_supplier_id, facts.assigned_supplier_id
    found: list[int | None] = []
    for who in to:
        if who == To.ASSIGNEE:
            found.append(assignee)
        elif who == To.RAISER:
            found.append(raiser)
        elif who == To.RAISER_IF_OTHERS_ACTED:
            found.append(raiser if actor_supplier_id != raiser else None)
        else:
            provider = facts.code_provided_by_id or assignee
            if actor_supplier_id == raiser:
                found.append(provider)
            elif actor_supplier_id == provider:
                found.append(raiser)
            else:
                found += [raiser, provider]
    return list(dict.fromkeys(pk for pk in found if pk))


def _iso(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z") if value else None


class _Links:
    """Absolute links, the URL pattern reversed once (not once per request of a batch)."""

    def __init__(self):
        self._page = portal_url(reverse("incidents:detail", kwargs={"public_id": _PLACEHOLDER}))
        self._api = portal_url(API_REQUEST_PATH.format(_PLACEHOLDER))

    def of(self, public_id: uuid.UUID) -> dict[str, str]:
        text = str(public_id)
        return {
            "self": self._api.replace(str(_PLACEHOLDER), text),
            "page": self._page.replace(str(_PLACEHOLDER), text),
        }


def request_data(facts: Facts, *, event_id: int, occurred_at: dt.datetime, links) -> dict:
    return {
        "reference": reference_for(facts.pk),
        "id": str(facts.public_id),
        "status": facts.status,
        "event_id": event_id,
        "occurred_at": _iso(occurred_at),
        "due_at": _iso(facts.due_at),
        "links": links.of(facts.public_id),
    }


def heard_sql(kind: str, incident: Incident) -> tuple[str, list]:
    """An SQL condition and its parameters (PostgreSQL): whether a live endpoint subscribes to
    the webhook of an event of ``kind`` on ``incident`` as it now is, that is whether
    :meth:`EventWebhooks.plan` would plan one; for a statement that reads it with others."""
    if kind not in WEBHOOKS:
        return "FALSE", []
    suppliers = (incident.raising_supplier_id, incident.assigned_supplier_id)
    return webhook_subscribed_sql(WEBHOOKS[kind][0], (*suppliers, incident.code_provided_by_id))


class EventWebhooks:
    """The webhooks of a batch of changes (``events.Change``): planned before the events are
    written (one query: is any endpoint subscribed?), queued once their ids are known."""

    def __init__(self, changes: Sequence, subscriptions: Subscriptions):
        self.changes = changes
        self.subscriptions = subscriptions

    @classmethod
    def plan(cls, changes: Sequence) -> "EventWebhooks | None":
        """None when no change sends a webhook or no live endpoint subscribes: then nothing
        more is read or written."""
        types = {WEBHOOKS[c.kind][0] for c in changes if c.kind in WEBHOOKS}
        if not types:
            return None
        supplier_ids: set[int] | None = set()
        for c in changes:
            if c.incident is None:
                supplier_ids = None  # a bulk path: the Suppliers are not at hand
                break
            i = c.incident
            supplier_ids |= {i.raising_supplier_id, i.assigned_supplier_id, i.code_provided_by_id}
        subscriptions = webhook_subscriptions(event_types=types, supplier_ids=supplier_ids)
        return cls(changes, subscriptions) if subscriptions else None

    def queue(self, event_ids: Sequence[int], *, now: dt.datetime) -> list[int]:
        """Write the deliveries of the changes, whose events got ``event_ids``."""
        facts = self._facts()
        links = _Links()
        items = []
        for change, event_id in zip(self.changes, event_ids, strict=True):
            if change.kind not in WEBHOOKS or change.incident_id not in facts:
                continue
            event_type, to = WEBHOOKS[change.kind]
            known = facts[change.incident_id]
            wanted = [
                s
                for s in told(to, known, change.actor_supplier_id)
                if self.subscriptions.wants(s, event_type)
            ]
            if not wanted:
                continue
            data = request_data(known, event_id=event_id, occurred_at=now, links=links)
            source = f"incident-event:{event_id}"
            items += [WebhookItem(s, event_type, source, data, now) for s in wanted]
        return webhook_deliveries_queue(items, now=now, subscriptions=self.subscriptions)

    def _facts(self) -> dict[int, Facts]:
        found = {c.incident_id: Facts.of(c.incident) for c in self.changes if c.incident}
        missing = {c.incident_id for c in self.changes if c.incident is None and c.kind in WEBHOOKS}
        if missing:
            rows = Incident.objects.filter(in_values("pk", sorted(missing), "bigint")).values_list(
                *FACT_FIELDS
            )
            found.update((row[0], Facts(*row)) for row in rows)
        return found


def bulk_job_webhook(upload: BulkUpload, *, status: str, now: dt.datetime) -> WebhookItem:
    """``bulk_job.finished`` for the uploader's Supplier: the job's id, kind, counts and
    links (never a row of the file, nor its name)."""
    page = portal_url(reverse("incidents:bulk_detail", kwargs={"public_id": upload.public_id}))
    data = {
        "id": str(upload.public_id),
        "kind": upload.kind,
        "status": status,
        "total_rows": upload.processed_rows,
        "accepted_rows": upload.accepted_rows,
        "refused_rows": upload.refused_rows,
        "occurred_at": _iso(now),
        "links": {"self": portal_url(API_BULK_JOB_PATH.format(upload.public_id)), "page": page},
    }
    return WebhookItem(
        upload.supplier_id, Type.BULK_JOB_FINISHED, f"bulk-upload:{upload.pk}", data, now
    )


def bulk_job_finished(upload: BulkUpload, *, status: str, now: dt.datetime) -> list[int]:
    """Queue ``bulk_job.finished`` in the transaction that ends the upload."""
    return webhook_deliveries_queue([bulk_job_webhook(upload, status=status, now=now)], now=now)
