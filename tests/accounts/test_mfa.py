"""Two-factor authentication: set-up with a QR code and backup codes, login in two steps, the
account page, and the admin behind a verified session."""

import re

import pytest
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken

from accounts.models import SealedTOTPDevice as TOTPDevice
from accounts.models import backup_code_digest
from tests.test_html import assert_valid_page

from .helpers import (
    ACCOUNT,
    SETUP,
    code_for,
    code_step,
    enrolled,
    error_summary,
    is_signed_in,
    password_step,
)

pytestmark = pytest.mark.django_db


def pending_device(user) -> TOTPDevice:
    return TOTPDevice.objects.get(user=user, confirmed=False)


# --- Required: nothing without an authenticator ---------------------------------------------


def test_a_user_without_an_authenticator_is_sent_to_set_one_up_when_required(
    client, gaining_user, mfa_required
):
    client.force_login(gaining_user)

    response = client.get(reverse("incidents:raised"))

    assert response.status_code == 302
    assert response["Location"] == f"{SETUP}?next=%2Fincidents%2Fraised%2F"


def test_every_portal_page_waits_for_the_set_up_when_required(client, gaining_user, mfa_required):
    client.force_login(gaining_user)

    for url in (reverse("incidents:home"), ACCOUNT, reverse("notifications:contacts")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(SETUP)


def test_the_set_up_page_and_logging_out_stay_open_when_required(
    client, gaining_user, mfa_required
):
    client.force_login(gaining_user)

    assert client.get(SETUP).status_code == 200
    assert client.post(reverse("logout")).status_code == 302
    assert not is_signed_in(client)


def test_nothing_is_asked_when_not_required(client, gaining_user):
    client.force_login(gaining_user)

    assert client.get(reverse("incidents:raised")).status_code == 200


# --- Setting up ---------------------------------------------------------------------------


def test_the_set_up_page_shows_the_qr_code_and_the_secret_to_type(client, gaining_user, clock):
    client.force_login(gaining_user)

    html = client.get(SETUP).content.decode()

    device = pending_device(gaining_user)
    secret = re.search(r'<code class="install-code" id="totp-secret">([A-Z2-7 ]+)</code>', html)
    assert secret is not None
    from base64 import b32decode

    typed = secret.group(1).replace(" ", "")
    assert b32decode(typed + "=" * (-len(typed) % 8)) == device.bin_key
    assert f'src="{reverse("accounts:mfa_qr")}"' in html
    assert_valid_page(html)


def test_the_qr_code_is_an_svg_image_of_the_app_address_served_never_cached(
    client, gaining_user, clock
):
    client.force_login(gaining_user)
    client.get(SETUP)

    response = client.get(reverse("accounts:mfa_qr"))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert response.content.startswith(b"<svg")
    assert b"<script" not in response.content and b"style=" not in response.content
    assert "no-store" in response["Cache-Control"]


def test_a_wrong_code_is_refused_with_a_message_in_the_error_summary(client, gaining_user, clock):
    client.force_login(gaining_user)
    client.get(SETUP)
    right = code_for(pending_device(gaining_user))
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"

    response = client.post(SETUP, {"otp_token": wrong})

    assert response.status_code == 400
    assert "That code is not right" in error_summary(response.content.decode())
    assert not TOTPDevice.objects.filter(user=gaining_user, confirmed=True).exists()


def test_the_right_code_turns_it_on_and_shows_ten_backup_codes_once(client, gaining_user, clock):
    client.force_login(gaining_user)
    client.get(SETUP)

    response = client.post(SETUP, {"otp_token": code_for(pending_device(gaining_user))})

    assert response.status_code == 200
    html = response.content.decode()
    shown = re.findall(r"<li>([a-z2-7]{8})</li>", html)
    assert len(shown) == 10
    # Only their digests are stored.
    assert sorted(backup_code_digest(code) for code in shown) == sorted(
        StaticToken.objects.filter(device__user=gaining_user).values_list("token", flat=True)
    )
    assert "no-store" in response["Cache-Control"]
    assert_valid_page(html)
    # Once: the account page says how many are left, never which.
    account = client.get(ACCOUNT).content.decode()
    assert "<strong>10</strong> unused backup codes" in account
    assert not any(code in account for code in shown)


def test_setting_up_verifies_the_session_at_once(client, gaining_user, mfa_required, clock):
    client.force_login(gaining_user)
    client.get(SETUP)
    client.post(SETUP, {"otp_token": code_for(pending_device(gaining_user))})

    assert client.get(reverse("incidents:raised")).status_code == 200


def test_a_user_already_set_up_is_sent_to_the_account_page(client, gaining_user, clock):
    enrolled(gaining_user)
    client.force_login(gaining_user)

    response = client.get(SETUP)

    assert response.status_code == 302
    assert response["Location"] == ACCOUNT


# --- Logging in with two steps ------------------------------------------------------------


def test_the_password_alone_no_longer_signs_in_once_set_up(client, gaining_user, clock):
    enrolled(gaining_user)

    response = password_step(client, "gaining")

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login_code")
    assert not is_signed_in(client)


def test_the_code_step_signs_in_with_a_verified_session(client, gaining_user, mfa_required, clock):
    device, _ = enrolled(gaining_user)
    password_step(client, "gaining", next="/incidents/raised/")
    clock.shift(30)

    response = code_step(client, code_for(device), next_url="/incidents/raised/")

    assert response.status_code == 302
    assert response["Location"] == "/incidents/raised/"
    assert is_signed_in(client)
    assert client.get(reverse("incidents:raised")).status_code == 200


def test_the_password_step_carries_the_next_page_to_the_code_step(client, gaining_user, clock):
    enrolled(gaining_user)

    response = password_step(client, "gaining", next="/incidents/raised/")

    assert response["Location"] == f"{reverse('accounts:login_code')}?next=%2Fincidents%2Fraised%2F"


def test_a_wrong_code_at_login_is_refused(client, gaining_user, clock):
    device, _ = enrolled(gaining_user)
    password_step(client, "gaining")
    clock.shift(30)
    wrong = f"{(int(code_for(device)) + 1) % 1_000_000:06d}"

    response = code_step(client, wrong)

    assert response.status_code == 400
    assert "That code is not right" in error_summary(response.content.decode())
    assert not is_signed_in(client)


def test_a_code_is_accepted_once(client, gaining_user, clock):
    device, _ = enrolled(gaining_user)
    clock.shift(30)
    code = code_for(device)
    password_step(client, "gaining")
    code_step(client, code)
    client.post(reverse("logout"))

    password_step(client, "gaining")
    response = code_step(client, code)

    assert response.status_code == 400
    assert not is_signed_in(client)


def test_a_backup_code_signs_in_once(client, gaining_user, clock):
    _, codes = enrolled(gaining_user)
    password_step(client, "gaining")
    response = code_step(client, codes[0].upper()[:4] + " " + codes[0][4:])
    assert response.status_code == 302
    assert is_signed_in(client)
    client.post(reverse("logout"))

    password_step(client, "gaining")
    response = code_step(client, codes[0])

    assert response.status_code == 400
    assert not is_signed_in(client)
    assert StaticToken.objects.filter(device__user=gaining_user).count() == 9


def test_the_code_step_without_a_password_first_sends_to_the_login_page(client, gaining_user):
    response = code_step(client, "123456")

    assert response.status_code == 302
    assert response["Location"] == reverse("login")


def test_the_code_step_expires_after_five_minutes(client, gaining_user, clock):
    device, _ = enrolled(gaining_user)
    password_step(client, "gaining")
    clock.shift(301)

    response = code_step(client, code_for(device))

    assert response["Location"] == reverse("login")
    assert not is_signed_in(client)


def test_the_code_step_refuses_a_next_page_elsewhere(client, gaining_user, clock):
    device, _ = enrolled(gaining_user)
    password_step(client, "gaining")
    clock.shift(30)

    response = code_step(client, code_for(device), next_url="https://evil.example/")

    assert response["Location"] == reverse("incidents:home")


def test_a_session_signed_in_without_the_code_must_log_in_again_when_required(
    client, gaining_user, mfa_required, clock
):
    # Signed in before setting up (another browser, say), then set up elsewhere.
    client.force_login(gaining_user)
    enrolled(gaining_user)

    response = client.get(reverse("incidents:raised"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert not is_signed_in(client)


# --- The account page ---------------------------------------------------------------------


def test_the_demo_offers_two_factor_on_the_account_page(client, gaining_user):
    client.force_login(gaining_user)

    html = client.get(ACCOUNT).content.decode()

    assert "Set up two-factor authentication" in html
    assert_valid_page(html)


def test_new_backup_codes_need_a_current_code_and_replace_the_old(client, gaining_user, clock):
    device, old = enrolled(gaining_user)
    client.force_login(gaining_user)
    clock.shift(30)

    refused = client.post(reverse("accounts:mfa_backup_codes"), {"codes-otp_token": "000000"})
    assert refused.status_code == 400
    assert "That code is not right" in error_summary(refused.content.decode())
    clock.shift(30)
    response = client.post(
        reverse("accounts:mfa_backup_codes"), {"codes-otp_token": code_for(device)}
    )

    assert response.status_code == 200
    new = re.findall(r"<li>([a-z2-7]{8})</li>", response.content.decode())
    assert len(new) == 10 and not set(new) & set(old)
    assert set(
        StaticToken.objects.filter(device__user=gaining_user).values_list("token", flat=True)
    ) == {backup_code_digest(code) for code in new}


def test_turning_off_needs_a_current_code(client, gaining_user, clock):
    device, _ = enrolled(gaining_user)
    client.force_login(gaining_user)
    clock.shift(30)

    refused = client.post(reverse("accounts:mfa_remove"), {"remove-otp_token": "999999"})
    assert refused.status_code == 400
    assert TOTPDevice.objects.filter(user=gaining_user).exists()
    clock.shift(30)
    response = client.post(reverse("accounts:mfa_remove"), {"remove-otp_token": code_for(device)})

    assert response["Location"] == ACCOUNT
    assert not TOTPDevice.objects.filter(user=gaining_user).exists()
    assert not StaticToken.objects.filter(device__user=gaining_user).exists()


def test_replacing_the_app_when_required_leads_straight_to_a_new_set_up(
    client, gaining_user, mfa_required, clock
):
    device, codes = enrolled(gaining_user)
    password_step(client, "gaining")
    code_step(client, codes[0])

    response = client.post(reverse("accounts:mfa_remove"), {"remove-otp_token": codes[1]})

    assert response["Location"] == SETUP
    assert client.get(reverse("incidents:raised"))["Location"].startswith(SETUP)
    html = client.get(SETUP).content.decode()
    assert "Set up two-factor authentication" in html


# --- The admin ----------------------------------------------------------------------------


@pytest.fixture
def helpdesk_staff(helpdesk_user):
    from django.contrib.auth.models import Permission

    helpdesk_user.user_permissions.add(*Permission.objects.filter(codename="view_device"))
    return helpdesk_user


def test_the_admin_needs_a_verified_session_when_required(
    client, helpdesk_staff, mfa_required, clock
):
    enrolled(helpdesk_staff)
    client.force_login(helpdesk_staff)

    response = client.get("/admin/inventory/device/")

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next=/admin/inventory/device/"
    assert not is_signed_in(client)


def test_the_admin_opens_on_a_password_alone_when_not_required(client, helpdesk_staff):
    client.force_login(helpdesk_staff)

    assert client.get("/admin/inventory/device/").status_code == 200


def test_the_admin_opens_after_password_and_code(client, helpdesk_staff, mfa_required, clock):
    device, _ = enrolled(helpdesk_staff)
    password_step(client, "helpdesk", next="/admin/inventory/device/")
    clock.shift(30)

    response = code_step(client, code_for(device), next_url="/admin/inventory/device/")

    assert response["Location"] == "/admin/inventory/device/"
    assert client.get("/admin/inventory/device/").status_code == 200


def test_the_admin_has_no_password_only_login_page(client):
    response = client.get("/admin/login/?next=/admin/")

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next=/admin/"


def test_a_supplier_user_signed_in_is_refused_the_admin(client, gaining_user):
    client.force_login(gaining_user)

    assert client.get("/admin/login/?next=/admin/").status_code == 403


def test_the_admin_site_itself_refuses_an_unverified_session_when_required(
    client, helpdesk_staff, mfa_required, settings
):
    # Even without the middleware that sends such a session away first.
    settings.MIDDLEWARE = [
        m for m in settings.MIDDLEWARE if m != "accounts.middleware.TwoFactorRequiredMiddleware"
    ]
    client.force_login(helpdesk_staff)

    response = client.get("/admin/inventory/device/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
