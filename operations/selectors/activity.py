"""The last day's activity, hour by hour: emails sent and failed, requests raised and answered.

Four ``GROUP BY`` queries, one per figure, each over an index range of the last day:

- *sent*: emails whose sending finished in the hour (of those queued within a day before it,
  the outbox's ``(status, created_at)`` range);
- *failed*: emails given up on in the hour and still failed (a failure stamps
  ``next_attempt_at``: the ``(status, next_attempt_at)`` index); one the helpdesk retried is
  pending again, so no longer counted;
- *raised*: requests raised in the hour (``created_at``);
- *answered*: clocks ended in the hour by an answer, the code or "not installed by us" (of the
  Supplier notifications of the last ``ANSWERED_NOTIFIED_WITHIN``: the assignments'
  ``notified_at`` range).
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, QuerySet
from django.db.models.functions import TruncHour
from django.utils import timezone

from incidents.models import ANSWERED_OUTCOMES, Assignment, Incident
from notifications.models import Notification

from .state import SENT_QUEUED_WITHIN

HOURS = 24
ANSWERED_NOTIFIED_WITHIN = dt.timedelta(days=60)
SERIES = ("emails_sent", "emails_failed", "requests_raised", "requests_answered")


@dataclass(frozen=True)
class Hour:
    start: dt.datetime  # aware, on the hour
    emails_sent: int = 0
    emails_failed: int = 0
    requests_raised: int = 0
    requests_answered: int = 0

    @property
    def end(self) -> dt.datetime:
        return self.start + dt.timedelta(hours=1)


def _per_hour(queryset: QuerySet, field: str) -> dict[dt.datetime, int]:
    rows = (
        queryset.order_by()
        .annotate(hour=TruncHour(field, tzinfo=dt.UTC))
        .values("hour")
        .annotate(count=Count("pk"))
    )
    return {row["hour"]: row["count"] for row in rows}


def activity_by_hour(*, now: dt.datetime | None = None, hours: int = HOURS) -> list[Hour]:
    """``hours`` hours, oldest first, the last being the hour ``now`` is in (so far)."""
    now = now or timezone.now()
    current = now.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)
    since = current - dt.timedelta(hours=hours - 1)
    window = {"__gte": since, "__lte": now}

    def between(field: str) -> dict:
        return {f"{field}{suffix}": value for suffix, value in window.items()}

    figures = {
        "emails_sent": _per_hour(
            Notification.objects.filter(
                status=Notification.Status.SENT,
                created_at__gte=since - SENT_QUEUED_WITHIN,
                **between("sent_at"),
            ),
            "sent_at",
        ),
        "emails_failed": _per_hour(
            Notification.objects.filter(
                status=Notification.Status.FAILED, **between("next_attempt_at")
            ),
            "next_attempt_at",
        ),
        "requests_raised": _per_hour(
            Incident.objects.filter(**between("created_at")), "created_at"
        ),
        "requests_answered": _per_hour(
            Assignment.objects.filter(
                outcome__in=ANSWERED_OUTCOMES,
                notified_at__gte=since - ANSWERED_NOTIFIED_WITHIN,
                **between("ended_at"),
            ),
            "ended_at",
        ),
    }
    result = []
    for number in range(hours):
        start = since + dt.timedelta(hours=number)
        result.append(Hour(start, **{name: figures[name].get(start, 0) for name in SERIES}))
    return result
