"""What the DCC helpdesk does to a Supplier's users, in the admin: invite a Supplier's first
administrator (to an address the Supplier registered, never with a password it chose) and
deactivate users (``mfa`` requires a new two-factor enrolment). It sets no password,
organisation or role: that would let it act as a Supplier. Each change is logged.
"""

import logging

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404

from ..models import SecurityEventKind, Supplier, User
from ..permissions import is_helpdesk_staff, is_operator
from .security_events import security_event_record
from .sessions import user_sessions_end
from .users import AccountError, checked_identity, new_invited_user, send_invitation

logger = logging.getLogger(__name__)


def first_admin_invited(supplier: Supplier) -> User | None:
    """The administrator the Supplier is waiting for: active, invited, no password chosen yet,
    while no administrator of it can log in. None otherwise."""
    admins = list(
        User.objects.filter(supplier=supplier, is_active=True, is_supplier_admin=True).order_by(
            "username"
        )
    )
    if any(admin.has_usable_password() for admin in admins):
        return None
    return admins[0] if admins else None


def first_admin_invitation_refusal(supplier: Supplier) -> AccountError | None:
    """Why the DCC helpdesk may not invite a first administrator of the Supplier now, or None.

    The helpdesk invites only where nobody else can: a Supplier with an active administrator
    invites its own users, and one whose administrator was invited but has not chosen a
    password yet gets that invitation again instead. An invitation needs an address the
    Supplier registered.
    """
    admin = (
        User.objects.filter(supplier=supplier, is_active=True, is_supplier_admin=True)
        .order_by("username")
        .first()
    )
    if admin is not None:
        invited = first_admin_invited(supplier)
        if invited is not None:
            return AccountError(
                "admin_invited",
                f"{supplier.name}'s administrator {invited.username} was invited and has not "
                "chosen a password yet: send the invitation again.",
            )
        return AccountError(
            "has_admin",
            f"{supplier.name} already has an active administrator, {admin.username}: its "
            "administrators invite its users.",
        )
    if not supplier.contacts.exists():
        return AccountError(
            "no_contact",
            f"{supplier.name} has no registered contact address: an operator registers one first.",
        )
    return None


def supplier_first_admin_invite(
    *,
    actor,
    supplier_id: int,
    username: str,
    email: str,
    first_name: str = "",
    last_name: str = "",
    request=None,
) -> User:
    """The DCC helpdesk invites the first administrator of a Supplier that has no active one.

    The invitation goes to one of the Supplier's registered contact addresses, with the
    one-time link of every invitation: the user chooses the password, never the helpdesk. The
    user administers the Supplier (and may raise and answer); from then on its administrators
    manage its users. ``PermissionDenied`` unless the actor is helpdesk staff; ``Http404`` for
    no such Supplier; ``AccountError`` as :func:`first_admin_invitation_refusal` says, for an
    address that is not one of the Supplier's, and as :func:`user_invite` for the username and
    address. Writes a ``user_invited`` event; queues the ``account_invited`` email after commit.
    """
    if not is_helpdesk_staff(actor):
        raise PermissionDenied("Only the DCC helpdesk invites a Supplier's first administrator.")
    username, email = checked_identity(username, email)
    with transaction.atomic():
        supplier = Supplier.objects.select_for_update().filter(pk=supplier_id).first()
        if supplier is None:
            raise Http404("No such Supplier.")
        refusal = first_admin_invitation_refusal(supplier)
        if refusal is not None:
            raise refusal
        if not supplier.contacts.filter(email__iexact=email).exists():
            raise AccountError(
                "not_a_contact",
                f"{email} is not a registered contact address of {supplier.name}.",
                field="email",
            )
        user = new_invited_user(
            supplier=supplier,
            username=username,
            email=email,
            first_name=first_name,
            last_name=last_name,
            is_supplier_admin=True,
        )
        send_invitation(
            actor,
            user,
            request=request,
            detail=f"First administrator of {supplier.name}, invited by the DCC helpdesk at "
            f"the registered address {email}.",
            invited_by=_helpdesk_inviter(actor),
        )
    logger.info(
        "First administrator %s of supplier %s invited by %s", user.pk, supplier.pk, actor.pk
    )
    return user


def supplier_first_admin_invite_again(*, actor, supplier_id: int, request=None) -> User:
    """The DCC helpdesk sends a new invitation to the administrator a Supplier is waiting for
    (:func:`first_admin_invited`), at the address it was invited at; the link of any earlier
    invitation stops working (an invitation's link lasts only ``PASSWORD_RESET_TIMEOUT``).

    ``PermissionDenied`` unless the actor is helpdesk staff; ``Http404`` for no such Supplier;
    ``AccountError`` when the Supplier waits for no administrator (one of them can log in,
    or none was invited). Writes a ``user_invited`` event; queues the email after commit.
    """
    if not is_helpdesk_staff(actor):
        raise PermissionDenied("Only the DCC helpdesk invites a Supplier's first administrator.")
    with transaction.atomic():
        supplier = Supplier.objects.select_for_update().filter(pk=supplier_id).first()
        if supplier is None:
            raise Http404("No such Supplier.")
        invited = first_admin_invited(supplier)
        if invited is None:
            raise first_admin_invitation_refusal(supplier) or AccountError(
                "nothing_pending", f"{supplier.name} is waiting for no administrator."
            )
        user = User.objects.select_for_update().get(pk=invited.pk)
        # A fresh unusable password changes what the token hashes: the old link dies.
        user.set_unusable_password()
        user.save(update_fields=["password"])
        send_invitation(
            actor,
            user,
            request=request,
            detail=f"First administrator of {supplier.name}: invitation sent again by the DCC "
            f"helpdesk to {user.email}.",
            invited_by=_helpdesk_inviter(actor),
        )
    return user


def _helpdesk_inviter(actor) -> str:
    return f"{actor.get_full_name() or actor.get_username()} of the DCC helpdesk"


def lock_user_for_helpdesk(actor, user_id: int) -> User:
    """A user, locked (their Supplier first, in the order every change locks them), for the
    DCC helpdesk to act on. ``PermissionDenied`` unless the actor is helpdesk staff,
    ``Http404`` for no such user."""
    if not is_helpdesk_staff(actor):
        raise PermissionDenied("Only the DCC helpdesk does this.")
    supplier_id = User.objects.filter(pk=user_id).values_list("supplier_id", flat=True).first()
    if supplier_id is not None:
        Supplier.objects.select_for_update().filter(pk=supplier_id).first()
    user = User.objects.select_for_update().filter(pk=user_id).first()
    if user is None:
        raise Http404("No such user.")
    return user


def refuse_superuser_unless_operator(actor, user: User, what: str) -> None:
    if user.is_superuser and not is_operator(actor):
        raise AccountError("superuser", f"Only an operator {what} {user.username}.")


def user_helpdesk_deactivate(*, actor, user_id: int, request=None) -> User:
    """The DCC helpdesk stops a user from logging in; their sessions end (deleted, so that
    reactivating the user later does not revive them).
    Reactivating is for the user's own organisation's administrators (or an operator).

    Unlike an organisation's administrators, the helpdesk may deactivate an organisation's last
    administrator (an account taken over, a leaver): it may then invite a new first
    administrator. ``PermissionDenied`` unless the actor is helpdesk staff, ``Http404`` for no
    such user, ``AccountError`` for oneself, a user already deactivated, and a superuser
    unless the actor is an operator. Writes a ``user_deactivated`` event; queues nothing.
    """
    with transaction.atomic():
        user = lock_user_for_helpdesk(actor, user_id)
        if user.pk == actor.pk:
            raise AccountError("self", "You cannot deactivate yourself.")
        refuse_superuser_unless_operator(actor, user, "deactivates")
        if not user.is_active:
            raise AccountError("inactive", f"{user.username} is already deactivated.")
        user.is_active = False
        user.save(update_fields=["is_active"])
        user_sessions_end(user_id=user.pk)
        security_event_record(
            kind=SecurityEventKind.USER_DEACTIVATED,
            actor=actor,
            request=request,
            reference=f"user:{user.pk} {user.username}",
            detail="Deactivated by the DCC helpdesk.",
            supplier=user.supplier_id,
        )
    return user
