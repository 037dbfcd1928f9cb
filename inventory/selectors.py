"""Reads about users and their second factors that more than one place needs."""

from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404
from django_otp.plugins.otp_static.models import StaticToken

from .models import SealedTOTPDevice, User


def user_has_mfa(user) -> bool:
    """Whether the user has a confirmed authenticator app (and so must give a code to log in)."""
    return SealedTOTPDevice.objects.filter(user_id=user.pk, confirmed=True).exists()


def backup_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user_id=user.pk, device__confirmed=True).count()


def organisation_users(supplier_id: int) -> QuerySet[User]:
    """Every user of one organisation, active or not, with ``has_mfa``; one query."""
    if not supplier_id:
        return User.objects.none()
    return (
        User.objects.filter(supplier_id=supplier_id)
        .annotate(
            has_mfa=Exists(SealedTOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True))
        )
        .order_by("username")
    )


def organisation_user_get(actor, user_id: int) -> User:
    """A user of the actor's organisation; ``Http404`` for anyone else's (missing and forbidden
    look the same)."""
    user = None
    if actor.supplier_id:
        user = organisation_users(actor.supplier_id).filter(pk=user_id).first()
    if user is None:
        raise Http404("No such user in your organisation.")
    return user


def mfa_pending_device(user) -> SealedTOTPDevice | None:
    """The authenticator the user is setting up (unconfirmed), if any."""
    return SealedTOTPDevice.objects.filter(user_id=user.pk, confirmed=False).order_by("pk").first()
