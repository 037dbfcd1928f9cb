"""Requests for Install Code: raise, list, and read one with its timeline (the actions on it:
``actions``).

Each operation is the service the incident page calls (``incidents.services``), asked first of
the access helper the page asks (``incidents.permissions.incident_access``): refused with the
same reason code and words. A request the client's Supplier may not see answers exactly as a
missing one (404)."""

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from incidents import services
from incidents.calendar import deadline_text
from incidents.models import Incident, IncidentStatus
from incidents.permissions import incident_access
from incidents.selectors import incidents as selectors
from incidents.selectors import timeline as selectors_timeline

from ..permissions import ACTION_SCOPES, scope_allowed
from ..serializers import requests as s
from .base import ApiView

TAGS = ["Requests"]
ID_PARAMETER = OpenApiParameter(
    "public_id", str, OpenApiParameter.PATH, description="The request's id (a UUID)."
)
ANOTHER_SUPPLIER = "Another Supplier"


def request_url(incident) -> str:
    return reverse("api:request", kwargs={"public_id": incident.public_id})


def event_data(event) -> dict:
    if event.actor_id is None:
        actor = "SSI Portal"
    else:
        actor = event.actor.get_full_name() or event.actor.username
    return {
        "kind": event.kind,
        "created_at": event.created_at,
        "actor": actor,
        "organisation": event.actor_organisation,
        "from_status": event.from_status,
        "to_status": event.to_status,
        "message": event.message,
    }


def request_data(request, incident: Incident) -> dict:
    """The request as the client's Supplier may see it, as its page shows it: a Supplier that
    disclaimed it reads it as it left it (its timeline to its answer, later assignees not
    named, no deadline, no action)."""
    now = timezone.now()
    access = incident_access(request.user, incident)
    read_only = access.read_only
    clock_runs = (
        incident.status == IncidentStatus.AWAITING_INSTALLER
        and incident.due_at is not None
        and not read_only
    )
    if access.is_raiser:
        side = "raised"
    elif access.is_assignee:
        side = "assigned"
    elif access.disclaimed:
        side = "disclaimed"
    else:
        side = "helpdesk"
    assignee = incident.assigned_supplier.name if incident.assigned_supplier_id else None
    provider = incident.code_provided_by.name if incident.code_provided_by_id else None
    if read_only:
        assignee = ANOTHER_SUPPLIER if assignee else None
        provider = ANOTHER_SUPPLIER if provider else None
    token = request.auth
    actions = [
        name
        for name, scope in ACTION_SCOPES.items()
        if not read_only and access.of(name).allowed and scope_allowed(token, scope)
    ]
    timeline = selectors_timeline.incident_timeline(
        incident, until=incident.disclaimed_at if read_only else None
    )
    return {
        "id": incident.public_id,
        "reference": incident.reference,
        "device_id": incident.device.device_id,
        "device_type": incident.device.device_type,
        "status": incident.status,
        "status_label": incident.get_status_display(),
        "side": side,
        "raising_supplier": incident.raising_supplier.name,
        "raiser_reference": incident.raiser_reference if access.is_raiser else "",
        "assigned_supplier": assignee,
        "created_at": incident.created_at,
        "updated_at": incident.updated_at,
        "due_at": incident.due_at if clock_runs else None,
        "deadline": deadline_text(incident.due_at, now=now) if clock_runs else "",
        "overdue": clock_runs and now > incident.due_at,
        "breached_at": incident.breached_at,
        "has_install_code": incident.has_install_code,
        "code_provided_by": provider,
        "code_provided_at": incident.code_provided_at,
        "close_outcome": incident.close_outcome,
        "closed_at": incident.closed_at,
        "actions": actions,
        "timeline": [event_data(event) for event in timeline],
    }


def request_response(request, incident, *, status=200, headers=None) -> Response:
    # Read again as the client sees it (annotated with its disclaimer, if any).
    incident = selectors.incident_get_for_user(request.user, incident.public_id)
    return Response(
        s.RequestSerializer(request_data(request, incident)).data, status=status, headers=headers
    )


class RequestsView(ApiView):
    required_scopes = {"GET": "read", "POST": "raise"}

    @extend_schema(
        operation_id="requests_list",
        summary="List requests",
        description=(
            "The requests your Supplier may see, page by page (keyset: a deep page costs what "
            "the first does; no total). Filter by side, status, deadline and last change; "
            "follow ``next``. To follow every change, list with ``order=updated`` and "
            "``updated_since``."
        ),
        parameters=[s.ListQuerySerializer],
        responses=s.RequestPageSerializer,
        examples=s.LIST_EXAMPLES,
        tags=TAGS,
    )
    def get(self, request):
        query = s.ListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        q = query.validated_data
        qs = selectors.incident_list(
            selectors.incidents_on_side(request.user, q.get("side", "")),
            status=q.get("status", ""),
            due_before=q.get("due_before"),
            updated_since=q.get("updated_since"),
        )
        order = (
            selectors.CHANGED_ORDER
            if q["order"] == "updated"
            else selectors.list_order(q["order"])[1]
        )
        page = selectors.incident_page(qs, q.get("cursor"), size=q["page_size"], order=order)
        ours = request.user.supplier.name
        template = reverse("api:request", kwargs={"public_id": _ZERO})
        rows = []
        for row in page.object_list:
            data = row._asdict()
            if ours not in (row.raising_supplier, row.assigned_supplier) and row.assigned_supplier:
                # Seen only as the Supplier that disclaimed it: who has it now is not ours.
                data["assigned_supplier"] = ANOTHER_SUPPLIER
            data["reference"] = row.reference
            data["url"] = template.replace(str(_ZERO), str(row.public_id))
            rows.append(data)
        body = {
            "results": rows,
            "next": self._page_link(request, page.next_cursor),
            "previous": self._page_link(request, page.previous_cursor),
        }
        return Response(s.RequestPageSerializer(body).data)

    @staticmethod
    def _page_link(request, cursor: str | None) -> str | None:
        if not cursor:
            return None
        query = request.query_params.copy()
        query["cursor"] = cursor
        return f"{request.path}?{query.urlencode()}"

    @extend_schema(
        operation_id="request_raise",
        summary="Raise a Request for Install Code",
        description=(
            "The raise of the portal's form: the Device must be in the Smart Metering "
            "Inventory, of a type with an install code, awaiting commissioning and not "
            "pre-notified by your Supplier; the registration data must name your Supplier "
            "for its meter point; no other request may be open for it. A refusal is a 422 "
            "naming ``device_id`` with the reason code (as the device preview gives it). "
            "The request is assigned to the installing Supplier, which is told (email, "
            "webhook), or sent to the DCC helpdesk; it may be answered at once from a code "
            "lodged in advance. The raise limits of a user apply to the client (429 with "
            "Retry-After). Send an Idempotency-Key: a retry after a lost answer never raises "
            "twice."
        ),
        request=s.RaiseSerializer,
        responses={201: s.RequestSerializer},
        examples=s.RAISE_EXAMPLES,
        tags=TAGS,
    )
    def post(self, request):
        body = s.RaiseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        incident = services.incident_raise(
            actor=request.user, device_id=body.validated_data["device_id"]
        )
        return request_response(
            request, incident, status=201, headers={"Location": request_url(incident)}
        )


_ZERO = "00000000-0000-0000-0000-000000000000"


class RequestView(ApiView):
    required_scopes = {"GET": "read"}

    @extend_schema(
        operation_id="request_get",
        summary="A request, with its timeline",
        description=(
            "The request as its page shows it to your Supplier, with every event of its "
            "timeline and the actions this token may take now. Never the install code: "
            "reveal it."
        ),
        parameters=[ID_PARAMETER],
        responses=s.RequestSerializer,
        examples=s.REQUEST_EXAMPLES,
        tags=TAGS,
    )
    def get(self, request, public_id):
        incident = selectors.incident_get_for_user(request.user, public_id)
        return Response(s.RequestSerializer(request_data(request, incident)).data)
