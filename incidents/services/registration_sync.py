"""Cancelling the requests whose raiser the registration data no longer names.

A request raised under the registration check records the meter point its raiser was
registered for (``Incident.registration_mpxn``). When the registration of that meter point
moves to another Supplier (a change of Supplier loaded from the registration services, or a
future-dated one whose day has come) or the raiser's registration ends, the raiser is no longer
entitled to the install code: the portal cancels the request, says why on its timeline, deletes
an install code already provided, and tells both sides.

Requests raised without the check (``SSI_REGISTRATION_CHECK=off``, or a ``warn`` raise by a
Supplier that was not registered) have no recorded meter point and are left alone: their
registration did not move, it never named the raiser.

Run after each registration load (``manage.py load_registrations``) and hourly by Celery beat,
which catches future-dated registrations on their day. Set-based, safe to run twice or
concurrently (``SKIP LOCKED`` batches; a second run finds nothing).
"""

import datetime as dt

from django.db.models import F, OuterRef, Q, Subquery
from django.utils import timezone

from inventory.models import Registration
from inventory.selectors.registrations import registration_day

from ..models import OPEN_STATUSES, Incident, PortalCloseOutcome
from .entitlement import OFF, registration_mode
from .smi_sync import BATCH_SIZE, portal_close_all


def incidents_moved_registration(*, now: dt.datetime):
    """Open requests whose recorded meter point's registration today names another Supplier
    than the raiser, or whose raiser's registration has ended."""
    day = registration_day(now)
    current = Registration.objects.filter(
        mpxn=OuterRef("registration_mpxn"), effective_from__lte=day
    ).order_by("-effective_from")
    return (
        Incident.objects.filter(status__in=OPEN_STATUSES)
        .exclude(registration_mpxn="")
        .annotate(
            registered_supplier=Subquery(current.values("supplier_id")[:1]),
            registered_until=Subquery(current.values("effective_to")[:1]),
        )
        .filter(
            (Q(registered_supplier__isnull=False) & ~Q(registered_supplier=F("raising_supplier")))
            | Q(registered_until__lt=day)
        )
    )


def incidents_cancel_registration_moved(
    *, now: dt.datetime | None = None, batch_size: int = BATCH_SIZE
) -> int:
    """Cancel every open request whose raiser is no longer the registered Supplier of the
    meter point that entitled it (outcome ``registration_moved``). The running clock ends as
    ``withdrawn``; a provided install code is deleted at once (security log entry); one
    ``closed`` event each (no actor: the portal); the raiser and the assigned Supplier (or the
    helpdesk) are emailed. Does nothing when ``SSI_REGISTRATION_CHECK`` is ``off``. Returns how
    many requests were cancelled."""
    if registration_mode() == OFF:
        return 0
    now = now or timezone.now()
    return portal_close_all(
        incidents_moved_registration(now=now),
        now=now,
        batch_size=batch_size,
        outcome_for=lambda incident: PortalCloseOutcome.REGISTRATION_MOVED,
        message_for=cancellation_message,
        context={"registration_moved": True},
        purge_code=True,
    )


def cancellation_message(incident: Incident) -> str:
    code = " Its install code has been deleted." if incident.has_install_code else ""
    return (
        f"The registration data no longer names {incident.raising_supplier.name} as the "
        f"registered Supplier for meter point {incident.registration_mpxn}: the request is "
        f"cancelled, as only the registered Supplier may have the install code.{code}"
    )
