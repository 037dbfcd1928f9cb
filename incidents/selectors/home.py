"""The figures on the home page: what needs the user's attention today, counted up to a cap."""

from django.db import connections
from django.db.models import Q, QuerySet
from django.utils import timezone

from ..models import OPEN_STATUSES, BulkStatus, BulkUpload, Incident, IncidentStatus
from .incidents import (
    incidents_assigned_to_us,
    incidents_raised_by_us,
    incidents_visible_to,
)
from .lists import CODE_NOT_REVEALED, due_today_q

# The home page counts each figure up to this many and shows "10,000+" beyond: past that the
# number tells nobody anything more, and the count stays a bounded index range scan.
HOME_COUNT_CAP = 10_000


def home_counts(user, *, now=None) -> dict[str, int]:
    """The figures on the home page, in one query, each counted up to ``HOME_COUNT_CAP + 1``.

    Supplier users, what needs their attention today: ours overdue, ours due today, install
    codes given to us and not yet revealed, our bulk uploads still running; and the totals,
    raised by us and open, awaiting our answer. The helpdesk: waiting on the helpdesk,
    overdue anywhere. Each figure is its own index range scan (an aggregate over everything
    the user sees would read tens of thousands of rows).
    """
    now = now or timezone.now()
    overdue = Q(status=IncidentStatus.AWAITING_INSTALLER, due_at__lt=now)
    if not user.supplier_id:
        visible = incidents_visible_to(user)
        figures = {
            "with_helpdesk": visible.filter(status=IncidentStatus.WITH_HELPDESK),
            "overdue": visible.filter(overdue),
        }
    else:
        assigned = incidents_assigned_to_us(user)
        raised = incidents_raised_by_us(user)
        figures = {
            "overdue": assigned.filter(overdue),
            "due_today": assigned.filter(due_today_q(now)),
            "to_reveal": raised.filter(CODE_NOT_REVEALED),
            "bulk_running": BulkUpload.objects.filter(
                supplier_id=user.supplier_id,
                status__in=(BulkStatus.QUEUED, BulkStatus.PROCESSING),
            ),
            "raised_open": raised.filter(status__in=OPEN_STATUSES),
            "awaiting_us": assigned.filter(status=IncidentStatus.AWAITING_INSTALLER),
        }
    return _capped_counts(figures, cap=HOME_COUNT_CAP)


def _capped_counts(querysets: dict[str, QuerySet], *, cap: int) -> dict[str, int]:
    """Count each queryset up to ``cap + 1`` rows, all in one query."""
    if all(queryset.query.is_empty() for queryset in querysets.values()):
        return dict.fromkeys(querysets, 0)
    selects, params = [], []
    for queryset in querysets.values():
        if queryset.query.is_empty():
            selects.append("0")
            continue
        sql, sub_params = queryset.order_by().values("pk")[: cap + 1].query.sql_with_params()
        # Django's own compilation of the queryset; its values stay parameters.
        selects.append(f"(SELECT COUNT(*) FROM ({sql}) AS capped)")  # noqa: S608
        params.extend(sub_params)
    with connections[Incident.objects.db].cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(selects), params)
        row = cursor.fetchone()
    return dict(zip(querysets, row, strict=True))
