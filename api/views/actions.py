"""The actions on a request: answer, "not installed by us", reveal, "the code did not work",
close, note. Each asks the access helper first, as the page does, then calls the page's
service; a refusal carries the helper's reason code and words, and to a client that takes
part in the action, what moved the request on meanwhile."""

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.response import Response

from incidents import services
from incidents.permissions import incident_access
from incidents.selectors import incidents as selectors
from incidents.selectors import timeline as selectors_timeline
from inventory.identifiers import crc_suffix

from ..permissions import ACTION_SCOPES
from ..problems import Problem, refusal_problem
from ..serializers import requests as s
from .base import ApiView
from .requests import ID_PARAMETER, TAGS, event_data, request_response

# A service's refusals that mean the request changed since the client read it.
MOVED_ON_CODES = ("invalid_transition", "closed")


class ActionView(ApiView):
    """One action on a request: its access decision, its body, its service."""

    action: str = ""
    body_class = None

    def perform(self, request, incident, data):
        raise NotImplementedError

    def respond(self, request, incident, result):
        return request_response(request, incident)

    def post(self, request, public_id):
        incident = selectors.incident_get_for_user(request.user, public_id)
        decision = incident_access(request.user, incident).of(self.action)
        if not decision:
            raise self.refused(request, incident)
        body = self.body_class(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            result = self.perform(request, incident, body.validated_data)
        except PermissionDenied as exc:
            raise self.refused(request, incident) from exc
        except services.IncidentError as exc:
            if exc.code in MOVED_ON_CODES:
                # The row, read again under its lock, no longer allows it: moved on meanwhile.
                raise self.refused(request, incident) from exc
            raise
        return self.respond(request, incident, result)

    def refused(self, request, incident) -> Problem:
        """The access helper's refusal of the action on the request as it is now; to a
        client that takes part, what moved it on (who did what, when), as the page says."""
        incident = selectors.incident_get_for_user(request.user, incident.public_id)
        access = incident_access(request.user, incident)
        decision = access.of(self.action)
        if decision.allowed:  # allowed again meanwhile: ask the client to try again
            return Problem(409, "conflict", "The request changed meanwhile; read it and retry.")
        problem = refusal_problem(decision, incident)
        if problem.status_code == 409:
            moved_on = selectors_timeline.incident_moved_on_message(
                incident, until=incident.disclaimed_at if access.read_only else None
            )
            if moved_on:
                problem.detail_text = moved_on
        return problem


def _action_schema(operation_id, summary, description, request, examples, responses=None):
    """The documentation of an action view's POST (a class decorator)."""
    return extend_schema_view(
        post=extend_schema(
            operation_id=operation_id,
            summary=summary,
            description=description,
            parameters=[ID_PARAMETER],
            request=request,
            responses=responses or {200: s.RequestSerializer},
            examples=examples,
            tags=TAGS,
        )
    )


@_action_schema(
    "request_answer",
    "Answer with the install code",
    "The assigned Supplier gives the Device's install code (checked: 32 hex digits, or 36 "
    "with a CRC that must match). It is sealed at once; the raiser is told. Recorded in "
    "the security log under the client's name.",
    s.AnswerSerializer,
    s.ANSWER_EXAMPLES,
)
class AnswerView(ActionView):
    action = "answer"
    required_scopes = {"POST": ACTION_SCOPES["answer"]}
    body_class = s.AnswerSerializer

    def perform(self, request, incident, data):
        return services.incident_answer(
            actor=request.user, incident=incident, install_code=data["install_code"]
        )


@_action_schema(
    "request_not_installed",
    "Answer \u201cnot installed by us\u201d",
    "The assigned Supplier says it did not install the Device: the request goes to the "
    "DCC helpdesk to find the installing Supplier, its clock paused. Your Supplier keeps "
    "it in sight, read only (side disclaimed). Recorded in the security log.",
    s.ReasonSerializer,
    s.NOT_INSTALLED_EXAMPLES,
)
class NotInstalledView(ActionView):
    action = "not_installed"
    required_scopes = {"POST": ACTION_SCOPES["not_installed"]}
    body_class = s.ReasonSerializer

    def perform(self, request, incident, data):
        return services.incident_answer_not_installed(
            actor=request.user, incident=incident, reason=data["reason"]
        )


@_action_schema(
    "request_reveal",
    "Reveal the install code",
    "The code, to the raising Supplier (a client with the reveal scope) or to the Supplier "
    "that provided it. Each reveal is written to the request's timeline and to the "
    "security log under the client's name; the answer is never cached "
    "(``Cache-Control: no-store``). An Idempotency-Key is not used here: the answer is a "
    "credential and is never stored, so a retry reveals, and is recorded, again.",
    None,
    s.REVEAL_EXAMPLES,
    responses={200: s.RevealSerializer},
)
class RevealView(ActionView):
    action = "reveal"
    required_scopes = {"POST": ACTION_SCOPES["reveal"]}
    body_class = s.NoBodySerializer
    # The answer holds a credential: it is never stored, so never replayed. A retry reveals
    # again, and is recorded again.
    idempotent = False

    def perform(self, request, incident, data):
        return services.incident_reveal_code(actor=request.user, incident=incident)

    def respond(self, request, incident, code):
        return Response(
            s.RevealSerializer(
                {
                    "reference": incident.reference,
                    "install_code": code.hex().upper(),
                    "crc": crc_suffix(code).hex().upper(),
                }
            ).data
        )


@_action_schema(
    "request_code_failed",
    "Report that the code did not work",
    "The raiser reports that the code provided did not let it commission the Device: the "
    "code is discarded and the request returns to the installing Supplier with a fresh "
    "five-Working-Day deadline.",
    s.RequiredReasonSerializer,
    s.CODE_FAILED_EXAMPLES,
)
class CodeFailedView(ActionView):
    action = "code_failed"
    required_scopes = {"POST": ACTION_SCOPES["code_failed"]}
    body_class = s.RequiredReasonSerializer

    def perform(self, request, incident, data):
        return services.incident_report_code_failed(
            actor=request.user, incident=incident, reason=data["reason"]
        )


@_action_schema(
    "request_close",
    "Close the request",
    "Only the raising Supplier closes: code_worked once a code was provided, or "
    "no_longer_needed at any time while open. Recorded in the security log under the "
    "client's name.",
    s.CloseSerializer,
    s.CLOSE_EXAMPLES,
)
class CloseView(ActionView):
    action = "close"
    required_scopes = {"POST": ACTION_SCOPES["close"]}
    body_class = s.CloseSerializer

    def perform(self, request, incident, data):
        return services.incident_close(
            actor=request.user, incident=incident, outcome=data["outcome"]
        )


@_action_schema(
    "request_note_add",
    "Add a note",
    "A note on an open request, seen by both Suppliers (and emailed to the other side). "
    "Text that looks like an install code is refused and not kept.",
    s.NoteSerializer,
    s.NOTE_EXAMPLES,
    responses={201: s.NoteCreatedSerializer},
)
class NotesView(ActionView):
    action = "note"
    required_scopes = {"POST": ACTION_SCOPES["note"]}
    body_class = s.NoteSerializer

    def perform(self, request, incident, data):
        return services.incident_add_note(actor=request.user, incident=incident, text=data["text"])

    def respond(self, request, incident, event):
        event = type(event).objects.select_related("actor", "actor_supplier").get(pk=event.pk)
        body = {"reference": incident.reference, "event": event_data(event)}
        return Response(s.NoteCreatedSerializer(body).data, status=201)
