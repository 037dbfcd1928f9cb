"""A Supplier's users, managed by the Supplier's own administrators: invite, change roles,
deactivate and reactivate. Nobody manages another organisation's users here.

The DCC helpdesk does three things only, in the admin: it invites a Supplier's first
administrator (to an address the Supplier registered, never with a password it chose),
deactivates users, and requires a new two-factor enrolment (``mfa``). It sets no password,
organisation or role: that would let it act as a Supplier.

Every change locks the organisation's Supplier row first, which serialises the changes to its
users: two administrators demoting each other at once cannot leave it with none.
"""

import logging

from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.http import Http404

# The invitation is an email like any other, delivered through the outbox (the floor below).
from notifications.services import notification_queue

from ..models import SecurityEventKind, Supplier, User, supplier_audience
from ..permissions import can_manage_users
from .security_events import security_event_record
from .sessions import user_sessions_end

logger = logging.getLogger(__name__)

ROLE_FIELDS = ("can_raise", "can_answer", "is_supplier_admin")
ROLE_NAMES = {
    "can_raise": "may raise",
    "can_answer": "may answer",
    "is_supplier_admin": "administrator",
}


class AccountError(Exception):
    """A change to a user that the rules refuse. ``code`` is machine-readable, ``message`` is
    for the user, ``field`` the form field it is about (if any)."""

    def __init__(self, code: str, message: str, *, field: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


def lock_own_supplier(actor) -> Supplier:
    """The actor's Supplier, locked; ``PermissionDenied`` unless they administer it."""
    if not can_manage_users(actor):
        raise PermissionDenied("Only your organisation's administrators manage its users.")
    return Supplier.objects.select_for_update().get(pk=actor.supplier_id)


def locked_member(supplier: Supplier, user_id: int) -> User:
    """A user of the Supplier, locked; ``Http404`` for anyone else's."""
    user = User.objects.select_for_update().filter(pk=user_id, supplier=supplier).first()
    if user is None:
        raise Http404("No such user in your organisation.")
    return user


def _active_admins(supplier: Supplier) -> int:
    return User.objects.filter(supplier=supplier, is_active=True, is_supplier_admin=True).count()


def _roles_text(user: User) -> str:
    return ", ".join(ROLE_NAMES[name] for name in ROLE_FIELDS if getattr(user, name)) or "none"


def user_invite(
    *,
    actor,
    username: str,
    email: str,
    first_name: str = "",
    last_name: str = "",
    can_raise: bool = True,
    can_answer: bool = True,
    is_supplier_admin: bool = False,
    request=None,
) -> User:
    """Add a user to the actor's organisation and email them a link to choose a password.

    The user has no usable password until they follow the link (one use, valid for
    ``PASSWORD_RESET_TIMEOUT``). ``PermissionDenied`` unless the actor administers a Supplier;
    ``AccountError`` for a username or email address already in use or malformed.
    Writes a ``user_invited`` security event; queues the ``account_invited`` email after commit.
    """
    username, email = checked_identity(username, email)
    with transaction.atomic():
        supplier = lock_own_supplier(actor)
        user = new_invited_user(
            supplier=supplier,
            username=username,
            email=email,
            first_name=first_name,
            last_name=last_name,
            can_raise=can_raise,
            can_answer=can_answer,
            is_supplier_admin=is_supplier_admin,
        )
        send_invitation(actor, user, request=request, detail=f"Roles: {_roles_text(user)}.")
    logger.info("User %s invited to supplier %s by user %s", user.pk, supplier.pk, actor.pk)
    return user


def checked_identity(username: str, email: str) -> tuple[str, str]:
    """The username and address as stored; ``AccountError`` for a malformed one."""
    username = User.normalize_username(username.strip())
    email = User.objects.normalize_email(email.strip()).lower()
    try:
        UnicodeUsernameValidator()(username)
    except ValidationError as exc:
        raise AccountError("bad_username", exc.messages[0], field="username") from exc
    try:
        validate_email(email)
    except ValidationError as exc:
        raise AccountError("bad_email", "Enter a valid email address.", field="email") from exc
    return username, email


def new_invited_user(*, supplier: Supplier, username: str, email: str, **fields) -> User:
    """A new user of the (locked) Supplier with no usable password; ``AccountError`` for a
    username or address already in use."""
    if User.objects.filter(username__iexact=username).exists():
        raise AccountError(
            "username_taken",
            f"The username {username} is taken; choose another.",
            field="username",
        )
    if User.objects.filter(email__iexact=email).exists():
        raise AccountError(
            "email_taken",
            f"{email} already belongs to a user of the portal.",
            field="email",
        )
    user = User(
        username=username,
        email=email,
        first_name=fields.pop("first_name", "").strip(),
        last_name=fields.pop("last_name", "").strip(),
        supplier=supplier,
        **fields,
    )
    user.set_unusable_password()
    user.save()
    return user


def user_invite_again(*, actor, user_id: int, request=None) -> User:
    """Send a new invitation to a user of the actor's organisation who has not yet chosen a
    password; the link of any earlier invitation stops working.

    ``Http404`` for another organisation's user; ``AccountError`` if the user already has a
    password or is deactivated. Writes a ``user_invited`` event; queues the email after commit.
    """
    with transaction.atomic():
        supplier = lock_own_supplier(actor)
        user = locked_member(supplier, user_id)
        if user.has_usable_password():
            raise AccountError(
                "has_password", f"{user.username} has already chosen a password and can log in."
            )
        if not user.is_active:
            raise AccountError(
                "inactive", f"{user.username} is deactivated: reactivate them first."
            )
        # A fresh unusable password changes what the token hashes: the old link dies.
        user.set_unusable_password()
        user.save(update_fields=["password"])
        send_invitation(actor, user, request=request, detail="Invitation sent again.")
    return user


def send_invitation(actor, user: User, *, request, detail: str, invited_by: str = "") -> None:
    event = security_event_record(
        kind=SecurityEventKind.USER_INVITED,
        actor=actor,
        request=request,
        reference=f"user:{user.pk} {user.username}",
        detail=detail,
        supplier=user.supplier_id,
    )
    # No link and no token in the stored context: the link is made when the email is rendered
    # for sending (accounts.templatetags.invitations), so the outbox never holds a credential.
    notification_queue(
        source=f"security-event:{event.pk}",
        template="account_invited",
        recipients=[user.email],
        context={
            "user_id": user.pk,
            "email": user.email,
            "username": user.username,
            "supplier": user.supplier.name,
            "invited_by": invited_by or actor.get_full_name() or actor.get_username(),
        },
        audience=supplier_audience(user.supplier_id),
    )


def user_roles_change(
    *,
    actor,
    user_id: int,
    can_raise: bool,
    can_answer: bool,
    is_supplier_admin: bool,
    request=None,
) -> User:
    """Set the roles of a user of the actor's organisation.

    ``Http404`` for another organisation's user. ``AccountError`` when administrators would
    lose their own administrator role (another administrator must do it) or the organisation
    would be left with no active administrator. Writes a ``roles_changed`` event when anything
    changed; queues nothing.
    """
    wanted = {
        "can_raise": can_raise,
        "can_answer": can_answer,
        "is_supplier_admin": is_supplier_admin,
    }
    with transaction.atomic():
        supplier = lock_own_supplier(actor)
        user = locked_member(supplier, user_id)
        changed = [name for name in ROLE_FIELDS if getattr(user, name) != wanted[name]]
        if not changed:
            return user
        if user.is_supplier_admin and not is_supplier_admin:
            if user.pk == actor.pk:
                raise AccountError(
                    "own_admin_role",
                    "You cannot remove your own administrator role: ask another administrator.",
                    field="is_supplier_admin",
                )
            if user.is_active and _active_admins(supplier) <= 1:
                raise AccountError(
                    "last_admin",
                    f"{user.username} is {supplier.name}'s only active administrator.",
                    field="is_supplier_admin",
                )
        before = _roles_text(user)
        for name in changed:
            setattr(user, name, wanted[name])
        user.save(update_fields=changed)
        security_event_record(
            kind=SecurityEventKind.ROLES_CHANGED,
            actor=actor,
            request=request,
            reference=f"user:{user.pk} {user.username}",
            detail=f"Roles were: {before}; now: {_roles_text(user)}.",
        )
    return user


def user_deactivate(*, actor, user_id: int, request=None) -> User:
    """Stop a user of the actor's organisation from logging in; their sessions end (deleted, so
    that reactivating the user later does not revive them).

    ``Http404`` for another organisation's user. ``AccountError`` for the actor themselves, for
    a user already deactivated, and for the organisation's last active administrator.
    Writes a ``user_deactivated`` event; queues nothing.
    """
    with transaction.atomic():
        supplier = lock_own_supplier(actor)
        user = locked_member(supplier, user_id)
        if user.pk == actor.pk:
            raise AccountError("self", "You cannot deactivate yourself.")
        if not user.is_active:
            raise AccountError("inactive", f"{user.username} is already deactivated.")
        if user.is_supplier_admin and _active_admins(supplier) <= 1:
            raise AccountError(
                "last_admin", f"{user.username} is {supplier.name}'s only active administrator."
            )
        user.is_active = False
        user.save(update_fields=["is_active"])
        user_sessions_end(user_id=user.pk)
        security_event_record(
            kind=SecurityEventKind.USER_DEACTIVATED,
            actor=actor,
            request=request,
            reference=f"user:{user.pk} {user.username}",
        )
    return user


def user_reactivate(*, actor, user_id: int, request=None) -> User:
    """Let a deactivated user of the actor's organisation log in again, with the password and
    authenticator they had. ``Http404`` for another organisation's user; ``AccountError`` for a
    user who is active. Writes a ``user_reactivated`` event; queues nothing."""
    with transaction.atomic():
        supplier = lock_own_supplier(actor)
        user = locked_member(supplier, user_id)
        if user.is_active:
            raise AccountError("active", f"{user.username} is already active.")
        user.is_active = True
        user.save(update_fields=["is_active"])
        security_event_record(
            kind=SecurityEventKind.USER_REACTIVATED,
            actor=actor,
            request=request,
            reference=f"user:{user.pk} {user.username}",
        )
    return user
