"""The state of the outbox, the requests and the bulk uploads, for /metrics and the
operations page: every figure in one query, whatever the size of the tables.

Each figure is its own sub-select over an index the sweeps and lists already use (the outbox's
``(status, created_at)``, the requests' ``(status, due_at)``, the unfinished bulk uploads'
partial index), so a scrape reads index ranges, never a whole table: the emails already sent,
the closed requests and the finished uploads, which grow without end, are not counted.
"""

import datetime as dt
from dataclasses import dataclass

from django.db import connections
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from incidents.models import OPEN_STATUSES, BulkStatus, BulkUpload, Incident, IncidentStatus
from notifications.models import Notification

OUTBOX_STATUSES = (
    Notification.Status.PENDING,
    Notification.Status.SENDING,
    Notification.Status.FAILED,
)
BULK_STATUSES = (BulkStatus.QUEUED, BulkStatus.PROCESSING)
# "Sent in the last hour" counts the emails queued in the last day: their index range. An email
# sent more than a day after it was queued (a day-long outage) is in the backlog figures instead.
SENT_QUEUED_WITHIN = dt.timedelta(days=1)


@dataclass(frozen=True)
class PortalState:
    """What the operators and the helpdesk ask about, as at ``now``."""

    now: dt.datetime
    outbox: dict[str, int]  # pending, sending, failed
    oldest_pending_at: dt.datetime | None
    sent_last_hour: int
    requests_open: dict[str, int]  # by open status
    requests_overdue: int
    requests_breached: int
    bulk_uploads: dict[str, int]  # queued, processing

    @property
    def oldest_pending_age(self) -> dt.timedelta | None:
        if self.oldest_pending_at is None:
            return None
        return max(self.now - self.oldest_pending_at, dt.timedelta(0))

    @property
    def requests_open_total(self) -> int:
        return sum(self.requests_open.values())


def _count(queryset: QuerySet) -> tuple[str, list]:
    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    # Django's own compilation of the queryset; its values stay parameters.
    return f"(SELECT COUNT(*) FROM ({sql}) AS counted)", list(params)  # noqa: S608


def _first(queryset: QuerySet) -> tuple[str, list]:
    sql, params = queryset[:1].query.sql_with_params()
    return f"({sql})", list(params)


def _aware(value) -> dt.datetime | None:
    """A datetime from a raw cursor: PostgreSQL gives it aware, SQLite gives its text."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is not None and timezone.is_naive(value):
        value = value.replace(tzinfo=dt.UTC)
    return value


def portal_state(*, now: dt.datetime | None = None) -> PortalState:
    """The figures of :class:`PortalState`, in one query."""
    now = now or timezone.now()
    outbox = Notification.objects.filter
    awaiting = Incident.objects.filter(status=IncidentStatus.AWAITING_INSTALLER, due_at__lt=now)
    parts = {
        **{f"outbox_{s}": _count(outbox(status=s)) for s in OUTBOX_STATUSES},
        "oldest_pending_at": _first(
            outbox(status=Notification.Status.PENDING).order_by("created_at").values("created_at")
        ),
        "sent_last_hour": _count(
            outbox(
                status=Notification.Status.SENT,
                created_at__gte=now - dt.timedelta(hours=1) - SENT_QUEUED_WITHIN,
                sent_at__gte=now - dt.timedelta(hours=1),
            )
        ),
        **{f"open_{s}": _count(Incident.objects.filter(status=s)) for s in OPEN_STATUSES},
        "overdue": _count(awaiting),
        # Escalated by the sweep and still unanswered: each is also overdue.
        "breached": _count(awaiting.filter(breached_at__isnull=False)),
        **{f"bulk_{s}": _count(BulkUpload.objects.filter(status=s)) for s in BULK_STATUSES},
    }
    sql = "SELECT " + ", ".join(select for select, _ in parts.values())
    params = [param for _, sub in parts.values() for param in sub]
    with connections[Incident.objects.db].cursor() as cursor:
        cursor.execute(sql, params)
        row = dict(zip(parts, cursor.fetchone(), strict=True))
    return PortalState(
        now=now,
        outbox={s: row[f"outbox_{s}"] for s in OUTBOX_STATUSES},
        oldest_pending_at=_aware(row["oldest_pending_at"]),
        sent_last_hour=row["sent_last_hour"],
        requests_open={s: row[f"open_{s}"] for s in OPEN_STATUSES},
        requests_overdue=row["overdue"],
        requests_breached=row["breached"],
        bulk_uploads={s: row[f"bulk_{s}"] for s in BULK_STATUSES},
    )
