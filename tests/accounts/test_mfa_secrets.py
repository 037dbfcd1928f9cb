"""Authenticator secrets are credentials: sealed at rest, bound to their user, rotated with the
install-code keys."""

import base64
import importlib
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command

from accounts.models import SEALED_SECRET_PREFIX, SealedTOTPDevice
from accounts.services import mfa_enrolment_start
from accounts.services.mfa import mfa_secrets_reseal
from ssi_portal.lib.crypto import generate_key
from tests.accounts.helpers import code_for

pytestmark = pytest.mark.django_db


def _stored_key(device) -> str:
    return SealedTOTPDevice.objects.values_list("key", flat=True).get(pk=device.pk)


def test_a_new_secret_is_stored_sealed_and_never_in_clear(gaining_user):
    device = mfa_enrolment_start(actor=gaining_user)

    stored = _stored_key(device)
    secret = device.bin_key
    assert stored.startswith(SEALED_SECRET_PREFIX)
    assert len(stored) <= 80
    assert secret.hex() not in stored.lower()
    assert base64.b32encode(secret).decode().rstrip("=") not in stored
    assert len(secret) == 20


def test_the_sealed_secret_still_checks_codes(gaining_user):
    device = mfa_enrolment_start(actor=gaining_user)

    assert device.verify_token(code_for(device))


def test_a_sealed_secret_copied_to_another_users_device_opens_nowhere(
    gaining_user, installing_user
):
    mine = mfa_enrolment_start(actor=gaining_user)
    theirs = mfa_enrolment_start(actor=installing_user)
    code = code_for(mine)
    SealedTOTPDevice.objects.filter(pk=theirs.pk).update(key=_stored_key(mine))
    theirs.refresh_from_db()

    assert theirs.verify_token(code) is False
    theirs.refresh_from_db()
    assert theirs.throttling_failure_count == 1


def test_a_secret_stored_in_hex_still_works_and_resealing_seals_it(gaining_user):
    device = mfa_enrolment_start(actor=gaining_user)
    secret = device.bin_key
    SealedTOTPDevice.objects.filter(pk=device.pk).update(key=secret.hex())
    device.refresh_from_db()
    assert device.bin_key == secret

    assert mfa_secrets_reseal() == 1

    device.refresh_from_db()
    assert device.is_sealed and device.bin_key == secret
    assert mfa_secrets_reseal() == 0


def test_the_migration_seals_the_secrets_stored_before_it(gaining_user):
    migration = importlib.import_module("inventory.migrations.0007_sealed_totp_secrets")
    device = mfa_enrolment_start(actor=gaining_user)
    secret = device.bin_key
    SealedTOTPDevice.objects.filter(pk=device.pk).update(key=secret.hex())

    migration.seal_existing_secrets(apps, None)

    device.refresh_from_db()
    assert device.is_sealed and device.bin_key == secret
    migration.open_sealed_secrets(apps, None)
    assert _stored_key(device) == secret.hex()


def test_rotating_the_keys_reseals_the_secrets_under_the_newest(settings, gaining_user):
    device = mfa_enrolment_start(actor=gaining_user)
    secret = device.bin_key
    settings.INSTALL_CODE_KEYS = [generate_key(), *settings.INSTALL_CODE_KEYS]
    out = StringIO()

    call_command("reencrypt_install_codes", stdout=out)

    assert "authenticator secrets: 1 re-sealed under the newest key" in out.getvalue()
    settings.INSTALL_CODE_KEYS = settings.INSTALL_CODE_KEYS[:1]  # the old keys are gone
    device.refresh_from_db()
    assert device.bin_key == secret


# --- Backup codes -------------------------------------------------------------------------------


def test_backup_codes_are_stored_as_keyed_digests_and_still_log_in(gaining_user):
    from django_otp.plugins.otp_static.models import StaticToken

    from accounts.models import HashedBackupCodes, backup_code_digest
    from accounts.services import mfa_verify
    from tests.accounts.helpers import enrolled

    _, codes = enrolled(gaining_user)
    stored = set(StaticToken.objects.values_list("token", flat=True))

    assert not stored & set(codes)
    assert stored == {backup_code_digest(code) for code in codes}
    device = mfa_verify(user=gaining_user, token=codes[0].upper())
    assert isinstance(device, HashedBackupCodes)
    assert StaticToken.objects.count() == len(codes) - 1


def test_a_stored_digest_typed_as_a_code_is_refused(gaining_user):
    from django_otp.plugins.otp_static.models import StaticToken

    from accounts.services import AccountError, mfa_verify
    from tests.accounts.helpers import enrolled

    enrolled(gaining_user)
    digest = StaticToken.objects.values_list("token", flat=True).first()

    with pytest.raises(AccountError):
        mfa_verify(user=gaining_user, token=digest)


def test_the_migration_replaces_codes_stored_in_clear_by_their_digests(gaining_user):
    from django_otp.plugins.otp_static.models import StaticToken

    from accounts.models import backup_code_digest
    from tests.accounts.helpers import enrolled

    migration = importlib.import_module("inventory.migrations.0009_hashed_backup_codes")
    _, codes = enrolled(gaining_user)
    for token, code in zip(StaticToken.objects.order_by("pk"), codes, strict=True):
        token.token = code
        token.save()

    migration.hash_stored_codes(apps, None)
    migration.hash_stored_codes(apps, None)  # twice: digests are left as they are

    assert set(StaticToken.objects.values_list("token", flat=True)) == {
        backup_code_digest(code) for code in codes
    }
