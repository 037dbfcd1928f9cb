"""Reads about users, their second factors and Suppliers that more than one place needs."""

import re

from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404
from django_otp.plugins.otp_static.models import StaticToken

from .models import SealedTOTPDevice, Supplier, User

_SEPARATORS = re.compile(r"[\s:\-]+")
_HEX_DIGITS = re.compile(r"[0-9A-Fa-f]+")
_DECIMAL_DIGIT = re.compile(r"[0-9]")


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


def supplier_ids_named(text: str) -> list[int]:
    """The Suppliers whose name contains ``text`` (any case).

    The helpdesk's searches by Supplier name read this small table first, then filter the big
    ones (tens of millions of Devices, hundreds of thousands of incidents) on the indexed
    Supplier column with the ids found: never a text match joined across the big table.

    Text that can only be the digits of an identifier (hex digits, at least one of them a
    decimal digit: a Device ID's first digits, an MPxN) names no Supplier and costs no query.
    """
    text = text.strip()
    compact = _SEPARATORS.sub("", text)
    if not compact or (_HEX_DIGITS.fullmatch(compact) and _DECIMAL_DIGIT.search(compact)):
        return []
    return list(Supplier.objects.filter(name__icontains=text).values_list("pk", flat=True))
