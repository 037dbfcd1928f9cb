"""The figures on the home page: what needs the user's attention today, counted up to a cap."""

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone

from ssi_portal.lib.compiled import CompiledSql

from ..models import OPEN_STATUSES, BulkStatus, BulkUpload, Incident, IncidentStatus
from .incidents import (
    Viewer,
    incidents_assigned_to_us,
    incidents_raised_by_us,
    incidents_visible_to,
)
from .lists import CODE_NOT_REVEALED, due_between_q, end_of_day

# The home page counts each figure up to this many and shows "10,000+" beyond: past that the
# number tells nobody anything more, and the count stays a bounded index range scan.
HOME_COUNT_CAP = 10_000


def home_counts(user, *, now=None) -> dict[str, int]:
    """The figures on the home page, in one query, each counted up to ``HOME_COUNT_CAP + 1``.

    Supplier users, what needs their attention today: ours overdue, ours due today, install
    codes given to us and not yet revealed, our bulk uploads still running; and the totals,
    raised by us and open, awaiting our answer. The helpdesk: waiting on the helpdesk,
    overdue anywhere. Each figure is its own index range scan (an aggregate over everything
    the user sees would read tens of thousands of rows). The query of each kind of user is
    compiled once per process and cap (:class:`CompiledSql`): compiling its six querysets
    was half the page's Python time.
    """
    now = now or timezone.now()
    if user.supplier_id:
        shape, values = _supplier_figures, (user.supplier_id, now, end_of_day(now))
    elif user.is_authenticated and user.is_helpdesk:
        shape, values = _helpdesk_figures, (now,)
    else:  # no organisation: nothing to count
        return dict.fromkeys(_HELPDESK_FIGURES, 0)
    names, kinds = _SHAPES[shape]
    key = (shape, HOME_COUNT_CAP)
    if (query := _COMPILED.get(key)) is None:
        query = _COMPILED.setdefault(key, _counts_query(shape, kinds, HOME_COUNT_CAP))
    [row] = query.rows(*values, using=Incident.objects.db)
    return dict(zip(names, row, strict=True))


def _supplier_figures(supplier_id: int, now: dt.datetime, today_ends: dt.datetime) -> dict:
    viewer = Viewer(is_helpdesk=False, supplier_id=supplier_id)
    assigned, raised = incidents_assigned_to_us(viewer), incidents_raised_by_us(viewer)
    return {
        "overdue": assigned.filter(_overdue(now)),
        "due_today": assigned.filter(due_between_q(now, today_ends)),
        "to_reveal": raised.filter(CODE_NOT_REVEALED),
        "bulk_running": BulkUpload.objects.filter(
            supplier_id=supplier_id,
            status__in=(BulkStatus.QUEUED, BulkStatus.PROCESSING),
        ),
        "raised_open": raised.filter(status__in=OPEN_STATUSES),
        "awaiting_us": assigned.filter(status=IncidentStatus.AWAITING_INSTALLER),
    }


def _helpdesk_figures(now: dt.datetime) -> dict:
    visible = incidents_visible_to(Viewer(is_helpdesk=True, supplier_id=None))
    return {
        "with_helpdesk": visible.filter(status=IncidentStatus.WITH_HELPDESK),
        "overdue": visible.filter(_overdue(now)),
    }


def _overdue(now: dt.datetime) -> Q:
    return Q(status=IncidentStatus.AWAITING_INSTALLER, due_at__lt=now)


_HELPDESK_FIGURES = ("with_helpdesk", "overdue")
# Each kind of user's figures, in the order of its query's columns, and its values' kinds.
_SHAPES = {
    _supplier_figures: (
        ("overdue", "due_today", "to_reveal", "bulk_running", "raised_open", "awaiting_us"),
        (int, dt.datetime, dt.datetime),
    ),
    _helpdesk_figures: (_HELPDESK_FIGURES, (dt.datetime,)),
}
_COMPILED: dict[tuple, CompiledSql] = {}  # by kind of user and cap


def _counts_query(shape, kinds: tuple, cap: int) -> CompiledSql:
    def build(using, *markers):
        return _capped_counts_sql(shape(*markers), cap=cap, using=using)

    # repeated: the Supplier stands in most figures, the time in two.
    return CompiledSql(build, kinds=kinds, repeated=True)


def _capped_counts_sql(querysets: dict[str, QuerySet], *, cap: int, using: str) -> tuple:
    """One statement counting each queryset up to ``cap + 1`` rows, and its parameters."""
    selects, params = [], []
    for queryset in querysets.values():
        capped = queryset.order_by().values("pk")[: cap + 1]
        sql, sub_params = capped.query.get_compiler(using).as_sql()
        # Django's own compilation of the queryset; its values stay parameters.
        selects.append(f"(SELECT COUNT(*) FROM ({sql}) AS capped)")  # noqa: S608
        params.extend(sub_params)
    return "SELECT " + ", ".join(selects), params
