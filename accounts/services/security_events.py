"""The append-only log of security events, which the DCC helpdesk reads in the admin."""

import datetime as dt

from django.utils import timezone

from ..audit import client_ip
from ..models import SecurityEvent, SecurityEventKind


def security_event_record(
    *,
    kind: SecurityEventKind | str,
    actor=None,
    request=None,
    detail: str = "",
    reference: str = "",
    username: str = "",
    supplier=None,
    now: dt.datetime | None = None,
) -> SecurityEvent:
    """Append one event to the security log and return it.

    ``actor``: the signed-in user who acted (None for a failed login or the system); the row
    keeps the actor's username and organisation as they were. ``request``: for the client's
    address, where there is one. ``username`` / ``supplier``: for an event with no actor, the
    account an attempt named and its organisation. ``reference``: what the event is about (an
    incident reference, ``user:42``). ``detail`` is shown to the helpdesk: it must never hold a
    secret (password, code, token, install code).

    Call it inside the transaction of the change it records, so the change and its record
    commit or vanish together. Writes one row; queues nothing.
    """
    kind = SecurityEventKind(kind)
    if actor is not None and not actor.is_authenticated:
        actor = None
    if actor is not None:
        # An API client is named as its administrators named it.
        if getattr(actor, "is_service_account", False):
            username = username or f"{actor.get_full_name()} (API client)"
        username = username or actor.get_username()
        supplier = supplier if supplier is not None else actor.supplier_id
    return SecurityEvent.objects.create(
        kind=kind,
        created_at=now or timezone.now(),
        actor_id=actor.pk if actor is not None else None,
        actor_supplier_id=getattr(supplier, "pk", supplier),
        username=username[:150],
        ip_address=client_ip(request) if request is not None else None,
        detail=detail[:500],
        reference=reference[:120],
    )
