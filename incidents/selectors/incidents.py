"""Reads of incidents. Every list a user sees starts from :func:`incidents_visible_to`."""

import datetime as dt
import uuid
from collections.abc import Iterator
from typing import NamedTuple

from django.db import router
from django.db.models import (
    DateTimeField,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.http import Http404
from django.utils import timezone

from ssi_portal.lib.compiled import CompiledObjectsQuery, CompiledQuery
from ssi_portal.lib.keyset import (
    NEWEST_FIRST,
    KeysetPage,
    Step,
    keyset_parts,
    keyset_read_page,
    keyset_stream,
)
from ssi_portal.lib.working_days import LONDON

from ..calendar import non_working_days
from ..models import (
    Assignment,
    AssignmentOutcome,
    Incident,
    IncidentStatus,
    reference_for,
)
from .lists import (  # noqa: F401 (the lists' filters and pages, read from here)
    CODE_NOT_REVEALED,
    IncidentListRow,
    ListCriteria,
    incident_list,
    incident_page,
    list_criteria,
    list_filtered,
    page_query,
    page_rows,
)
from .orders import (  # noqa: F401 (the lists' orders, read by their views from here)
    CHANGED_ORDER,
    DEFAULT_ORDER,
    LIST_ORDERS,
    ListOrder,
    list_order,
)


def incidents_visible_to(user) -> QuerySet[Incident]:
    """Incidents the user may see: the helpdesk all; a Supplier's users those it raised, is
    assigned, or answered "not installed by us" (read only: see ``permissions``); anyone else
    none."""
    qs = Incident.objects.all()
    if not user.is_authenticated:
        return qs.none()
    if user.is_helpdesk:
        return qs
    if user.supplier_id:
        return qs.filter(
            Q(raising_supplier_id=user.supplier_id)
            | Q(assigned_supplier_id=user.supplier_id)
            | Exists(_disclaimed_by(user.supplier_id).filter(incident_id=OuterRef("pk")))
        )
    return qs.none()


def incidents_on_side(user, side: str = "") -> QuerySet[Incident]:
    """The requests of one side of the user's Supplier: ``raised`` (by us), ``assigned`` (to
    us), ``disclaimed`` (by us); anything else, every request the user may see."""
    sides = {
        "raised": incidents_raised_by_us,
        "assigned": incidents_assigned_to_us,
        "disclaimed": incidents_disclaimed_by_us,
    }
    return sides.get(side, incidents_visible_to)(user)


def _disclaimed_by(supplier_id: int) -> QuerySet[Assignment]:
    # The partial index assignment_disclaimed_idx holds exactly these rows.
    return Assignment.objects.filter(
        supplier_id=supplier_id, outcome=AssignmentOutcome.NOT_INSTALLED
    )


def incident_get_for_user(user, public_id) -> Incident:
    """The incident with this public id if the user may see it; 404 otherwise (a foreign
    incident looks exactly like a missing one)."""
    try:
        public_id = uuid.UUID(str(public_id))
    except ValueError as exc:
        raise Http404("No such incident.") from exc
    if not user.is_authenticated or not (user.is_helpdesk or user.supplier_id):
        raise Http404("No such incident.")  # incidents_visible_to: none
    query = _INCIDENT_FOR[(bool(user.is_helpdesk), bool(user.supplier_id))]
    values = (public_id, user.supplier_id) if user.supplier_id else (public_id,)
    found = query.objects(*values, using=router.db_for_read(Incident))
    if not found:
        raise Http404("No such incident.")
    return found[0]


class Viewer(NamedTuple):
    """Who reads, as far as :func:`incidents_visible_to` asks: a user's stand-in while the
    query is compiled."""

    is_helpdesk: bool
    supplier_id: int | None
    is_authenticated: bool = True


def _incident_for(viewer, public_id) -> QuerySet[Incident]:
    # When the user's Supplier last answered "not installed by us" (None: never).
    disclaimed_at = (
        Subquery(
            _disclaimed_by(viewer.supplier_id)
            .filter(incident_id=OuterRef("pk"))
            .order_by("-ended_at")
            .values("ended_at")[:1]
        )
        if viewer.supplier_id
        else Value(None, output_field=DateTimeField())
    )
    return (
        incidents_visible_to(viewer)
        .select_related(
            "device", "raising_supplier", "assigned_supplier", "raised_by", "code_provided_by"
        )
        .annotate(
            disclaimed_at=disclaimed_at,  # see permissions.IncidentAccess.disclaimed
            # Brought along for the days left to the deadline the page shows: no query of its
            # own (calendar.non_working_days_from reads it).
            non_working_days=non_working_days(),
        )
        .filter(public_id=public_id)
        .order_by("pk")[:1]
    )


# The incident's page and every action on it read the incident through this: its SQL (the
# visibility rule, five tables joined, the disclaimer's subquery, the calendar's extra
# non-working days) compiled once per kind of user, not on each request (it was a third of the
# page's CPU).
_INCIDENT_FOR = {
    (False, True): CompiledObjectsQuery(
        lambda public_id, supplier_id: _incident_for(Viewer(False, supplier_id), public_id),
        kinds=(uuid.UUID, int),
        repeated=True,  # the Supplier in each condition of the rule
    ),
    (True, True): CompiledObjectsQuery(
        lambda public_id, supplier_id: _incident_for(Viewer(True, supplier_id), public_id),
        kinds=(uuid.UUID, int),
    ),
    (True, False): CompiledObjectsQuery(
        lambda public_id: _incident_for(Viewer(True, None), public_id), kinds=(uuid.UUID,)
    ),
}


# The two lists below are, by the rule of incidents_visible_to, exactly what a Supplier's user
# sees filtered to one side (tests pin the equality). They are written without its OR so that
# the planner reads one Supplier index alone: with the OR it re-checks (and for counts, visits)
# every row of the other side too.


def incidents_raised_by_us(user) -> QuerySet[Incident]:
    if not (user.is_authenticated and user.supplier_id):
        return Incident.objects.none()
    return Incident.objects.filter(raising_supplier_id=user.supplier_id)


def incidents_assigned_to_us(user) -> QuerySet[Incident]:
    if not (user.is_authenticated and user.supplier_id):
        return Incident.objects.none()
    return Incident.objects.filter(assigned_supplier_id=user.supplier_id)


def incidents_disclaimed_by_us(user) -> QuerySet[Incident]:
    """Requests the user's Supplier answered "not installed by us", wherever they are now: they
    leave its worklist, not its sight."""
    if not (user.is_authenticated and user.supplier_id):
        return Incident.objects.none()
    return Incident.objects.filter(pk__in=_disclaimed_by(user.supplier_id).values("incident_id"))


def incident_side_page(
    user,
    side: str,
    criteria: ListCriteria,
    cursor: str | None,
    *,
    size: int,
    order: ListOrder = LIST_ORDERS[DEFAULT_ORDER],
) -> KeysetPage:
    """The page of ``incident_page(list_filtered(incidents_on_side(user, side), criteria),
    cursor, size=size, order=order)``: the same rows, by the same SQL, compiled once per shape
    of the query (the side, which criteria, the status, the order, the steps of the read, the
    page's size) rather than on every request, where it was a quarter of a list's CPU. Run
    with the values of this request: the user's Supplier, the criteria's, the cursor's key.
    A partial Device ID (matched with LIKE) is read through the ORM, and so is a list for
    anyone but a Supplier's user."""
    side = side if side in _SIDES else ""
    if not _compilable(user, criteria):
        queryset = list_filtered(incidents_on_side(user, side), criteria)
        return incident_page(queryset, cursor, size=size, order=order)
    keyset, using = order.keyset, router.db_for_read(Incident)
    given = [getattr(criteria, name) for name in _CRITERIA_KINDS]
    present = tuple(value is not None for value in given)
    values = [user.supplier_id, *(value for value in given if value is not None)]

    def read(steps: list[Step], backwards: bool, limit: int) -> list[list]:
        shape = tuple((step.segment, step.after is not None) for step in steps)
        key = (side, criteria.status, criteria.to_reveal, present, keyset.name, shape)
        key += (backwards, limit)
        query = _PAGE_QUERIES.get(key)
        if query is None:
            query = _page_query(key, keyset)
            if len(_PAGE_QUERIES) < _MAX_SHAPES:
                _PAGE_QUERIES[key] = query
        after = [value for step in steps if step.after is not None for value in step.after]
        rows = query.rows(*values, *after, using=using)
        ordered = (keyset.segments[step.segment] for step in steps)
        return page_rows(rows, [s.reversed_key() if backwards else s.key for s in ordered])

    return keyset_read_page(read, cursor, size=size, order=keyset)


_SIDES = ("raised", "assigned", "disclaimed")
# The criteria that are values of the compiled query, and their kinds; the status and
# to_reveal are part of its shape, and device_id_part is not compiled.
_CRITERIA_KINDS = {
    "overdue_at": dt.datetime,
    "due_from": dt.datetime,
    "due_until": dt.datetime,
    "due_before": dt.datetime,
    "updated_since": dt.datetime,
    "reference": int,
    "device_id": str,
    "raiser_reference": str,
}
_PAGE_QUERIES: dict[tuple, CompiledQuery] = {}
_MAX_SHAPES = 4096  # far more than the lists have; past it, compiled for the request alone


def _compilable(user, criteria: ListCriteria) -> bool:
    if not (user.is_authenticated and user.supplier_id) or user.is_helpdesk:
        return False
    if criteria.device_id_part is not None:
        return False
    # A reference past the primary key's range: the ORM finds it matches nothing.
    return criteria.reference is None or criteria.reference < 2**63


def _page_query(key: tuple, keyset) -> CompiledQuery:
    side, status, to_reveal, present, _, shape, backwards, limit = key
    names = [name for name, there in zip(_CRITERIA_KINDS, present, strict=True) if there]
    after_kinds = [
        int if field == "id" else dt.datetime
        for segment, after in shape
        if after
        for field in keyset.segments[segment].fields
    ]

    def build(supplier_id, *markers):
        markers = iter(markers)
        criteria = ListCriteria(status, to_reveal, **{name: next(markers) for name in names})
        steps = [
            Step(n, tuple(next(markers) for _ in keyset.segments[n].fields) if after else None)
            for n, after in shape
        ]
        base = incidents_on_side(Viewer(False, supplier_id), side)
        parts = keyset_parts(list_filtered(base, criteria), keyset, steps, backwards=backwards)
        return page_query(parts, limit)

    kinds = (int, *(_CRITERIA_KINDS[name] for name in names), *after_kinds)
    # repeated: the Supplier stands in each part, a cursor's key in each of its conditions.
    return CompiledQuery(build, kinds=kinds, repeated=True)


EXPORT_HEADER = [
    "reference",
    "device_id",
    "device_type",
    "assigned_to",
    "status",
    "raised_at",
    "due",
]
_EXPORT_CHUNK = 2000


def incident_export_rows(queryset: QuerySet[Incident]) -> Iterator[tuple]:
    """A list from :func:`incident_list` as CSV rows, newest first, streamed: (reference,
    Device ID, type, assigned to, status, raised at, due while the clock runs), times in UK
    time. Reads the columns named here only: no install code ever leaves the database."""
    values = keyset_stream(
        queryset.select_related(None),
        NEWEST_FIRST.segments[0].key,
        (
            "id",
            "device__device_id",
            "device__device_type",
            "assigned_supplier__name",
            "status",
            "created_at",
            "due_at",
        ),
        chunk=_EXPORT_CHUNK,
    )
    for pk, device_id, device_type, assignee, status, raised_at, due_at in values:
        clock_runs = status == IncidentStatus.AWAITING_INSTALLER and due_at
        yield (
            reference_for(pk),
            device_id,
            device_type,
            assignee or "DCC helpdesk",
            IncidentStatus(status).label,
            _uk_time(raised_at),
            _uk_time(due_at) if clock_runs else "",
        )


def _uk_time(value: dt.datetime) -> str:
    return f"{timezone.localtime(value, LONDON):%Y-%m-%d %H:%M}"
