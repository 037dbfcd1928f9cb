"""Two-factor authentication: an authenticator app (TOTP, django-otp) with one-use backup codes.

A user has at most one confirmed authenticator and one set of backup codes. Setting up makes
an unconfirmed TOTP device whose secret the user's app reads from a QR code; a code from the
app confirms it. Every change afterwards (a new app, removal, new backup codes) needs a current
code, so a session left open is not enough to take the account over.

Wrong codes are throttled per device by django-otp (1, 2, 4, 8 … seconds); at login they also
count towards the lockout (accounts.views.account). Each code is accepted once: a TOTP code
not before the next time step, a backup code never again.
"""

import re

from django.conf import settings
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticToken

from ssi_portal.lib.crypto import key_ring

from ..models import HashedBackupCodes, SealedTOTPDevice, SecurityEventKind, backup_code_digest
from .helpdesk import lock_user_for_helpdesk, refuse_superuser_unless_operator
from .security_events import security_event_record
from .users import AccountError, lock_own_supplier, locked_member

_SEPARATORS = re.compile(r"[\s\-]+")
TOTP_NAME = "Authenticator app"
BACKUP_NAME = "Backup codes"


def _throttled(device) -> bool:
    allowed, _ = device.verify_is_allowed()
    return not allowed


def _wrong_code(*, throttled: bool) -> AccountError:
    if throttled:
        return AccountError(
            "throttled",
            "Too many wrong codes in a row: wait a few seconds, then enter the newest code.",
            field="otp_token",
        )
    return AccountError(
        "wrong_code",
        "That code is not right or was already used. Enter the newest 6-digit code from your "
        "authenticator app, or one of your backup codes.",
        field="otp_token",
    )


def mfa_enrolment_start(*, actor) -> SealedTOTPDevice:
    """The authenticator the actor is setting up: their unconfirmed TOTP device, made on the
    first call and the same on later ones (so a reload shows the same QR code).

    ``AccountError`` if the actor already has a confirmed authenticator: they replace it from
    their account page, with a code. Writes no event (nothing is in force yet).
    """
    with transaction.atomic():
        if SealedTOTPDevice.objects.filter(user_id=actor.pk, confirmed=True).exists():
            raise AccountError(
                "enrolled",
                "You already use an authenticator app. To change it, use your account page.",
            )
        device = (
            SealedTOTPDevice.objects.filter(user_id=actor.pk, confirmed=False)
            .order_by("pk")
            .first()
        )
        if device is None:
            device = SealedTOTPDevice(user_id=actor.pk, name=TOTP_NAME, confirmed=False)
            device.seal_secret()  # the secret is made by django-otp's default, then sealed
            device.save()
    return device


def mfa_enrolment_confirm(*, actor, token: str, request=None) -> tuple[SealedTOTPDevice, list[str]]:
    """Confirm the actor's pending authenticator with a code from it.

    Returns the device (to mark the session verified with ``django_otp.login``) and a new set
    of ``SSI_MFA_BACKUP_CODES`` backup codes, shown to the user once. ``AccountError`` for a
    wrong code or when nothing is being set up. Writes an ``mfa_enrolled`` event.
    """
    token = _SEPARATORS.sub("", token or "")
    with transaction.atomic():
        device = (
            SealedTOTPDevice.objects.select_for_update()
            .filter(user_id=actor.pk, confirmed=False)
            .order_by("pk")
            .first()
        )
        if device is None:
            raise AccountError(
                "nothing_pending", "Nothing is being set up: start again from your account page."
            )
        throttled = _throttled(device)
        # verify_token records a failure on the device; commit it, then refuse.
        verified = not throttled and device.verify_token(token)
        if verified:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            SealedTOTPDevice.objects.filter(user_id=actor.pk).exclude(pk=device.pk).delete()
            codes = _new_backup_codes(actor)
            security_event_record(
                kind=SecurityEventKind.MFA_ENROLLED,
                actor=actor,
                request=request,
                reference=f"user:{actor.pk} {actor.get_username()}",
                detail=f"Authenticator app set up; {len(codes)} backup codes made.",
            )
    if not verified:
        raise _wrong_code(throttled=throttled)
    return device, codes


def mfa_verify(*, user, token: str):
    """The device of ``user`` that accepts ``token``: the authenticator app for 6 digits, else
    the backup codes (the code is then used up). ``AccountError`` if none does.

    Checked against the user's own devices only, each locked while it checks, so two requests
    cannot both use one code. Writes no event: the caller's login (or change) records it.
    """
    token = _SEPARATORS.sub("", token or "").lower()
    model = SealedTOTPDevice if token.isdigit() and len(token) == 6 else HashedBackupCodes
    throttled = False
    with transaction.atomic():
        for device in model.objects.select_for_update().filter(user_id=user.pk, confirmed=True):
            if _throttled(device):
                throttled = True
            elif device.verify_token(token):
                return device
    raise _wrong_code(throttled=throttled)


def mfa_remove(*, actor, token: str, request=None) -> None:
    """Remove the actor's authenticator and backup codes, after checking a current code.

    Where two-factor authentication is required, the actor must set up a new authenticator
    before using the portal again (that is how an app is replaced). ``AccountError`` for a
    wrong code. Writes an ``mfa_disabled`` event.
    """
    device = mfa_verify(user=actor, token=token)
    with transaction.atomic():
        SealedTOTPDevice.objects.filter(user_id=actor.pk).delete()
        HashedBackupCodes.objects.filter(user_id=actor.pk).delete()
        security_event_record(
            kind=SecurityEventKind.MFA_DISABLED,
            actor=actor,
            request=request,
            reference=f"user:{actor.pk} {actor.get_username()}",
            detail="Authenticator app and backup codes removed, confirmed with "
            + ("a backup code." if isinstance(device, HashedBackupCodes) else "an app code."),
        )


def mfa_backup_codes_regenerate(*, actor, token: str, request=None) -> list[str]:
    """Replace the actor's backup codes with a new set, after checking a current code; the old
    codes stop working. Returns the new codes, shown once. ``AccountError`` for a wrong code or
    without an authenticator. Writes a ``backup_codes_regenerated`` event."""
    if not SealedTOTPDevice.objects.filter(user_id=actor.pk, confirmed=True).exists():
        raise AccountError("not_enrolled", "Set up an authenticator app first.")
    mfa_verify(user=actor, token=token)
    with transaction.atomic():
        codes = _new_backup_codes(actor)
        security_event_record(
            kind=SecurityEventKind.BACKUP_CODES_REGENERATED,
            actor=actor,
            request=request,
            reference=f"user:{actor.pk} {actor.get_username()}",
            detail=f"{len(codes)} new backup codes; the earlier ones no longer work.",
        )
    return codes


def _new_backup_codes(user) -> list[str]:
    HashedBackupCodes.objects.filter(user_id=user.pk).delete()
    device = HashedBackupCodes.objects.create(user_id=user.pk, name=BACKUP_NAME, confirmed=True)
    # 8 characters of base32 each: 40 random bits (os.urandom), one use each.
    codes = [StaticToken.random_token() for _ in range(settings.SSI_MFA_BACKUP_CODES)]
    # Only their digests are stored: the codes are shown to the user once, and never again.
    StaticToken.objects.bulk_create(
        StaticToken(device=device, token=backup_code_digest(code)) for code in codes
    )
    return codes


def mfa_reset(*, actor, user_id: int, request=None):
    """An administrator removes the authenticator and backup codes of a user of their own
    organisation who lost them; the user sets up a new app at their next login (where
    required). Not for oneself: that needs a code (``mfa_remove``).

    ``PermissionDenied`` unless the actor administers a Supplier, ``Http404`` for another
    organisation's user, ``AccountError`` for oneself or a user without two-factor
    authentication. Writes an ``mfa_disabled`` event; queues nothing.
    """
    with transaction.atomic():
        supplier = lock_own_supplier(actor)
        user = locked_member(supplier, user_id)
        if user.pk == actor.pk:
            raise AccountError(
                "self", "Change your own two-factor authentication on your account page."
            )
        _remove_second_factor(
            user,
            verb="reset",
            actor=actor,
            request=request,
            detail="Reset by an administrator of the organisation.",
        )
    return user


def mfa_helpdesk_reset(*, actor, user_id: int, request=None):
    """The DCC helpdesk requires a new enrolment: it removes a user's authenticator and backup
    codes, and the user sets up a new app at their next sign-in (where required). The helpdesk
    never enrols a device for anyone. Not for oneself (that needs a code: ``mfa_remove``).

    ``PermissionDenied`` unless the actor is helpdesk staff, ``Http404`` for no such user,
    ``AccountError`` for oneself, a superuser unless the actor is an operator, and a user
    without two-factor authentication. Writes an ``mfa_disabled`` event; queues nothing.
    """
    with transaction.atomic():
        user = lock_user_for_helpdesk(actor, user_id)
        if user.pk == actor.pk:
            raise AccountError(
                "self", "Change your own two-factor authentication on your account page."
            )
        refuse_superuser_unless_operator(actor, user, "removes the two-factor authentication of")
        _remove_second_factor(
            user,
            verb="remove",
            actor=actor,
            request=request,
            detail="Removed by the DCC helpdesk: the user sets up a new authenticator app at "
            "the next sign-in.",
            supplier=user.supplier_id,
        )
    return user


def mfa_secrets_reseal(*, batch_size: int = 500) -> int:
    """Seal under the newest key every authenticator secret that is not (a secret stored in
    django-otp's hex form, or sealed under an older key). Batches commit on their own; safe to
    run again. Returns how many were re-sealed."""
    ring = key_ring()
    resealed, last_pk = 0, 0
    while True:
        with transaction.atomic():
            batch = list(
                SealedTOTPDevice.objects.select_for_update()
                .filter(pk__gt=last_pk)
                .order_by("pk")[:batch_size]
            )
            if not batch:
                return resealed
            last_pk = batch[-1].pk
            stale = [d for d in batch if not d.is_sealed or not ring.is_current(d.sealed_bytes)]
            for device in stale:
                device.seal_secret()
            SealedTOTPDevice.objects.bulk_update(stale, ["key"])
            resealed += len(stale)


def _remove_second_factor(user, *, verb: str, **event) -> None:
    """Remove a user's authenticator and backup codes (inside the caller's transaction) and
    log it with ``event`` (actor, request, detail, ...); ``AccountError`` when the user has
    nothing to ``verb``."""
    removed, _ = SealedTOTPDevice.objects.filter(user_id=user.pk).delete()
    HashedBackupCodes.objects.filter(user_id=user.pk).delete()
    if not removed:
        raise AccountError(
            "not_enrolled", f"{user.username} has no two-factor authentication to {verb}."
        )
    security_event_record(
        kind=SecurityEventKind.MFA_DISABLED, reference=f"user:{user.pk} {user.username}", **event
    )
