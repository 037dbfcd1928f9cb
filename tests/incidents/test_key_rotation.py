"""Rotating the install-code key: old codes stay readable, then move to the new key."""

import pytest
from django.core.management import CommandError, call_command

from conftest import INSTALL_CODE
from incidents.models import Incident
from incidents.services import incident_reveal_code
from ssi_portal.lib.crypto import generate_key, key_ring

OLD = "q0zvI3b4b8VvQ3Jb0k3Zx7o1wKc5b2GxZ8mC0yQe9lE="


@pytest.fixture
def sealed_under_old_key(settings, answered_incident):
    settings.INSTALL_CODE_KEYS = [OLD]
    answered_incident.refresh_from_db()
    return answered_incident


def test_a_code_sealed_under_an_old_key_is_still_revealed_after_a_new_key_is_added(
    settings, sealed_under_old_key, gaining_user
):
    settings.INSTALL_CODE_KEYS = [generate_key(), OLD]
    code = incident_reveal_code(actor=gaining_user, incident=sealed_under_old_key)
    assert code.hex().upper() == INSTALL_CODE


def test_the_command_reseals_every_code_under_the_newest_key(
    settings, sealed_under_old_key, gaining_user, capsys
):
    new = generate_key()
    settings.INSTALL_CODE_KEYS = [new, OLD]
    call_command("reencrypt_install_codes")
    assert "incidents: 1 re-sealed" in capsys.readouterr().out
    sealed = Incident.objects.get(pk=sealed_under_old_key.pk).install_code_sealed
    assert key_ring().is_current(sealed)
    # The old key can now be dropped.
    settings.INSTALL_CODE_KEYS = [new]
    code = incident_reveal_code(actor=gaining_user, incident=sealed_under_old_key)
    assert code.hex().upper() == INSTALL_CODE


def test_running_the_command_again_reseals_nothing(settings, sealed_under_old_key, capsys):
    settings.INSTALL_CODE_KEYS = [generate_key(), OLD]
    call_command("reencrypt_install_codes")
    capsys.readouterr()
    call_command("reencrypt_install_codes")
    assert "incidents: 0 re-sealed under the newest key" in capsys.readouterr().out.splitlines()


def test_webhook_signing_secrets_are_resealed_under_the_newest_key(
    settings, gaining_supplier, capsys
):
    from tests.support.webhooks import make_endpoint

    settings.INSTALL_CODE_KEYS = [OLD]
    endpoint, secret = make_endpoint(gaining_supplier)
    endpoint.previous_secret_sealed = endpoint.seal_secret("whsec_b2xk")
    endpoint.save()
    settings.INSTALL_CODE_KEYS = [generate_key(), OLD]

    call_command("reencrypt_install_codes")

    assert "webhook secrets: 2 re-sealed under the newest key" in capsys.readouterr().out
    settings.INSTALL_CODE_KEYS = settings.INSTALL_CODE_KEYS[:1]
    endpoint.refresh_from_db()
    assert endpoint.open_secret(endpoint.secret_sealed) == secret
    assert endpoint.open_secret(endpoint.previous_secret_sealed) == "whsec_b2xk"


def test_the_command_refuses_clearly_when_an_old_key_is_missing(settings, sealed_under_old_key):
    settings.INSTALL_CODE_KEYS = [generate_key()]
    with pytest.raises(CommandError, match="Keep every key"):
        call_command("reencrypt_install_codes")


def test_a_sealed_code_copied_to_another_incident_does_not_open(
    answered_incident, gaining_user, installing_supplier
):
    from incidents.services import incident_raise
    from ssi_portal.lib.crypto import SecretError
    from tests.factories import DeviceFactory

    other = incident_raise(
        actor=gaining_user,
        device_id=DeviceFactory(installing_supplier=installing_supplier).device_id,
    )
    with pytest.raises(SecretError):
        key_ring().open(answered_incident.install_code_sealed, aad=other.seal_context())
