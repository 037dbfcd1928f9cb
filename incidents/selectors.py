"""Reads of incidents. Every list a user sees starts from :func:`incidents_visible_to`."""

import uuid

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from inventory.identifiers import IdentifierError, parse_device_id

from .models import OPEN_STATUSES, Incident, IncidentStatus, pk_from_reference


def incidents_visible_to(user) -> QuerySet[Incident]:
    """Incidents the user may see: the helpdesk all; a Supplier's users those it raised or is
    assigned; anyone else none."""
    qs = Incident.objects.all()
    if not user.is_authenticated:
        return qs.none()
    if user.is_helpdesk:
        return qs
    if user.supplier_id:
        return qs.filter(
            Q(raising_supplier_id=user.supplier_id) | Q(assigned_supplier_id=user.supplier_id)
        )
    return qs.none()


def incident_get_for_user(user, public_id) -> Incident:
    """The incident with this public id if the user may see it; 404 otherwise (a foreign
    incident looks exactly like a missing one)."""
    try:
        public_id = uuid.UUID(str(public_id))
    except ValueError as exc:
        raise Http404("No such incident.") from exc
    incident = (
        incidents_visible_to(user)
        .select_related(
            "device", "raising_supplier", "assigned_supplier", "raised_by", "code_provided_by"
        )
        .filter(public_id=public_id)
        .first()
    )
    if incident is None:
        raise Http404("No such incident.")
    return incident


def incident_timeline(incident: Incident):
    return incident.events.select_related("actor", "actor_supplier").order_by("created_at", "id")


def incident_list(
    base: QuerySet[Incident], *, status: str = "", overdue: bool = False, search: str = "", now=None
) -> QuerySet[Incident]:
    """Filter a visible queryset for the list pages."""
    now = now or timezone.now()
    qs = base
    if status == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif status in IncidentStatus.values:
        qs = qs.filter(status=status)
    if overdue:
        qs = qs.filter(status=IncidentStatus.AWAITING_INSTALLER, due_at__lt=now)
    search = search.strip()
    if search:
        pk = pk_from_reference(search)
        if pk is not None:
            qs = qs.filter(pk=pk)
        else:
            try:
                qs = qs.filter(device__device_id=parse_device_id(search))
            except IdentifierError:
                # A partial Device ID: match on what was typed, in canonical spelling.
                qs = qs.filter(device__device_id__contains=search.upper().replace(":", "-"))
    return qs.select_related("device", "raising_supplier", "assigned_supplier").order_by(
        "-created_at", "-id"
    )


def incidents_raised_by_us(user) -> QuerySet[Incident]:
    return incidents_visible_to(user).filter(raising_supplier_id=user.supplier_id)


def incidents_assigned_to_us(user) -> QuerySet[Incident]:
    return incidents_visible_to(user).filter(assigned_supplier_id=user.supplier_id)


def home_counts(user, *, now=None) -> dict[str, int]:
    """The figures on the home page, in one query.

    Supplier users: raised by us and open, awaiting our answer, ours overdue. The helpdesk:
    waiting on the helpdesk, overdue anywhere.
    """
    now = now or timezone.now()
    overdue = Q(status=IncidentStatus.AWAITING_INSTALLER, due_at__lt=now)
    if not user.supplier_id:
        return incidents_visible_to(user).aggregate(
            with_helpdesk=Count("pk", filter=Q(status=IncidentStatus.WITH_HELPDESK)),
            overdue=Count("pk", filter=overdue),
        )
    supplier = user.supplier_id
    return incidents_visible_to(user).aggregate(
        raised_open=Count("pk", filter=Q(raising_supplier_id=supplier, status__in=OPEN_STATUSES)),
        awaiting_us=Count(
            "pk", filter=Q(assigned_supplier_id=supplier, status=IncidentStatus.AWAITING_INSTALLER)
        ),
        overdue=Count("pk", filter=Q(assigned_supplier_id=supplier) & overdue),
    )
