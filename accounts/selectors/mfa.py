"""Reads about users' second factors."""

from django_otp.plugins.otp_static.models import StaticToken

from ..models import SealedTOTPDevice


def user_has_mfa(user) -> bool:
    """Whether the user has a confirmed authenticator app (and so must give a code to log in)."""
    return SealedTOTPDevice.objects.filter(user_id=user.pk, confirmed=True).exists()


def backup_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user_id=user.pk, device__confirmed=True).count()


def mfa_pending_device(user) -> SealedTOTPDevice | None:
    """The authenticator the user is setting up (unconfirmed), if any."""
    return SealedTOTPDevice.objects.filter(user_id=user.pk, confirmed=False).order_by("pk").first()
