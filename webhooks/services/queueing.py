"""Writing deliveries to the outbox, in the transaction of the event they report.

The caller (``incidents.services.events`` for every incident event, the bulk jobs for their
end) hands over what happened and to which Supplier; this module knows no incident rule. It
finds the live endpoints that subscribe with one query, writes every delivery with one INSERT
(per 2,000 rows) and publishes their tasks once the transaction commits. Nothing at all is
written when no endpoint subscribes; a rolled-back transaction leaves no delivery behind.
"""

import base64
import datetime as dt
import json
import logging
import secrets
from collections import defaultdict
from collections.abc import Iterable
from typing import NamedTuple

from django.db import router

from ssi_portal.lib.compiled import CompiledInsert, CompiledQuery
from ssi_portal.lib.publish import publish_after_commit

from ..models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)

INSERT_BATCH_SIZE = 2000
# The deliveries of one change, written by an INSERT compiled once (bulk_create for a batch).
_FEW = 8
_DELIVERY_INSERT = CompiledInsert(WebhookDelivery, most=_FEW)


class WebhookItem(NamedTuple):
    """One event for one Supplier: its type, what it reports (``source``, e.g.
    ``incident-event:42``: one delivery per endpoint, source and type) and the ``data`` of its
    payload, which must be JSON and thin (identifiers, statuses, times and links: never an
    install code, a note or a reason)."""

    supplier_id: int
    event_type: str
    source: str
    data: dict
    occurred_at: dt.datetime


class Subscriptions:
    """The live endpoints of some Suppliers, by (Supplier, event type)."""

    def __init__(self, rows: Iterable[tuple[int, int, list]]):
        self._endpoints: dict[tuple[int, str], list[int]] = defaultdict(list)
        for endpoint_id, supplier_id, event_types in rows:
            for event_type in event_types or ():
                self._endpoints[(supplier_id, event_type)].append(endpoint_id)

    def __bool__(self) -> bool:
        return bool(self._endpoints)

    def endpoints(self, supplier_id: int | None, event_type: str) -> list[int]:
        return self._endpoints.get((supplier_id, event_type), [])

    def wants(self, supplier_id: int | None, event_type: str) -> bool:
        return bool(self.endpoints(supplier_id, event_type))


def _endpoints(supplier_ids: list[int] | None = None):
    endpoints = WebhookEndpoint.objects.filter(disabled_at__isnull=True)
    if supplier_ids is not None:
        endpoints = endpoints.filter(supplier_id__in=supplier_ids)
    return endpoints.order_by().values_list("pk", "supplier_id", "event_types")


# Every incident event asks this of its one to three Suppliers (the raiser, the assignee, the
# code's provider): compiled once for each number of them, not on every event.
_ENDPOINTS_OF = {
    count: CompiledQuery(lambda *ids: _endpoints(list(ids)), kinds=(int,) * count)
    for count in (1, 2, 3)
}


def webhook_subscriptions(
    *, event_types: Iterable[str], supplier_ids: Iterable[int] | None = None
) -> Subscriptions:
    """The live (not disabled) endpoints subscribed to any of ``event_types``, of the
    Suppliers named (of every Supplier when None): one query on a small table. The list of
    types is read in Python, the same on every database."""
    wanted = set(event_types)
    if not wanted:
        return Subscriptions([])
    if supplier_ids is None:
        rows = _endpoints()
    else:
        ids = sorted({pk for pk in supplier_ids if pk})
        if not ids:
            return Subscriptions([])
        compiled = _ENDPOINTS_OF.get(len(ids))
        if compiled is None:
            rows = _endpoints(ids)
        else:
            rows = compiled.rows(*ids, using=router.db_for_read(WebhookEndpoint))
    return Subscriptions(
        (pk, supplier_id, [t for t in types or () if t in wanted])
        for pk, supplier_id, types in rows
    )


def webhook_subscribed_sql(event_type: str, supplier_ids: Iterable[int]) -> tuple[str, list]:
    """An SQL condition and its parameters, for a statement that reads it with other things
    (PostgreSQL: the endpoints' types are ``jsonb``): whether any live endpoint of the
    Suppliers named subscribes to ``event_type``, that is whether
    :func:`webhook_subscriptions` of that type and those Suppliers finds any."""
    ids = sorted({pk for pk in supplier_ids if pk})
    if not ids:
        return "FALSE", []
    table = WebhookEndpoint._meta.db_table
    marks = ", ".join(["%s"] * len(ids))
    sql = (
        f"EXISTS (SELECT 1 FROM {table} WHERE disabled_at IS NULL "  # noqa: S608 (the model's table)
        f"AND supplier_id IN ({marks}) AND event_types @> %s::jsonb)"
    )
    return sql, [*ids, json.dumps([event_type])]


def message_id_new() -> str:
    """A Standard Webhooks message id: ``msg_`` and 24 random base32 characters (short of
    the 32 a log redacts as a session key)."""
    return "msg_" + base64.b32encode(secrets.token_bytes(15)).decode("ascii").lower()


def payload_of(item: WebhookItem) -> dict:
    return {
        "type": item.event_type,
        "timestamp": item.occurred_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        "data": item.data,
    }


def webhook_deliveries_queue(
    items: Iterable[WebhookItem],
    *,
    now: dt.datetime,
    subscriptions: Subscriptions | None = None,
) -> list[int]:
    """Write one pending delivery per item and subscribed endpoint, inside the caller's
    transaction, and publish their tasks after commit; return the new rows' ids.

    ``subscriptions``: the endpoints the caller has already read (one query saved); by
    default they are read here for the items' Suppliers and types.
    """
    items = list(items)
    if not items:
        return []
    if subscriptions is None:
        subscriptions = webhook_subscriptions(
            event_types={i.event_type for i in items}, supplier_ids={i.supplier_id for i in items}
        )
    rows = [
        WebhookDelivery(
            endpoint_id=endpoint_id,
            message_id=message_id_new(),
            source=item.source,
            event_type=item.event_type,
            payload=payload_of(item),
            status=DeliveryStatus.PENDING,
            next_attempt_at=now,
            queued_at=now,
            created_at=now,
        )
        for item in items
        for endpoint_id in subscriptions.endpoints(item.supplier_id, item.event_type)
    ]
    if not rows:
        return []
    if len(rows) <= _FEW:
        rows = _DELIVERY_INSERT.insert(rows)
    else:
        rows = WebhookDelivery.objects.bulk_create(rows, batch_size=INSERT_BATCH_SIZE)
    ids = [row.pk for row in rows]
    deliveries_publish(ids)
    return ids


def deliveries_publish(delivery_ids: list[int]) -> None:
    """Publish a delivery task per id after commit; with the broker down the rows stay
    pending and the sweep (``webhooks_requeue``) publishes them."""
    from ..tasks import deliver_webhook

    publish_after_commit(deliver_webhook, delivery_ids, what="webhook delivery", logger=logger)
