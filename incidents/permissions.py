"""What a user may do with an incident, a Device page or a bulk upload, and why not.

One helper per object answers with every action allowed or refused with a reason:
:func:`incident_access` (an incident the user can see), :func:`raise_access` and
:func:`upload_access` (the user's organisation and roles), :func:`device_access` (the Device
page). The views read it to offer only what a user may do, the services to allow the action
(``incidents.services.common.require``), and every refusal's words come from one table,
:class:`Refusal`. Page-level rules are decorators (:func:`supplier_user_required`).
"""

from dataclasses import dataclass
from enum import Enum
from functools import cached_property, wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from accounts.permissions import user_may_answer, user_may_raise

from .models import BulkKind, Incident, IncidentStatus


class Refusal(Enum):
    """Every refusal of an action, as (code, words). The words of a refusal because the
    request is no longer in a state that allows it name the request
    (``{reference}``, ``{status_phrase}``): see :meth:`message`."""

    # Pages and actions for Supplier users only.
    NOT_SUPPLIER_RAISE = (
        "not_supplier_user",
        "Only Supplier users raise Requests for Install Code.",
    )
    NOT_SUPPLIER_OWN_REQUESTS = (
        "not_supplier_user",
        "Only Supplier users have requests of their own.",
    )
    NOT_SUPPLIER_WORKLIST = ("not_supplier_user", "Only Supplier users have a worklist.")
    NOT_SUPPLIER_ANSWER = ("not_supplier_user", "Only Supplier users answer requests.")
    NOT_SUPPLIER_UPLOAD = ("not_supplier_user", "Only Supplier users upload files.")
    NOT_SUPPLIER_COMPLIANCE = (
        "not_supplier_user",
        "Only Supplier users have compliance figures of their own.",
    )
    NOT_HELPDESK_COMPLIANCE = (
        "not_helpdesk",
        "Only the DCC helpdesk sees every Supplier's figures.",
    )
    # The roles a Supplier's administrators give.
    NO_ROLE_TO_RAISE = (
        "no_role_to_raise",
        "Your organisation has not given you the role to raise Requests for Install Code.",
    )
    NO_ROLE_TO_ANSWER = (
        "no_role_to_answer",
        "Your organisation has not given you the role to answer requests.",
    )
    NO_ROLE_TO_LODGE = (
        "no_role_to_answer",
        "Your organisation has not given you the role to answer requests, which lodging "
        "install codes is part of.",
    )
    # Who takes which action on an incident.
    NOT_VISIBLE = ("not_found", "No such incident.")
    NOT_ANSWERER = (
        "not_answerer",
        "Only users of the assigned Supplier with the role to answer may answer.",
    )
    NOT_REVEALER = (
        "not_revealer",
        "Only users of the raising Supplier with the role to raise requests, or of the Supplier "
        "that provided the code with the role to answer them, may see this code.",
    )
    NOT_REPORTER = ("not_raiser", "Only the raising Supplier reports this.")
    NOT_CLOSER = ("not_raiser", "Only the raising Supplier closes a request.")
    NOT_NOTER = ("not_party", "You cannot add notes to this incident.")
    NOT_REASSIGNER = ("not_helpdesk", "Only the DCC helpdesk reassigns incidents.")
    NOT_ALLOWED = ("forbidden", "You cannot do that to this incident.")
    # The request is no longer in a state that allows the action.
    MOVED_ON = (
        "invalid_transition",
        "{reference} {status_phrase}; that action is no longer possible.",
    )
    NO_CODE_TO_REPORT = ("invalid_transition", "{reference} has no install code to report on.")
    CLOSED_TO_NOTES = ("closed", "{reference} is closed; notes can no longer be added.")
    NOT_REASSIGNABLE = (
        "invalid_transition",
        "{reference} {status_phrase}; only a request awaiting an answer can be reassigned.",
    )
    NOT_AWAITING_ANSWER = (
        "not_awaiting_answer",
        "{reference} is {status_label}; only a request awaiting your answer can be answered.",
    )

    @property
    def code(self) -> str:
        return self.value[0]

    @property
    def text(self) -> str:
        return self.value[1]

    @property
    def of_state(self) -> bool:
        """Whether this is a refusal because of the request's state (a domain error, 409 for
        a user who takes part), rather than of who asks (403)."""
        return self in _STATE_REFUSALS

    def message(self, incident: Incident | None = None) -> str:
        if incident is None:
            return self.text
        return self.text.format(
            reference=incident.reference,
            status_phrase=incident.status_phrase,
            status_label=incident.get_status_display().lower(),
        )


_STATE_REFUSALS = frozenset(
    {
        Refusal.MOVED_ON,
        Refusal.NO_CODE_TO_REPORT,
        Refusal.CLOSED_TO_NOTES,
        Refusal.NOT_REASSIGNABLE,
        Refusal.NOT_AWAITING_ANSWER,
    }
)


@dataclass(frozen=True)
class Decision:
    """One action: allowed, or refused with a reason.

    ``takes_part``: the user takes part in this action whatever state the request is in. Such
    a user refused only because the request moved on since the action was offered (a second
    click, another tab, a colleague) is told what happened (409); anyone else is refused
    outright (403).
    """

    allowed: bool
    refusal: Refusal | None = None
    takes_part: bool = False

    def __bool__(self) -> bool:
        return self.allowed


ALLOWED = Decision(True, None, True)


def refused(refusal: Refusal, *, takes_part: bool = False) -> Decision:
    return Decision(False, refusal, takes_part)


# --- People and organisations -------------------------------------------------------------------


def is_raiser(user, incident: Incident) -> bool:
    return bool(user.supplier_id) and user.supplier_id == incident.raising_supplier_id


def is_assignee(user, incident: Incident) -> bool:
    return bool(user.supplier_id) and user.supplier_id == incident.assigned_supplier_id


# --- An incident --------------------------------------------------------------------------------


class IncidentAccess:
    """What one user may do with one incident: each action a :class:`Decision`.

    Each is worked out when first read, from the incident as given (a bulk answer reads only
    ``answer``, of rows loaded with a few fields); a service asks again of the row it locked.
    """

    def __init__(self, user, incident: Incident):
        self.user, self.incident = user, incident

    def of(self, action: str) -> Decision:
        """The decision on an action by its name on the incident page's URLs."""
        return getattr(self, ACTION_FIELDS.get(action, action))

    # --- Who the user is to the incident

    @cached_property
    def is_raiser(self) -> bool:
        return is_raiser(self.user, self.incident)

    @cached_property
    def is_assignee(self) -> bool:
        return is_assignee(self.user, self.incident)

    @cached_property
    def disclaimed(self) -> bool:
        # ``incident_get_for_user`` reads when the user's Supplier answered "not installed by
        # us": it keeps the request in sight and may take no action on it unless assigned it
        # again.
        return getattr(self.incident, "disclaimed_at", None) is not None

    @cached_property
    def read_only(self) -> bool:
        """The user sees the request only because its Supplier disclaimed it: the page shows
        it as the Supplier left it (timeline up to its answer), no action, no later assignee."""
        return self.disclaimed and not (self.is_assignee or self.is_raiser)

    @property
    def _helpdesk(self) -> bool:
        return bool(getattr(self.user, "is_helpdesk", False))

    @property
    def _installer_side(self) -> bool:
        return self.is_assignee or self.disclaimed

    @cached_property
    def _follows_up(self) -> bool:
        """Raised it, with the role to raise (and so to follow up)."""
        return self.is_raiser and user_may_raise(self.user)

    # --- The actions

    @cached_property
    def view(self) -> Decision:
        if self.is_raiser or self.is_assignee or self.disclaimed or self._helpdesk:
            return ALLOWED
        return refused(Refusal.NOT_VISIBLE)

    @cached_property
    def answer(self) -> Decision:
        may_answer = user_may_answer(self.user)
        if not (self.is_assignee and may_answer):
            return refused(Refusal.NOT_ANSWERER, takes_part=self._installer_side and may_answer)
        if self.incident.status != IncidentStatus.AWAITING_INSTALLER:
            return refused(Refusal.MOVED_ON, takes_part=True)
        return ALLOWED

    @property
    def disclaim(self) -> Decision:
        """Answer "not installed by us": whoever may answer, when they may."""
        return self.answer

    @cached_property
    def reveal(self) -> Decision:
        # The raiser's users who may raise (they commission with it), and the providing
        # Supplier's users who may answer (they gave it). Belonging to either organisation is
        # not enough: a role-less user sees that a code exists, not the code.
        may_answer = user_may_answer(self.user)
        provided = may_answer and self.user.supplier_id == self.incident.code_provided_by_id
        if self.incident.has_install_code and (self._follows_up or provided):
            return ALLOWED
        return refused(
            Refusal.NOT_REVEALER,
            takes_part=self._follows_up or (self._installer_side and may_answer),
        )

    @cached_property
    def close(self) -> Decision:
        # Only the raising Supplier closes: it alone knows whether the code let it commission.
        if not self._follows_up:
            return refused(Refusal.NOT_CLOSER)
        if not self.incident.is_open:
            return refused(Refusal.MOVED_ON, takes_part=True)
        return ALLOWED

    @cached_property
    def code_failed(self) -> Decision:
        if not self._follows_up:
            return refused(Refusal.NOT_REPORTER)
        incident = self.incident
        if incident.status != IncidentStatus.CODE_PROVIDED or incident.assigned_supplier_id is None:
            return refused(Refusal.NO_CODE_TO_REPORT, takes_part=True)
        return ALLOWED

    @cached_property
    def note(self) -> Decision:
        if not (self.is_raiser or self.is_assignee or self._helpdesk):
            return refused(Refusal.NOT_NOTER, takes_part=self.disclaimed)
        if not self.incident.is_open:
            return refused(Refusal.CLOSED_TO_NOTES, takes_part=True)
        return ALLOWED

    @cached_property
    def reassign(self) -> Decision:
        if not self._helpdesk:
            return refused(Refusal.NOT_REASSIGNER)
        if self.incident.status not in (
            IncidentStatus.WITH_HELPDESK,
            IncidentStatus.AWAITING_INSTALLER,
        ):
            return refused(Refusal.NOT_REASSIGNABLE, takes_part=True)
        return ALLOWED


# The incident page's action names that differ from the attributes of IncidentAccess.
ACTION_FIELDS = {"not_installed": "disclaim"}


def incident_access(user, incident: Incident) -> IncidentAccess:
    """Every action ``user`` may take on ``incident``, each with the reason it is refused."""
    return IncidentAccess(user, incident)


# --- Raising and uploading ----------------------------------------------------------------------


def raise_access(user) -> Decision:
    """Whether the user may raise Requests for Install Code (one by one or by CSV)."""
    if not user.supplier_id:
        return refused(Refusal.NOT_SUPPLIER_RAISE)
    if not user_may_raise(user):
        return refused(Refusal.NO_ROLE_TO_RAISE)
    return ALLOWED


# The role each kind of upload needs: the role of the single action.
UPLOAD_ROLE_MISSING = {
    BulkKind.RAISE: Refusal.NO_ROLE_TO_RAISE,
    BulkKind.ANSWER: Refusal.NO_ROLE_TO_ANSWER,
    BulkKind.LODGE: Refusal.NO_ROLE_TO_LODGE,
}


def upload_access(user, kind: str) -> Decision:
    """Whether the user may upload (and have processed) a bulk file of ``kind``: a Supplier
    user holding the role of the single action (to raise; to answer, for answer and lodge
    files)."""
    if not user.supplier_id:
        return refused(Refusal.NOT_SUPPLIER_UPLOAD)
    may = user_may_raise(user) if kind == BulkKind.RAISE else user_may_answer(user)
    return ALLOWED if may else refused(UPLOAD_ROLE_MISSING[kind])


# --- The Device page ----------------------------------------------------------------------------


def may_look_up_devices(user) -> bool:
    """Who may open Device pages at all: Supplier users and the DCC helpdesk."""
    return bool(user.is_authenticated and (user.supplier_id or user.is_helpdesk))


@dataclass(frozen=True)
class DeviceAccess:
    view: bool
    meter_points: bool  # a meter point identifies a home
    installed_by_us: bool
    registered_to_us: bool


def device_access(
    user, device, *, registered_supplier_ids, has_visible_requests: bool
) -> DeviceAccess:
    """The Device page: the helpdesk always; a Supplier's users when their Supplier installed
    the Device (pre-notified it), is registered today for one of its meter points, or has a
    request for it they may see. The meter points only to the helpdesk, the installing
    Supplier and the Supplier registered for them today, not to one whose only link is an old
    request."""
    supplier_id = user.supplier_id if user.is_authenticated else None
    installed = bool(supplier_id) and device.installing_supplier_id == supplier_id
    registered = bool(supplier_id) and supplier_id in set(registered_supplier_ids)
    helpdesk = bool(user.is_authenticated and user.is_helpdesk)
    sees_points = helpdesk or installed or registered
    return DeviceAccess(
        view=may_look_up_devices(user) and (sees_points or has_visible_requests),
        meter_points=sees_points,
        installed_by_us=installed,
        registered_to_us=registered,
    )


# --- Page decorators ----------------------------------------------------------------------------


def supplier_user_required(refusal: Refusal):
    """A page for Supplier users only: anonymous users are sent to sign in, anyone else is
    refused (403) with ``refusal``'s words."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.supplier_id:
                raise PermissionDenied(refusal.text)
            return view(request, *args, **kwargs)

        return login_required(wrapped)

    return decorator


def helpdesk_required(refusal: Refusal):
    """A page for the DCC helpdesk only: anonymous users are sent to sign in, anyone else is
    refused (403) with ``refusal``'s words."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_helpdesk:
                raise PermissionDenied(refusal.text)
            return view(request, *args, **kwargs)

        return login_required(wrapped)

    return decorator
