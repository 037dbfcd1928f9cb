"""Outbox rows for tests, and the passing of time as the outbox sees it."""

import datetime as dt

from django.db.models import F
from django.utils import timezone

from accounts.models import supplier_audience
from notifications.models import Notification

# What the incident services hand the outbox for an "assigned" email.
ASSIGNED_CONTEXT = {
    "reference": "INC0000042",
    "device_id": "00-DB-12-34-56-78-90-A0",
    "device_type": "ESME",
    "status": "Awaiting the installing Supplier",
    "event": "Raised",
    "actor_organisation": "Gaining Energy",
    "raising_supplier": "Gaining Energy",
    "assigned_supplier": "Installing Power",
    "due_at": "Friday 10 April 2026, 23:59",
    "url": "http://testserver/incidents/8d4c3f5e-0b7a-4a51-9a43-2f1d2c6b7e10/",
}

_sources = iter(range(1, 10**9))


def make_notification(
    *,
    status: str = Notification.Status.PENDING,
    recipient: str = "installs@installing.example",
    supplier=None,
    template: str = "incident_assigned",
    context: dict | None = None,
    age: dt.timedelta = dt.timedelta(0),
    now: dt.datetime | None = None,
    **fields,
) -> Notification:
    """A row written ``age`` before ``now`` (created and due then), with ``fields`` set after.

    ``created_at`` is set on insert, so the times are written with a second UPDATE.
    """
    now = now or timezone.now()
    row = Notification.objects.create(
        source=f"incident-event:{next(_sources)}",
        template=template,
        recipient=recipient,
        audience=supplier_audience(getattr(supplier, "pk", supplier)),
        context=context or ASSIGNED_CONTEXT,
    )
    values = {"created_at": now - age, "next_attempt_at": now - age, "status": status, **fields}
    Notification.objects.filter(pk=row.pk).update(**values)
    row.refresh_from_db()
    return row


def time_passes(delta: dt.timedelta) -> None:
    """Move every outbox time back by ``delta``: to the outbox, ``delta`` has gone by.

    For tests whose other half (a worker, another process) reads the real clock.
    """
    Notification.objects.update(
        created_at=F("created_at") - delta,
        next_attempt_at=F("next_attempt_at") - delta,
        claimed_at=F("claimed_at") - delta,
    )
