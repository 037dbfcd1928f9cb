"""A journey that signs in with passwords, answers a request with an install code and reveals
it leaves none of them in the logs, nor the session keys, at DEBUG: neither in what the code
logs (the records as written) nor in what the portal's handler prints."""

import logging
import secrets

import pytest
from django.test import Client
from django.urls import reverse

from inventory.identifiers import crc_suffix, format_install_code
from tests.factories.inventory import PASSWORD
from tests.support.logs import portal_log

pytestmark = pytest.mark.django_db


def _sign_in(username: str) -> tuple[Client, str]:
    client = Client()
    response = client.post(reverse("login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302, "the sign-in failed: nothing was checked"
    return client, client.cookies["sessionid"].value


def test_no_log_line_holds_the_install_code_the_session_keys_or_the_password(
    caplog, django_capture_on_commit_callbacks, incident, gaining_user, installing_user
):
    code = secrets.token_bytes(16)
    typed = code.hex().upper() + crc_suffix(code).hex().upper()
    caplog.set_level(logging.DEBUG)
    with portal_log(logging.DEBUG) as log, django_capture_on_commit_callbacks(execute=True):
        installer, installer_session = _sign_in(installing_user.username)
        answered = installer.post(
            reverse("incidents:answer", args=[incident.public_id]), {"install_code": typed}
        )
        assert answered.status_code == 302
        raiser, raiser_session = _sign_in(gaining_user.username)
        revealed = raiser.post(reverse("incidents:reveal", args=[incident.public_id]))
        assert format_install_code(code).encode() in revealed.content
        raiser.post(
            reverse("incidents:close", args=[incident.public_id]), {"outcome": "code_worked"}
        )
        raiser.post(reverse("logout"))

    written = [
        text
        for record in caplog.records
        for text in (record.getMessage(), repr(record.args), record.exc_text or "")
    ]
    printed = log.getvalue()
    assert "Notification" in printed, "the journey logged nothing: nothing was checked"
    secrets_planted = {
        "the password": PASSWORD,
        "the installer's session key": installer_session,
        "the raiser's session key": raiser_session,
    }
    hex_code = code.hex()
    for form in (hex_code, typed, format_install_code(code)):
        secrets_planted[f"the install code as {form[:4]}…"] = form
    for where, haystack in (("a record", "\n".join(written)), ("the printed log", printed)):
        for what, secret in secrets_planted.items():
            assert secret.lower() not in haystack.lower(), f"{what} is in {where}"
