"""The lists of requests: their filters (:func:`incident_list`), and their pages by keyset
(:func:`incident_page`), each read in one query as plain values. Every list starts from a
queryset of what the user may see (``incidents.incidents_visible_to`` and its sides)."""

import datetime as dt
import uuid
from typing import NamedTuple

from django.db.models import Exists, IntegerField, OuterRef, Q, QuerySet, Value
from django.utils import timezone

from ssi_portal.lib.identifiers import IdentifierError, parse_device_id
from ssi_portal.lib.keyset import KeysetPage, Part, keyset_page
from ssi_portal.lib.working_days import LONDON

from ..models import (
    OPEN_STATUSES,
    EventKind,
    Incident,
    IncidentEvent,
    IncidentStatus,
    pk_from_reference,
    reference_for,
)
from .orders import DEFAULT_ORDER, LIST_ORDERS, ListOrder

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
    criteria = list_criteria(
        status=status,
        overdue=overdue,
        search=search,
        raiser_references=raiser_references,
        due_today=due_today,
        to_reveal=to_reveal,
        due_before=due_before,
        updated_since=updated_since,
        now=now,
    )
    return list_filtered(base, criteria)


class ListCriteria(NamedTuple):
    """What :func:`incident_list` filters by, once its arguments are read: the status (""
    for any) and whether codes are to be revealed, then values, each None when not filtered
    by (a search sets one of ``reference``, ``device_id`` and ``device_id_part``)."""

    status: str = ""
    to_reveal: bool = False
    overdue_at: dt.datetime | None = None  # the clocks that ended before this
    due_from: dt.datetime | None = None  # the clocks that end between these two
    due_until: dt.datetime | None = None
    due_before: dt.datetime | None = None
    updated_since: dt.datetime | None = None
    reference: int | None = None  # the primary key a reference names
    device_id: str | None = None  # a whole Device ID, in canonical spelling
    device_id_part: str | None = None  # part of one, as typed
    raiser_reference: str | None = None


def list_criteria(
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
) -> ListCriteria:
    """The criteria of :func:`incident_list` for these arguments (see there)."""
    now = now or timezone.now()
    criteria = ListCriteria(
        status=status if status == "open" or status in IncidentStatus.values else "",
        to_reveal=to_reveal,
        overdue_at=now if overdue else None,
        due_from=now if due_today else None,
        due_until=end_of_day(now) if due_today else None,
        due_before=due_before,
        updated_since=updated_since,
    )
    search = search.strip()
    if not search:
        return criteria
    if raiser_references:
        criteria = criteria._replace(raiser_reference=search)
    pk = pk_from_reference(search)
    if pk is not None:
        return criteria._replace(reference=pk)
    try:
        return criteria._replace(device_id=parse_device_id(search))
    except IdentifierError:
        # A partial Device ID: match on what was typed, in canonical spelling.
        return criteria._replace(device_id_part=search.upper().replace(":", "-"))


def list_filtered(base: QuerySet[Incident], criteria: ListCriteria) -> QuerySet[Incident]:
    """``base`` filtered by ``criteria``, newest first: :func:`incident_list`."""
    c = criteria
    qs = base
    if c.status == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif c.status:
        qs = qs.filter(status=c.status)
    if c.overdue_at is not None:
        qs = qs.filter(status=IncidentStatus.AWAITING_INSTALLER, due_at__lt=c.overdue_at)
    if c.due_until is not None:
        qs = qs.filter(due_between_q(c.due_from, c.due_until))
    if c.to_reveal:
        qs = qs.filter(CODE_NOT_REVEALED)
    if c.due_before is not None:
        # A deadline runs only while the installing Supplier's clock does.
        qs = qs.filter(status=IncidentStatus.AWAITING_INSTALLER, due_at__lt=c.due_before)
    if c.updated_since is not None:
        qs = qs.filter(updated_at__gt=c.updated_since)
    found = None
    if c.reference is not None:
        found = Q(pk=c.reference)
    elif c.device_id is not None:
        found = Q(device__device_id=c.device_id)
    elif c.device_id_part is not None:
        found = Q(device__device_id__contains=c.device_id_part)
    if found is not None and c.raiser_reference is not None:
        found |= Q(raiser_reference=c.raiser_reference)
    if found is not None:
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
    return page_rows(list(page_query(parts, limit)), [key for _, key in parts])


def page_query(parts: list[Part], limit: int) -> QuerySet:
    """The one query of a page: each part's first ``limit`` rows as :data:`_LIST_VALUES`
    (and, of several parts, the part each row came from)."""
    # Choose the page's rows first, then join their Device and Suppliers: otherwise the
    # planner may join every candidate row (all the overdue ones, say) before sorting.
    chosen = [
        (queryset.select_related(None).order_by(*key).values("pk")[:limit], key)
        for queryset, key in parts
    ]
    if len(chosen) == 1:
        [(pks, key)] = chosen
        return Incident.objects.filter(pk__in=pks).order_by(*key).values_list(*_LIST_VALUES)
    # Several segments: each one's rows chosen by its own index scan, all read in one query;
    # the tag says which segment a row came from, and each is put in its order here.
    reads = [
        Incident.objects.filter(pk__in=pks)
        .order_by()
        .annotate(part=Value(n, output_field=IntegerField()))
        .values_list(*_LIST_VALUES, "part")
        for n, (pks, _) in enumerate(chosen)
    ]
    return reads[0].union(*reads[1:], all=True)


def page_rows(rows, keys: list[tuple[str, ...]]) -> list[list[IncidentListRow]]:
    """The rows of :func:`page_query` of parts in ``keys`` order, as each part's
    :class:`IncidentListRow`."""
    if len(keys) == 1:
        return [[IncidentListRow(*row) for row in rows]]
    found: list[list[IncidentListRow]] = [[] for _ in keys]
    for *values, part in rows:
        found[part].append(IncidentListRow(*values))
    for listed, key in zip(found, keys, strict=True):
        listed.sort(key=_sort_key(key), reverse=key[0].startswith("-"))
    return found


def _sort_key(key: tuple[str, ...]):
    attributes = tuple("pk" if name.lstrip("-") == "id" else name.lstrip("-") for name in key)
    return lambda row: tuple(getattr(row, attribute) for attribute in attributes)


def end_of_day(now: dt.datetime) -> dt.datetime:
    """The last moment of ``now``'s day, UK time."""
    return timezone.localtime(now, LONDON).replace(
        hour=23, minute=59, second=59, microsecond=999_999
    )


def due_between_q(start: dt.datetime, end: dt.datetime) -> Q:
    """A running clock that ends between ``start`` and ``end``, both included."""
    return Q(status=IncidentStatus.AWAITING_INSTALLER, due_at__gte=start, due_at__lte=end)


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
