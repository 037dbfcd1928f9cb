"""Who may do what to an incident they can see. Services enforce these; templates use them to
render only the actions a user may take."""

from accounts.permissions import user_may_answer, user_may_raise

from .models import Incident, IncidentStatus


def is_raiser(user, incident: Incident) -> bool:
    return bool(user.supplier_id) and user.supplier_id == incident.raising_supplier_id


def is_assignee(user, incident: Incident) -> bool:
    return bool(user.supplier_id) and user.supplier_id == incident.assigned_supplier_id


def answers_for_assignee(user, incident: Incident) -> bool:
    """A user of the assigned Supplier holding the role to answer."""
    return is_assignee(user, incident) and user_may_answer(user)


def acts_for_raiser(user, incident: Incident) -> bool:
    """A user of the raising Supplier holding the role to raise (and so to follow up)."""
    return is_raiser(user, incident) and user_may_raise(user)


def can_answer(user, incident: Incident) -> bool:
    return (
        answers_for_assignee(user, incident)
        and incident.status == IncidentStatus.AWAITING_INSTALLER
    )


def can_close(user, incident: Incident) -> bool:
    # Only the raising Supplier closes: it alone knows whether the code let it commission.
    return acts_for_raiser(user, incident) and incident.is_open


def can_report_code_failed(user, incident: Incident) -> bool:
    return acts_for_raiser(user, incident) and incident.status == IncidentStatus.CODE_PROVIDED


def can_reveal_code(user, incident: Incident) -> bool:
    """The raising Supplier's users who hold the role to raise (they commission with it), and
    the providing Supplier's users who hold the role to answer (they gave it). Belonging to
    either organisation is not enough: a role-less user sees that a code exists, not the code.
    The reveal service asks this same question."""
    if not incident.has_install_code:
        return False
    return acts_for_raiser(user, incident) or (
        user_may_answer(user) and user.supplier_id == incident.code_provided_by_id
    )


def can_add_note(user, incident: Incident) -> bool:
    return incident.is_open and (
        is_raiser(user, incident) or is_assignee(user, incident) or user.is_helpdesk
    )


def can_reassign(user, incident: Incident) -> bool:
    return user.is_helpdesk and incident.status in (
        IncidentStatus.WITH_HELPDESK,
        IncidentStatus.AWAITING_INSTALLER,
    )


def disclaimed_by_user(user, incident: Incident) -> bool:
    """The user's Supplier answered "not installed by us" (``incident_get_for_user`` reads when):
    it keeps the request in sight and may take no action on it unless assigned it again."""
    return getattr(incident, "disclaimed_at", None) is not None


def reads_only_as_disclaimer(user, incident: Incident) -> bool:
    """The user sees the request only because its Supplier disclaimed it: the page shows it as
    the Supplier left it (timeline up to its answer), with no action and no later assignee."""
    return disclaimed_by_user(user, incident) and not (
        is_assignee(user, incident) or is_raiser(user, incident)
    )


def takes_part_in(action: str, user, incident: Incident) -> bool:
    """Whether the user takes part in ``action`` on this incident whatever state it is in.

    Such a user refused only because the request moved on since the action was offered (a
    second click, another tab, a colleague) is told what happened (409); anyone else is
    refused outright (403).
    """
    installer_side = is_assignee(user, incident) or disclaimed_by_user(user, incident)
    if action in ("answer", "not_installed"):
        return installer_side and user_may_answer(user)
    if action in ("close", "code_failed"):
        return acts_for_raiser(user, incident)
    if action == "reveal":
        # Revealing needs the role to raise (raiser) or to answer (the providing side).
        return acts_for_raiser(user, incident) or (installer_side and user_may_answer(user))
    if action == "note":
        return is_raiser(user, incident) or installer_side or user.is_helpdesk
    raise ValueError(f"unknown action {action!r}")
