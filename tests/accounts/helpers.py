"""Signing in as a person would, and the codes their authenticator app would show."""

import datetime as dt
import re

from django_otp.oath import totp

from tests.factories.inventory import PASSWORD

LOGIN = "/accounts/login/"
CODE_STEP = "/accounts/login/code/"
SETUP = "/accounts/two-factor/set-up/"
ACCOUNT = "/accounts/"
# A fixed instant away from any clock change, at the start of a 30-second TOTP step.
START = dt.datetime(2026, 3, 10, 9, 0, 0, tzinfo=dt.UTC)


def code_for(device, *, steps_ahead: int = 0) -> str:
    """The code the user's authenticator app shows now (or ``steps_ahead`` 30-second steps on)."""
    drift = device.drift + steps_ahead
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, drift):06d}"


def enrolled(user):
    """Set the user up with an authenticator app through the services; returns (device, codes).
    Leaves the clock's current TOTP step used: move it on before the next code."""
    from accounts.services import mfa_enrolment_confirm, mfa_enrolment_start

    device = mfa_enrolment_start(actor=user)
    return mfa_enrolment_confirm(actor=user, token=code_for(device))


def password_step(client, username: str, password: str = PASSWORD, *, address="10.0.0.1", **extra):
    return client.post(
        LOGIN, {"username": username, "password": password, **extra}, REMOTE_ADDR=address
    )


def code_step(client, code: str, *, address="10.0.0.1", next_url: str = ""):
    url = CODE_STEP + (f"?next={next_url}" if next_url else "")
    return client.post(url, {"otp_token": code}, REMOTE_ADDR=address)


def is_signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def error_summary(html: str) -> str:
    """The text of the page's error summary ("" if it has none)."""
    match = re.search(r'<div class="alert alert-danger error-summary".*?</div>', html, re.S)
    return re.sub(r"<[^>]+>", " ", match.group(0)) if match else ""
