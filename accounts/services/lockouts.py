"""Lifting a login lockout: django-axes' failure counts of one username at one address forgotten,
by the DCC helpdesk, logged."""

import logging

from axes.models import AccessAttempt
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Sum

from ..models import SecurityEventKind, User
from ..permissions import is_helpdesk_staff, is_operator
from .security_events import security_event_record
from .users import AccountError

logger = logging.getLogger(__name__)


def login_lockout_lift(*, actor, attempt_id: int, request=None) -> int:
    """Forget the failed logins of the attempt's username at the attempt's address, whatever
    browser they came from, so that the next login there is judged afresh; the same username
    elsewhere, and other usernames there, keep their counts. Returns how many failures were
    forgotten.

    django-axes locks by username *and* address (``AXES_LOCKOUT_PARAMETERS``) and keeps one row
    per browser of that pair: each of them may hold the lock, so all go. ``PermissionDenied``
    unless the actor is helpdesk staff; ``AccountError`` when no such attempt is left (lifted
    already, or expired and cleaned away by django-axes). Writes a ``lockout_lifted`` event
    naming the username and the address, in the same transaction; queues nothing.
    """
    if not is_helpdesk_staff(actor):
        raise PermissionDenied("Only the DCC helpdesk lifts a lockout.")
    with transaction.atomic():
        attempt = AccessAttempt.objects.select_for_update().filter(pk=attempt_id).first()
        if attempt is None:
            raise AccountError(
                "no_attempt", "That lockout is no longer there: lifted already, or expired."
            )
        pair = AccessAttempt.objects.filter(
            username=attempt.username, ip_address=attempt.ip_address
        )
        # django-axes adds up the failures of the pair's browsers to decide a lockout.
        failures = pair.aggregate(total=Sum("failures_since_start"))["total"] or 0
        pair.delete()
        username = attempt.username or ""
        user = User.objects.filter(username=username).only("pk", "supplier_id").first()
        address = attempt.ip_address or "an unknown address"
        by = "an operator" if is_operator(actor) else "the DCC helpdesk"
        security_event_record(
            kind=SecurityEventKind.LOCKOUT_LIFTED,
            actor=actor,
            request=request,
            reference=f"user:{user.pk} {username}" if user else f"username:{username}",
            detail=f"Lifted by {by}: {failures} failed logins of {username or '(no username)'} "
            f"from {address} forgotten.",
            # The organisation of the account concerned, as for its lockout; none for a
            # username that names nobody.
            supplier=user.supplier_id if user else None,
        )
    logger.info("Lockout of attempt %s lifted by %s", attempt_id, actor.pk)
    return failures
