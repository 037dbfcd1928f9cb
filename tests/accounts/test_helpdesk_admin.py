"""The DCC helpdesk cannot act as a Supplier through the admin: it adds no Supplier user, sets
no password, changes no organisation or roles, enrols or removes no authenticator in the
admin. It deactivates users and requires a new enrolment, each logged, and invites a Supplier's
first administrator to the Supplier's registered address."""

import re

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import SealedTOTPDevice, SecurityEvent, User
from accounts.models import SecurityEventKind as Kind
from accounts.services import (
    AccountError,
    mfa_helpdesk_reset,
    supplier_first_admin_invite,
    supplier_first_admin_invite_again,
    user_helpdesk_deactivate,
)
from tests.factories import HelpdeskUserFactory, SupplierFactory, UserFactory
from tests.factories.inventory import PASSWORD
from tests.test_html import assert_valid_page

from .admin_helpers import (
    ADD_USER,
    SUPPLIERS,
    USERS,
    action,
    change_url,
    form_data,
    invite_url,
    password_url,
)
from .helpers import SETUP, code_for, code_step, enrolled, is_signed_in, password_step

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "meter-lantern-orchard-41"
LINK = re.compile(r"http://testserver/accounts/set-password/[^/\s]+/[^/\s]+/")
NEW_USER = {
    "username": "aurora-fake",
    "email": "fake@aurora.example",
    "usable_password": "true",
    "password1": GOOD_PASSWORD,
    "password2": GOOD_PASSWORD,
}


@pytest.fixture
def verified_helpdesk_client(client, helpdesk_with_every_permission, mfa_required, clock):
    """The helpdesk signed in as production requires: password, then a code from its app."""
    device, _ = enrolled(helpdesk_with_every_permission)
    password_step(client, "helpdesk")
    clock.shift(30)
    code_step(client, code_for(device))
    assert is_signed_in(client)
    return client


def change_posting(client, user, **changes):
    """Post the user's change form as shown, with ``changes`` added to what is sent."""
    data = form_data(client.get(change_url(user)))
    data.update(changes)
    return client.post(change_url(user), data)


# --- Adding a Supplier user and setting passwords -----------------------------------------


def test_the_helpdesk_signed_in_with_a_code_cannot_add_a_supplier_user(
    verified_helpdesk_client, gaining_supplier
):
    response = verified_helpdesk_client.post(
        ADD_USER, {**NEW_USER, "supplier": gaining_supplier.pk}
    )

    assert response.status_code == 403
    assert not User.objects.filter(username="aurora-fake").exists()


def test_the_helpdesk_cannot_open_the_add_user_page(helpdesk_admin_client):
    assert helpdesk_admin_client.get(ADD_USER).status_code == 403


def test_the_user_list_offers_the_helpdesk_no_add_button(helpdesk_admin_client):
    page = helpdesk_admin_client.get(USERS).content.decode()

    assert ADD_USER not in page


def test_the_helpdesk_cannot_open_a_supplier_users_password_form(
    verified_helpdesk_client, gaining_user
):
    assert verified_helpdesk_client.get(password_url(gaining_user)).status_code == 403


def test_the_helpdesk_cannot_set_a_supplier_users_password(helpdesk_admin_client, gaining_user):
    response = helpdesk_admin_client.post(
        password_url(gaining_user),
        {"usable_password": "true", "password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD},
    )

    assert response.status_code == 403
    gaining_user.refresh_from_db()
    assert gaining_user.check_password(PASSWORD)


def test_the_helpdesk_cannot_set_a_colleagues_password(helpdesk_admin_client):
    colleague = HelpdeskUserFactory(username="colleague")

    response = helpdesk_admin_client.post(
        password_url(colleague),
        {"usable_password": "true", "password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD},
    )

    assert response.status_code == 403


def test_the_change_form_neither_links_to_the_password_form_nor_shows_the_hash(
    helpdesk_admin_client, gaining_user
):
    page = helpdesk_admin_client.get(change_url(gaining_user)).content.decode()

    assert "../password/" not in page and password_url(gaining_user) not in page
    assert gaining_user.password not in page
    assert "algorithm" not in page.lower()  # not even the hash's description


# --- Organisation, roles, address and powers -------------------------------------------------


def test_the_helpdesk_edits_only_a_users_names(helpdesk_admin_client, gaining_user):
    response = helpdesk_admin_client.get(change_url(gaining_user))

    assert set(response.context["adminform"].form.fields) == {"first_name", "last_name"}


def test_the_helpdesk_may_correct_a_users_name(helpdesk_admin_client, gaining_user):
    response = change_posting(helpdesk_admin_client, gaining_user, first_name="Gwen")

    assert response.status_code == 302
    gaining_user.refresh_from_db()
    assert gaining_user.first_name == "Gwen"


def test_the_helpdesk_cannot_move_a_user_to_another_organisation(
    helpdesk_admin_client, gaining_user, other_supplier
):
    change_posting(helpdesk_admin_client, gaining_user, supplier=other_supplier.pk)

    gaining_user.refresh_from_db()
    assert gaining_user.supplier.name == "Gaining Energy"


def test_the_helpdesk_cannot_change_a_users_roles(helpdesk_admin_client, gaining_user):
    data = form_data(helpdesk_admin_client.get(change_url(gaining_user)))
    data.pop("can_raise", None)
    data.pop("can_answer", None)
    data["is_supplier_admin"] = "on"

    helpdesk_admin_client.post(change_url(gaining_user), data)

    gaining_user.refresh_from_db()
    roles = (gaining_user.can_raise, gaining_user.can_answer, gaining_user.is_supplier_admin)
    assert roles == (True, True, False)


def test_the_helpdesk_cannot_redirect_a_users_email(helpdesk_admin_client, gaining_user):
    change_posting(helpdesk_admin_client, gaining_user, email="helpdesk@dcc.example")

    gaining_user.refresh_from_db()
    assert gaining_user.email == "raiser@gaining.example"


def test_the_helpdesk_cannot_rename_a_users_login(helpdesk_admin_client, gaining_user):
    change_posting(helpdesk_admin_client, gaining_user, username="someone-else")

    gaining_user.refresh_from_db()
    assert gaining_user.username == "gaining"


def test_the_helpdesk_cannot_make_a_helpdesk_user_a_supplier_user(
    helpdesk_admin_client, gaining_supplier
):
    colleague = HelpdeskUserFactory(username="colleague")
    data = form_data(helpdesk_admin_client.get(change_url(colleague)))
    data.pop("is_helpdesk", None)
    data["supplier"] = gaining_supplier.pk

    helpdesk_admin_client.post(change_url(colleague), data)

    colleague.refresh_from_db()
    assert (colleague.supplier, colleague.is_helpdesk) == (None, True)


@pytest.mark.parametrize("power", ["is_staff", "is_superuser", "is_helpdesk"])
def test_the_helpdesk_cannot_give_a_user_a_power(helpdesk_admin_client, gaining_user, power):
    change_posting(helpdesk_admin_client, gaining_user, **{power: "on"})

    gaining_user.refresh_from_db()
    assert getattr(gaining_user, power) is False


def test_the_helpdesk_cannot_put_a_user_in_a_group(helpdesk_admin_client, gaining_user):
    group = Group.objects.create(name="DCC helpdesk")

    change_posting(helpdesk_admin_client, gaining_user, groups=[group.pk])

    assert not gaining_user.groups.exists()


def test_the_helpdesk_cannot_reactivate_a_user_through_the_form(helpdesk_admin_client):
    leaver = UserFactory(username="leaver", is_active=False)

    change_posting(helpdesk_admin_client, leaver, is_active="on")

    leaver.refresh_from_db()
    assert leaver.is_active is False


def test_the_helpdesk_cannot_delete_a_user(helpdesk_admin_client, gaining_user):
    response = helpdesk_admin_client.post(f"{USERS}{gaining_user.pk}/delete/", {"post": "yes"})

    assert response.status_code == 403
    assert User.objects.filter(pk=gaining_user.pk).exists()


def test_the_helpdesk_cannot_delete_users_in_bulk(helpdesk_admin_client, gaining_user):
    action(helpdesk_admin_client, USERS, "delete_selected", [gaining_user], post="yes")

    assert User.objects.filter(pk=gaining_user.pk).exists()


def test_the_helpdesk_cannot_add_a_group(helpdesk_admin_client):
    permission = Permission.objects.get(codename="change_user")

    response = helpdesk_admin_client.post(
        "/admin/auth/group/add/", {"name": "Powers", "permissions": [permission.pk]}
    )

    assert response.status_code == 403
    assert not Group.objects.exists()


def test_the_helpdesk_cannot_give_a_group_more_permissions(helpdesk_admin_client):
    group = Group.objects.create(name="DCC helpdesk")
    permission = Permission.objects.get(codename="change_user")

    helpdesk_admin_client.post(
        f"/admin/auth/group/{group.pk}/change/",
        {"name": "DCC helpdesk", "permissions": [permission.pk]},
    )

    assert not group.permissions.exists()


def test_an_operator_still_sets_roles_in_the_admin(client, operator, gaining_user):
    client.force_login(operator)

    change_posting(client, gaining_user, is_supplier_admin="on")

    gaining_user.refresh_from_db()
    assert gaining_user.is_supplier_admin is True


def test_a_helpdesk_user_made_superuser_is_still_refused_the_password_form(client, gaining_user):
    # The rule is the helpdesk role's: a superuser flag given to it does not lift it.
    powerful = HelpdeskUserFactory(username="powerful", is_superuser=True)
    client.force_login(powerful)

    assert client.get(password_url(gaining_user)).status_code == 403


# --- Two-factor devices ------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/admin/otp_totp/totpdevice/add/", "/admin/otp_static/staticdevice/add/"]
)
def test_the_helpdesk_cannot_enrol_a_device_in_the_admin(helpdesk_admin_client, gaining_user, url):
    response = helpdesk_admin_client.post(
        url,
        {
            "user": gaining_user.pk,
            "name": "Helpdesk's phone",
            "confirmed": "on",
            "key": "3132333435363738393031323334353637383930",
            "step": 30,
            "t0": 0,
            "digits": 6,
            "tolerance": 1,
            "drift": 0,
            "throttling_failure_count": 0,
        },
    )

    assert response.status_code == 404
    assert not TOTPDevice.objects.exists() and not StaticDevice.objects.exists()


def test_the_helpdesk_cannot_remove_an_authenticator_in_the_admin(
    helpdesk_admin_client, gaining_user, clock
):
    device, _ = enrolled(gaining_user)

    response = helpdesk_admin_client.post(
        f"/admin/otp_totp/totpdevice/{device.pk}/delete/", {"post": "yes"}
    )

    assert response.status_code == 404
    assert SealedTOTPDevice.objects.filter(pk=device.pk).exists()


def test_the_user_page_says_whether_two_factor_is_set_up(
    helpdesk_admin_client, gaining_user, clock
):
    enrolled(gaining_user)

    page = helpdesk_admin_client.get(change_url(gaining_user)).content.decode()

    assert "Authenticator app set up; 10 backup codes left." in page


# --- Deactivating and requiring a new enrolment --------------------------------------------


def test_the_helpdesk_deactivates_a_user(helpdesk_admin_client, gaining_user):
    action(helpdesk_admin_client, USERS, "deactivate_users", [gaining_user])

    gaining_user.refresh_from_db()
    assert gaining_user.is_active is False


def test_a_deactivation_by_the_helpdesk_is_logged(
    helpdesk_admin_client, helpdesk_user, gaining_user
):
    action(helpdesk_admin_client, USERS, "deactivate_users", [gaining_user])

    event = SecurityEvent.objects.get(kind=Kind.USER_DEACTIVATED)
    assert (event.actor, event.reference) == (helpdesk_user, f"user:{gaining_user.pk} gaining")
    assert event.actor_supplier == gaining_user.supplier
    assert event.detail == "Deactivated by the DCC helpdesk."


def test_the_helpdesk_cannot_deactivate_itself(helpdesk_user):
    with pytest.raises(AccountError, match="You cannot deactivate yourself."):
        user_helpdesk_deactivate(actor=helpdesk_user, user_id=helpdesk_user.pk)


def test_deactivating_a_deactivated_user_says_so(helpdesk_user):
    leaver = UserFactory(username="leaver", is_active=False)

    with pytest.raises(AccountError, match="leaver is already deactivated."):
        user_helpdesk_deactivate(actor=helpdesk_user, user_id=leaver.pk)


def test_a_supplier_administrator_cannot_use_the_helpdesks_deactivation(
    gaining_admin, other_supplier_user
):
    with pytest.raises(PermissionDenied):
        user_helpdesk_deactivate(actor=gaining_admin, user_id=other_supplier_user.pk)


def test_the_helpdesk_requires_a_new_enrolment(helpdesk_admin_client, gaining_user, clock):
    enrolled(gaining_user)

    action(helpdesk_admin_client, USERS, "require_new_enrolment", [gaining_user])

    assert not SealedTOTPDevice.objects.filter(user=gaining_user).exists()
    assert not StaticDevice.objects.filter(user=gaining_user).exists()


def test_a_new_enrolment_required_by_the_helpdesk_is_logged(
    helpdesk_admin_client, helpdesk_user, gaining_user, clock
):
    enrolled(gaining_user)

    action(helpdesk_admin_client, USERS, "require_new_enrolment", [gaining_user])

    event = SecurityEvent.objects.filter(kind=Kind.MFA_DISABLED).latest("id")
    assert (event.actor, event.reference) == (helpdesk_user, f"user:{gaining_user.pk} gaining")
    assert event.detail == (
        "Removed by the DCC helpdesk: the user sets up a new authenticator app at the next sign-in."
    )


def test_requiring_a_new_enrolment_of_a_user_without_one_says_so(helpdesk_user, gaining_user):
    with pytest.raises(AccountError, match="gaining has no two-factor authentication to remove."):
        mfa_helpdesk_reset(actor=helpdesk_user, user_id=gaining_user.pk)


def test_after_a_required_enrolment_the_user_must_set_up_an_app_again(
    client, helpdesk_user, gaining_user, mfa_required, clock
):
    enrolled(gaining_user)
    mfa_helpdesk_reset(actor=helpdesk_user, user_id=gaining_user.pk)

    password_step(client, "gaining")  # signs in on the password alone: no code is asked

    assert is_signed_in(client)
    assert client.get("/")["Location"].startswith(SETUP)


def test_the_helpdesk_cannot_deactivate_a_superuser(helpdesk_user, operator):
    with pytest.raises(AccountError, match="Only an operator deactivates root."):
        user_helpdesk_deactivate(actor=helpdesk_user, user_id=operator.pk)


# --- The first administrator's invitation -----------------------------------------------


@pytest.fixture
def invite_first_admin(helpdesk_admin_client, django_capture_on_commit_callbacks):
    def send(supplier, **fields):
        data = {"username": "aurora-admin", "first_name": "Ada", "last_name": "Admin"}
        data["email"] = supplier.contacts.first().email
        data.update(fields)
        with django_capture_on_commit_callbacks(execute=True):
            return helpdesk_admin_client.post(invite_url(supplier), data)

    return send


def test_the_helpdesk_invites_a_first_administrator_with_no_password(
    invite_first_admin, gaining_supplier
):
    response = invite_first_admin(gaining_supplier)

    assert response.status_code == 302
    user = User.objects.get(username="aurora-admin")
    assert (user.supplier, user.is_supplier_admin, user.email) == (
        gaining_supplier,
        True,
        "desk@gaining.example",
    )
    assert not user.has_usable_password()


def test_the_invitation_goes_to_the_registered_address_with_a_one_time_link(
    invite_first_admin, gaining_supplier, mailoutbox
):
    invite_first_admin(gaining_supplier)

    message = mailoutbox[-1]
    assert message.to == ["desk@gaining.example"]
    assert "invited to the SSI Portal for Gaining Energy" in message.subject
    assert LINK.search(message.body)


def test_the_first_administrator_chooses_a_password_and_logs_in(
    client, invite_first_admin, gaining_supplier, mailoutbox
):
    invite_first_admin(gaining_supplier)
    client.logout()
    form_url = client.get(LINK.search(mailoutbox[-1].body).group(0))["Location"]

    client.post(form_url, {"new_password1": GOOD_PASSWORD, "new_password2": GOOD_PASSWORD})
    password_step(client, "aurora-admin", GOOD_PASSWORD)

    assert is_signed_in(client)


def test_the_first_administrators_invitation_is_logged(
    invite_first_admin, gaining_supplier, helpdesk_user
):
    invite_first_admin(gaining_supplier)

    user = User.objects.get(username="aurora-admin")
    event = SecurityEvent.objects.get(kind=Kind.USER_INVITED)
    assert (event.actor, event.actor_supplier) == (helpdesk_user, gaining_supplier)
    assert event.reference == f"user:{user.pk} aurora-admin"
    assert event.detail == (
        "First administrator of Gaining Energy, invited by the DCC helpdesk at the "
        "registered address desk@gaining.example."
    )


def test_the_invitation_is_refused_when_the_supplier_has_an_active_administrator(
    invite_first_admin, gaining_admin, gaining_supplier
):
    response = invite_first_admin(gaining_supplier)

    assert response.status_code == 400
    assert (
        "Gaining Energy already has an active administrator, gainingadmin: its "
        "administrators invite its users." in response.content.decode()
    )
    assert not User.objects.filter(username="aurora-admin").exists()


def test_a_deactivated_administrator_does_not_stop_the_invitation(
    invite_first_admin, gaining_admin, gaining_supplier
):
    User.objects.filter(pk=gaining_admin.pk).update(is_active=False)

    response = invite_first_admin(gaining_supplier)

    assert response.status_code == 302
    assert User.objects.get(username="aurora-admin").is_supplier_admin is True


def test_the_invitation_goes_only_to_a_registered_address(helpdesk_admin_client, gaining_supplier):
    response = helpdesk_admin_client.post(
        invite_url(gaining_supplier), {"username": "aurora-admin", "email": "me@dcc.example"}
    )

    assert response.status_code == 400
    assert not User.objects.filter(username="aurora-admin").exists()


def test_a_registered_address_must_be_chosen_by_the_service_too(helpdesk_user, gaining_supplier):
    with pytest.raises(AccountError, match="me@dcc.example is not a registered contact address"):
        supplier_first_admin_invite(
            actor=helpdesk_user,
            supplier_id=gaining_supplier.pk,
            username="aurora-admin",
            email="me@dcc.example",
        )


def test_a_supplier_without_a_contact_address_cannot_be_invited(helpdesk_admin_client):
    supplier = SupplierFactory(name="Silent Energy", contacts=[])

    response = helpdesk_admin_client.get(invite_url(supplier))

    assert "Silent Energy has no registered contact address" in response.content.decode()


def test_only_the_helpdesk_invites_a_first_administrator(gaining_admin, other_supplier):
    with pytest.raises(PermissionDenied):
        supplier_first_admin_invite(
            actor=gaining_admin,
            supplier_id=other_supplier.pk,
            username="intruder",
            email="team@third.example",
        )


def test_the_supplier_page_links_to_the_invitation_when_it_has_no_administrator(
    helpdesk_admin_client, gaining_supplier
):
    page = helpdesk_admin_client.get(f"{SUPPLIERS}{gaining_supplier.pk}/change/")

    assert invite_url(gaining_supplier) in page.content.decode()


def test_the_supplier_page_names_its_administrator_instead(
    helpdesk_admin_client, gaining_admin, gaining_supplier
):
    page = helpdesk_admin_client.get(f"{SUPPLIERS}{gaining_supplier.pk}/change/").content.decode()

    assert invite_url(gaining_supplier) not in page
    assert "gainingadmin" in page


def test_the_invitation_page_is_refused_to_a_supplier_user(client, gaining_user, gaining_supplier):
    gaining_user.is_staff = True
    gaining_user.save(update_fields=["is_staff"])
    gaining_user.user_permissions.set(Permission.objects.all())
    client.force_login(gaining_user)

    assert client.get(invite_url(gaining_supplier)).status_code == 403


def test_the_invitation_page_is_valid_html_with_and_without_errors(
    helpdesk_admin_client, gaining_supplier
):
    assert_valid_page(helpdesk_admin_client.get(invite_url(gaining_supplier)).content.decode())
    refused = helpdesk_admin_client.post(invite_url(gaining_supplier), {"username": "a b"})
    assert_valid_page(refused.content.decode())


# --- Sending the first administrator's invitation again ------------------------------------


@pytest.fixture
def invited_first_admin(invite_first_admin, gaining_supplier, mailoutbox):
    """The first administrator invited; returns the link of that first email."""
    invite_first_admin(gaining_supplier)
    return LINK.search(mailoutbox[-1].body).group(0)


def send_again(client, supplier, capture):
    with capture(execute=True):
        return client.post(invite_url(supplier), {"again": "1"})


def test_a_second_first_administrator_is_refused_while_one_is_invited(
    invite_first_admin, invited_first_admin, gaining_supplier
):
    response = invite_first_admin(gaining_supplier, username="another")

    assert response.status_code == 400
    assert (
        "Gaining Energy&#x27;s administrator aurora-admin was invited and has not chosen a "
        "password yet: send the invitation again." in response.content.decode()
    )
    assert not User.objects.filter(username="another").exists()


def test_the_helpdesk_sends_the_invitation_again_with_a_new_link(
    helpdesk_admin_client,
    invited_first_admin,
    gaining_supplier,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    send_again(helpdesk_admin_client, gaining_supplier, django_capture_on_commit_callbacks)

    assert mailoutbox[-1].to == ["desk@gaining.example"]
    new_link = LINK.search(mailoutbox[-1].body).group(0)
    assert new_link != invited_first_admin
    event = SecurityEvent.objects.filter(kind=Kind.USER_INVITED).latest("id")
    assert event.detail == (
        "First administrator of Gaining Energy: invitation sent again by the DCC helpdesk to "
        "desk@gaining.example."
    )


def test_the_earlier_link_stops_working_when_the_invitation_is_sent_again(
    client,
    helpdesk_admin_client,
    invited_first_admin,
    gaining_supplier,
    django_capture_on_commit_callbacks,
):
    send_again(helpdesk_admin_client, gaining_supplier, django_capture_on_commit_callbacks)
    client.logout()

    html = client.get(invited_first_admin, follow=True).content.decode()

    assert "This link no longer works" in html


def test_the_invitation_is_not_sent_again_once_an_administrator_can_log_in(
    helpdesk_user, gaining_admin, gaining_supplier
):
    with pytest.raises(AccountError, match="Gaining Energy already has an active administrator"):
        supplier_first_admin_invite_again(actor=helpdesk_user, supplier_id=gaining_supplier.pk)
