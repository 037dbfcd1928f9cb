"""Inviting a user: a one-time link to choose a password, by email, that holds no secret but
its token; Django's password validators on the set-password page."""

import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from notifications.models import Notification
from tests.test_html import assert_valid_page

from .helpers import error_summary, is_signed_in, password_step

pytestmark = pytest.mark.django_db

INVITE = "/organisation/users/invite/"
GOOD_PASSWORD = "meter-lantern-orchard-41"
LINK = re.compile(r"http://testserver/accounts/set-password/([^/\s]+)/([^/\s]+)/")


@pytest.fixture
def invite(client, gaining_admin, django_capture_on_commit_callbacks, mailoutbox):
    """Invite through the page as the administrator; returns the email sent."""

    def send(**fields):
        client.force_login(gaining_admin)
        data = {
            "username": "newcomer",
            "first_name": "Nia",
            "last_name": "Newcomer",
            "email": "Nia.Newcomer@Gaining.example",
            "can_raise": "on",
            **fields,
        }
        # The email's text and HTML parts each make the link, and its token holds the second
        # it was made in: with the clock free to cross a second between the two, their links
        # would differ now and then. Held still, both parts hold the same link.
        with (
            time_machine.travel(timezone.now(), tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            response = client.post(INVITE, data)
        assert response.status_code == 302, response.content.decode()
        client.logout()
        return mailoutbox[-1]

    return send


def link_in(message) -> str:
    match = LINK.search(message.body)
    assert match, message.body
    return match.group(0)


def test_the_invited_user_has_roles_and_no_password_yet(invite, gaining_supplier):
    invite()

    user = User.objects.get(username="newcomer")
    assert user.supplier == gaining_supplier
    assert user.email == "nia.newcomer@gaining.example"
    assert (user.can_raise, user.can_answer, user.is_supplier_admin) == (True, False, False)
    assert not user.has_usable_password()


def test_the_email_holds_the_link_and_never_a_password(invite):
    message = invite()

    assert message.to == ["nia.newcomer@gaining.example"]
    assert "invited to the SSI Portal for Gaining Energy" in message.subject
    link = link_in(message)
    assert link in message.alternatives[0].content
    assert "newcomer" in message.body
    assert "password:" not in message.body.lower()
    # The link carries the user's id (base64) and the one-time token, nothing else.
    uidb64, token = LINK.search(link).groups()
    assert re.fullmatch(r"[A-Za-z0-9_-]+", uidb64) and re.fullmatch(r"[a-z0-9]+-[0-9a-f]+", token)


def test_the_outbox_row_holds_no_link_or_token(invite):
    message = invite()

    row = Notification.objects.get(template="account_invited")
    _, token = LINK.search(link_in(message)).groups()
    assert token not in str(row.context)
    assert "set-password" not in str(row.context)


def test_the_set_password_page_applies_djangos_validators(client, invite):
    link = link_in(invite())
    page = client.get(link, follow=True)
    assert_valid_page(page.content.decode())
    form_url = page.redirect_chain[-1][0]
    token = LINK.search(link).group(2)
    assert form_url.endswith("/set-password/") and token not in form_url  # out of the address bar

    response = client.post(form_url, {"new_password1": "newcomer1", "new_password2": "newcomer1"})

    assert response.status_code == 400
    summary = error_summary(response.content.decode())
    assert "too short" in summary
    assert "too similar to the username" in summary
    assert_valid_page(response.content.decode())


def test_the_invited_user_sets_a_password_and_logs_in(client, invite):
    link = link_in(invite())
    form_url = client.get(link)["Location"]

    response = client.post(
        form_url, {"new_password1": GOOD_PASSWORD, "new_password2": GOOD_PASSWORD}
    )

    assert response["Location"] == reverse("login")
    password_step(client, "newcomer", GOOD_PASSWORD)
    assert is_signed_in(client)


def test_the_link_works_once(client, invite):
    link = link_in(invite())
    form_url = client.get(link)["Location"]
    client.post(form_url, {"new_password1": GOOD_PASSWORD, "new_password2": GOOD_PASSWORD})

    html = client.get(link, follow=True).content.decode()

    assert "This link no longer works" in html


def test_a_new_invitation_replaces_the_old_link(
    client, invite, gaining_admin, django_capture_on_commit_callbacks, mailoutbox
):
    old = link_in(invite())
    newcomer = User.objects.get(username="newcomer")
    client.force_login(gaining_admin)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("users:invite_again", args=[newcomer.pk]))
    client.logout()
    new = link_in(mailoutbox[-1])

    assert new != old
    assert "This link no longer works" in client.get(old, follow=True).content.decode()
    assert client.get(new).status_code == 302


def test_a_taken_username_is_refused_on_its_field(client, gaining_admin, gaining_user):
    client.force_login(gaining_admin)

    response = client.post(
        INVITE, {"username": "GAINING", "email": "someone@gaining.example", "can_raise": "on"}
    )

    assert response.status_code == 400
    assert "Username: The username GAINING is taken" in " ".join(
        error_summary(response.content.decode()).split()
    )


def test_the_invite_page_is_valid_html(client, gaining_admin):
    client.force_login(gaining_admin)

    assert_valid_page(client.get(INVITE).content.decode())


def test_an_email_whose_user_changed_address_carries_no_link(invite):
    from django.template.loader import render_to_string

    invite()
    row = Notification.objects.get(template="account_invited")
    User.objects.filter(username="newcomer").update(email="someone.else@example.com")

    body = render_to_string("emails/account_invited_body.txt", row.context)

    assert "set-password" not in body
    assert "This invitation has been used or replaced" in body


def test_a_user_changes_their_password_with_djangos_validators(client, gaining_user):
    client.force_login(gaining_user)
    url = reverse("accounts:password_change")
    assert_valid_page(client.get(url).content.decode())

    weak = client.post(
        url,
        {
            "old_password": "correct-horse-battery-staple",
            "new_password1": "password",
            "new_password2": "password",
        },
    )
    assert weak.status_code == 400
    assert "too common" in error_summary(weak.content.decode())

    done = client.post(
        url,
        {
            "old_password": "correct-horse-battery-staple",
            "new_password1": GOOD_PASSWORD,
            "new_password2": GOOD_PASSWORD,
        },
    )
    assert done["Location"] == reverse("accounts:account")
    assert client.get(reverse("accounts:account")).status_code == 200  # still signed in
