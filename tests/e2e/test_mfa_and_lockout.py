"""Signing in through a real browser: a user sets up two-factor authentication with an
authenticator app and logs in with password and code; another is locked out after too many
failed attempts."""

import re
import time
from base64 import b32decode

import pytest
from django_otp.oath import hotp
from playwright.sync_api import expect

from tests.support.browser import PASSWORD, assert_accessible

STEP = 30  # seconds per TOTP code


def app_code(key: bytes, step: int) -> str:
    """What an authenticator app holding ``key`` shows during TOTP step ``step``."""
    return f"{hotp(key, step):06d}"


def current_step() -> int:
    return int(time.time()) // STEP


def fill_login(page, live_server, username: str, password: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


@pytest.mark.browser
def test_a_user_sets_up_two_factor_and_logs_in_with_password_and_code(
    live_server, page, gaining_user, settings
):
    settings.SSI_MFA_REQUIRED = True

    # Her first login: the portal asks her to set up an authenticator app before anything else.
    fill_login(page, live_server, "gaining", PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-factor authentication")
    expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    assert_accessible(page)

    # She types the key shown under the QR code into her app, which then shows codes.
    typed = page.locator("#totp-secret").inner_text().replace(" ", "")
    key = b32decode(typed + "=" * (-len(typed) % 8))
    enrolled_at = current_step()
    page.get_by_label("Code from your app").fill(app_code(key, enrolled_at))
    page.get_by_role("button", name="Turn on two-factor authentication").click()

    # Ten backup codes, shown this once.
    expect(page.get_by_role("heading", level=1)).to_have_text("Your backup codes")
    expect(page.locator("#backup-codes li")).to_have_count(10)
    expect(page.get_by_role("status").first).to_contain_text("Two-factor authentication is on")
    assert_accessible(page)
    page.get_by_role("link", name="I have kept them: continue").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    page.get_by_role("button", name="Log out").click()

    # Next time the password alone is not enough: a second step asks for the code.
    fill_login(page, live_server, "gaining", PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your code")
    assert_accessible(page)
    # A code is accepted once: her app's next code, or the current one if time moved on.
    page.get_by_label("Code").fill(app_code(key, max(current_step(), enrolled_at + 1)))
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    page.get_by_role("link", name=re.compile("Gaining Energy")).click()
    expect(page.locator("#mfa-status")).to_contain_text("On:")
    assert_accessible(page)


@pytest.mark.browser
def test_a_wrong_code_is_refused_with_the_error_summary_in_focus(live_server, page, gaining_user):
    fill_login(page, live_server, "gaining", PASSWORD)
    page.get_by_role("link", name=re.compile("Gaining Energy")).click()
    page.get_by_role("link", name="Set up two-factor authentication").click()

    page.get_by_label("Code from your app").fill("000000")
    page.get_by_role("button", name="Turn on two-factor authentication").click()

    summary = page.get_by_role("alert", name="There is a problem")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("That code is not right")
    expect(page).to_have_title(re.compile(r"^Error: "))
    assert_accessible(page)


@pytest.mark.browser
def test_a_user_sees_the_lockout_message_and_cannot_log_in_even_with_the_right_password(
    live_server, page, gaining_user
):
    # Four wrong passwords: the usual message each time.
    for _ in range(4):
        fill_login(page, live_server, "gaining", "not-my-password")
        expect(page.get_by_role("alert", name="There is a problem")).to_contain_text(
            "Please enter a correct username and password"
        )

    # The fifth locks the account from this network for 15 minutes, and says so.
    fill_login(page, live_server, "gaining", "not-my-password")
    lockout = page.get_by_role("alert", name="Too many failed attempts")
    expect(lockout).to_have_text(
        re.compile(
            r"Too many failed attempts for this account from your network\. "
            r"Try again after \d\d:\d\d \(UK time\)\."
        )
    )
    expect(lockout).to_be_focused()
    assert_accessible(page)

    # The sixth attempt, with the right password, is refused with the same message.
    fill_login(page, live_server, "gaining", PASSWORD)
    expect(page.get_by_role("alert", name="Too many failed attempts")).to_contain_text(
        "Too many failed attempts for this account from your network."
    )
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)


@pytest.mark.browser
def test_an_administrator_invites_a_colleague_who_chooses_a_password(
    live_server, new_page, gaining_user, django_user_model
):
    from accounts.templatetags.invitations import invitation_link

    django_user_model.objects.filter(pk=gaining_user.pk).update(is_supplier_admin=True)
    admin = new_page()
    fill_login(admin, live_server, "gaining", PASSWORD)
    admin.get_by_role("button", name="Our organisation").click()
    admin.get_by_role("link", name="Users").click()
    expect(admin.locator("#users")).to_contain_text("gaining")
    assert_accessible(admin)

    admin.get_by_role("link", name="Invite a user").click()
    admin.get_by_label("Username").fill("newcomer")
    admin.get_by_role("button", name="Send invitation").click()
    expect(admin.get_by_role("alert", name="There is a problem")).to_be_focused()
    assert_accessible(admin)
    admin.get_by_label("Email address").fill("newcomer@gaining.example")
    admin.get_by_role("button", name="Send invitation").click()
    expect(admin.get_by_role("status")).to_contain_text("newcomer is invited")
    admin.get_by_role("link", name="newcomer").click()
    expect(admin.locator("#member-status")).to_have_text("Invited, no password yet")
    assert_accessible(admin)

    # The link of the email she receives (made as the email is rendered for sending).
    newcomer = django_user_model.objects.get(username="newcomer")
    colleague = new_page()
    colleague.goto(invitation_link(newcomer.pk, newcomer.email))
    expect(colleague.locator("#invited-username")).to_have_text("newcomer")
    assert_accessible(colleague)
    colleague.locator("#id_new_password1").fill("newcomer")
    colleague.locator("#id_new_password2").fill("newcomer")
    colleague.get_by_role("button", name="Set password").click()
    expect(colleague.get_by_role("alert", name="There is a problem")).to_contain_text("too short")
    assert_accessible(colleague)
    colleague.locator("#id_new_password1").fill("meter-lantern-orchard-41")
    colleague.locator("#id_new_password2").fill("meter-lantern-orchard-41")
    colleague.get_by_role("button", name="Set password").click()
    expect(colleague.get_by_role("status")).to_contain_text("Your password is set")
    fill_login(colleague, live_server, "newcomer", "meter-lantern-orchard-41")
    expect(colleague.get_by_role("button", name="Log out")).to_be_visible()
