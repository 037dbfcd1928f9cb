"""Reads of incidents. Every list a user sees starts from :func:`incidents_visible_to`."""

import datetime as dt
import uuid
from collections.abc import Iterator
from typing import NamedTuple

from django.db import router
from django.db.models import (
    DateTimeField,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.http import Http404
from django.utils import timezone

from ssi_portal.lib.compiled import CompiledObjectsQuery
from ssi_portal.lib.identifiers import IdentifierError, parse_device_id
from ssi_portal.lib.keyset import (
    NEWEST_FIRST,
    KeysetPage,
    Part,
    keyset_page,
    keyset_stream,
)
from ssi_portal.lib.working_days import LONDON

from ..models import (
    OPEN_STATUSES,
    Assignment,
    AssignmentOutcome,
    EventKind,
    Incident,
    IncidentEvent,
    IncidentStatus,
    pk_from_reference,
    reference_for,
)
from .orders import (  # noqa: F401 (the lists' orders, read by their views from here)
    CHANGED_ORDER,
    DEFAULT_ORDER,
    LIST_ORDERS,
    ListOrder,
    list_order,
)

_LIST_RELATED = ("device", "raising_supplier", "assigned_supplier")


class IncidentListRow(NamedTuple):
    """What a row of a list shows, read as plain values: the lists are the busiest pages, and
    building model instances (an incident, its Device, two Suppliers) was a fifth of their cost.
    The rest of the incident, its sealed code among it, stays in the database."""

    pk: int
    public_id: uuid.UUID
    status: str
    created_at: dt.datetime
    due_at: dt.datetime | None
    breached_at: dt.datetime | None
    device_id: str  # the Device ID (EUI-64), not the Device's key
    device_type: str
    raising_supplier: str  # Suppliers by name
    assigned_supplier: str | None
    updated_at: dt.datetime

    @property
    def reference(self) -> str:
        return reference_for(self.pk)

    @property
    def status_label(self) -> str:
        return IncidentStatus(self.status).label


_LIST_VALUES = (
    "pk",
    "public_id",
    "status",
    "created_at",
    "due_at",
    "breached_at",
    "device__device_id",
    "device__device_type",
    "raising_supplier__name",
    "assigned_supplier__name",
    "updated_at",
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


class _Viewer(NamedTuple):
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
        .annotate(disclaimed_at=disclaimed_at)  # see permissions.IncidentAccess.disclaimed
        .filter(public_id=public_id)
        .order_by("pk")[:1]
    )


# The incident's page and every action on it read the incident through this: its SQL (the
# visibility rule, five tables joined, the disclaimer's subquery) compiled once per kind of
# user, not on each request (it was a third of the page's CPU).
_INCIDENT_FOR = {
    (False, True): CompiledObjectsQuery(
        lambda public_id, supplier_id: _incident_for(_Viewer(False, supplier_id), public_id),
        kinds=(uuid.UUID, int),
        repeated=True,  # the Supplier in each condition of the rule
    ),
    (True, True): CompiledObjectsQuery(
        lambda public_id, supplier_id: _incident_for(_Viewer(True, supplier_id), public_id),
        kinds=(uuid.UUID, int),
    ),
    (True, False): CompiledObjectsQuery(
        lambda public_id: _incident_for(_Viewer(True, None), public_id), kinds=(uuid.UUID,)
    ),
}


def incident_list(
    base: QuerySet[Incident],
    *,
    status: str = "",
    overdue: bool = False,
    search: str = "",
    raiser_references: bool = False,
    due_today: bool = False,
    to_reveal: bool = False,
    due_before: dt.datetime | None = None,
    updated_since: dt.datetime | None = None,
    now=None,
) -> QuerySet[Incident]:
    """Filter a visible queryset for the list pages, newest first.

    Each filter is served by an index (see ``Incident.Meta.indexes``): the Supplier's
    newest-first index for the whole list and "open", the partial index of running clocks by
    Supplier and deadline for "overdue", the unique Device ID for a full Device ID, the
    primary key for a reference; "due today" as "overdue"; "codes to reveal" the Supplier's
    status index, then each candidate's events. A partial Device ID is the exception: it is
    matched against each of the visible incidents' Devices, so it costs in proportion to the
    list.
    ``due_before``: the running clocks ending before it (the partial index of running clocks);
    ``updated_since``: the requests changed after it (each side's index by last change).
    ``raiser_references``: the search also finds the raiser's own reference, exactly (its
    partial index by raising Supplier); for the raiser's list alone, as the reference is its.
    """
    now = now or timezone.now()
    qs = base
    if status == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif status in IncidentStatus.values:
        qs = qs.filter(status=status)
    if overdue:
        qs = qs.filter(status=IncidentStatus.AWAITING_INSTALLER, due_at__lt=now)
    if due_today:
        qs = qs.filter(due_today_q(now))
    if to_reveal:
        qs = qs.filter(CODE_NOT_REVEALED)
    if due_before is not None:
        # A deadline runs only while the installing Supplier's clock does.
        qs = qs.filter(status=IncidentStatus.AWAITING_INSTALLER, due_at__lt=due_before)
    if updated_since is not None:
        qs = qs.filter(updated_at__gt=updated_since)
    search = search.strip()
    if search:
        pk = pk_from_reference(search)
        if pk is not None:
            found = Q(pk=pk)
        else:
            try:
                found = Q(device__device_id=parse_device_id(search))
            except IdentifierError:
                # A partial Device ID: match on what was typed, in canonical spelling.
                found = Q(device__device_id__contains=search.upper().replace(":", "-"))
        if raiser_references:
            found |= Q(raiser_reference=search)
        qs = qs.filter(found)
    return qs.select_related(*_LIST_RELATED).order_by("-created_at", "-id")


def incident_page(
    queryset: QuerySet[Incident],
    cursor: str | None,
    *,
    size: int,
    order: ListOrder = LIST_ORDERS[DEFAULT_ORDER],
) -> KeysetPage:
    """One page of a list from :func:`incident_list` in ``order``, as :class:`IncidentListRow`,
    by keyset (see ``ssi_portal.lib.keyset``): one query whatever the page and the order, and
    no count."""
    return keyset_page(queryset, cursor, size=size, order=order.keyset, fetch=_fetch_page)


def _fetch_page(parts: list[Part], limit: int) -> list[list[IncidentListRow]]:
    # Choose the page's rows first, then join their Device and Suppliers: otherwise the
    # planner may join every candidate row (all the overdue ones, say) before sorting.
    chosen = [
        (queryset.select_related(None).order_by(*key).values("pk")[:limit], key)
        for queryset, key in parts
    ]
    if len(chosen) == 1:
        [(pks, key)] = chosen
        rows = Incident.objects.filter(pk__in=pks).order_by(*key).values_list(*_LIST_VALUES)
        return [[IncidentListRow(*row) for row in rows]]
    # Several segments: each one's rows chosen by its own index scan, all read in one query;
    # the tag says which segment a row came from, and each is put in its order here.
    reads = [
        Incident.objects.filter(pk__in=pks)
        .order_by()
        .annotate(part=Value(n, output_field=IntegerField()))
        .values_list(*_LIST_VALUES, "part")
        for n, (pks, _) in enumerate(chosen)
    ]
    found: list[list[IncidentListRow]] = [[] for _ in chosen]
    for *values, part in reads[0].union(*reads[1:], all=True):
        found[part].append(IncidentListRow(*values))
    for rows, (_, key) in zip(found, chosen, strict=True):
        rows.sort(key=_sort_key(key), reverse=key[0].startswith("-"))
    return found


def _sort_key(key: tuple[str, ...]):
    attributes = tuple("pk" if name.lstrip("-") == "id" else name.lstrip("-") for name in key)
    return lambda row: tuple(getattr(row, attribute) for attribute in attributes)


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


def due_today_q(now: dt.datetime) -> Q:
    """A running clock that ends later today (UK time): deadlines are the end of a day."""
    end_of_today = timezone.localtime(now, LONDON).replace(
        hour=23, minute=59, second=59, microsecond=999_999
    )
    return Q(status=IncidentStatus.AWAITING_INSTALLER, due_at__gte=now, due_at__lte=end_of_today)


# An install code given to the raiser that nobody of the raising Supplier has revealed since
# it was given (a code given again after "did not work" counts afresh). Reveals are recorded
# as events; the incident's events are read by their index.
CODE_NOT_REVEALED = Q(status=IncidentStatus.CODE_PROVIDED) & ~Exists(
    IncidentEvent.objects.filter(
        incident=OuterRef("pk"),
        kind=EventKind.CODE_REVEALED,
        actor_supplier=OuterRef("raising_supplier"),
        created_at__gte=OuterRef("code_provided_at"),
    )
)
