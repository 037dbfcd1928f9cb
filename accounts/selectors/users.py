"""Reads about an organisation's users."""

from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404

from ..models import SealedTOTPDevice, User


def organisation_users(supplier_id: int) -> QuerySet[User]:
    """Every person of one organisation (not its API clients), active or not, with
    ``has_mfa``; one query."""
    if not supplier_id:
        return User.objects.none()
    return (
        User.objects.filter(supplier_id=supplier_id, is_service_account=False)
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
