"""A Supplier's administrators manage its users, and nobody else's."""

import pytest
from django.urls import reverse

from accounts.models import User
from tests.factories import UserFactory
from tests.test_html import assert_valid_page

from .helpers import error_summary

pytestmark = pytest.mark.django_db

LIST = "/organisation/users/"
INVITE = "/organisation/users/invite/"


def detail(user) -> str:
    return reverse("users:detail", args=[user.pk])


def signed_in(client, user):
    client.force_login(user)
    return client


def roles(**overrides) -> dict:
    data = {"can_raise": "on", "can_answer": "on"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v}


# --- Who sees the pages -------------------------------------------------------------------


def test_an_administrator_lists_their_organisations_users(
    client, gaining_admin, gaining_user, other_supplier_user
):
    html = signed_in(client, gaining_admin).get(LIST).content.decode()

    assert "gainingadmin" in html and "gaining" in html
    assert "other" not in html.split('id="users"')[1]
    assert_valid_page(html)


def test_the_list_says_who_has_set_up_two_factor(client, gaining_admin, gaining_user, clock):
    from .helpers import enrolled

    enrolled(gaining_user)

    html = signed_in(client, gaining_admin).get(LIST).content.decode()

    row = html.split(">gaining</a>")[1].split("</tr>")[0]
    assert "<td>Yes</td>" in row


def test_the_list_takes_a_fixed_number_of_queries(
    client, gaining_admin, gaining_supplier, django_assert_max_num_queries
):
    UserFactory.create_batch(20, supplier=gaining_supplier)
    signed_in(client, gaining_admin)

    with django_assert_max_num_queries(5):
        assert client.get(LIST).status_code == 200


def test_a_plain_user_of_the_organisation_is_refused(client, gaining_user, gaining_admin):
    signed_in(client, gaining_user)

    assert client.get(LIST).status_code == 403
    assert client.get(INVITE).status_code == 403
    assert client.get(detail(gaining_admin)).status_code == 403
    assert client.post(reverse("users:deactivate", args=[gaining_admin.pk])).status_code == 403


def test_an_administrator_of_another_organisation_gets_not_found(client, other_admin, gaining_user):
    signed_in(client, other_admin)

    assert client.get(detail(gaining_user)).status_code == 404
    assert client.post(detail(gaining_user), roles()).status_code == 404
    assert client.post(reverse("users:deactivate", args=[gaining_user.pk])).status_code == 404
    assert client.post(reverse("users:reactivate", args=[gaining_user.pk])).status_code == 404
    gaining_user.refresh_from_db()
    assert gaining_user.is_active


def test_the_helpdesk_manages_users_in_the_admin_not_here(client, helpdesk_user, gaining_user):
    signed_in(client, helpdesk_user)

    assert client.get(LIST).status_code == 403
    assert client.get(detail(gaining_user)).status_code == 403


def test_an_anonymous_visitor_is_sent_to_log_in(anonymous):
    response = anonymous.get(LIST)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_organisation_menu_offers_users_to_administrators_only(
    client, gaining_admin, gaining_user
):
    assert LIST in signed_in(client, gaining_admin).get("/").content.decode()
    assert LIST not in signed_in(client, gaining_user).get("/").content.decode()


# --- Roles --------------------------------------------------------------------------------


def test_an_administrator_changes_roles(client, gaining_admin, gaining_user):
    signed_in(client, gaining_admin)

    response = client.post(detail(gaining_user), roles(can_answer=""))

    assert response.status_code == 302
    gaining_user.refresh_from_db()
    assert (gaining_user.can_raise, gaining_user.can_answer) == (True, False)


def test_administrators_cannot_remove_their_own_administrator_role(client, gaining_admin):
    signed_in(client, gaining_admin)

    response = client.post(detail(gaining_admin), roles())

    assert response.status_code == 400
    assert "You cannot remove your own administrator role" in error_summary(
        response.content.decode()
    )
    gaining_admin.refresh_from_db()
    assert gaining_admin.is_supplier_admin


def test_another_administrator_can_remove_it(client, gaining_admin, gaining_supplier):
    second = UserFactory(supplier=gaining_supplier, is_supplier_admin=True)
    signed_in(client, second)

    assert client.post(detail(gaining_admin), roles()).status_code == 302
    gaining_admin.refresh_from_db()
    assert not gaining_admin.is_supplier_admin


def test_two_administrators_demoting_each_other_at_once_leave_one(gaining_admin, gaining_supplier):
    from accounts.services import AccountError, user_roles_change

    second = UserFactory(supplier=gaining_supplier, is_supplier_admin=True)
    # Both requests loaded their administrator before either change committed.
    stale_second = User.objects.get(pk=second.pk)
    user_roles_change(
        actor=gaining_admin,
        user_id=second.pk,
        can_raise=True,
        can_answer=True,
        is_supplier_admin=False,
    )

    with pytest.raises(AccountError, match="only active administrator") as refused:
        user_roles_change(
            actor=stale_second,
            user_id=gaining_admin.pk,
            can_raise=True,
            can_answer=True,
            is_supplier_admin=False,
        )

    assert refused.value.code == "last_admin"
    gaining_admin.refresh_from_db()
    assert gaining_admin.is_supplier_admin


# --- Deactivate and reactivate ------------------------------------------------------------


def test_an_administrator_deactivates_and_reactivates_a_user(client, gaining_admin, gaining_user):
    signed_in(client, gaining_admin)

    client.post(reverse("users:deactivate", args=[gaining_user.pk]))
    gaining_user.refresh_from_db()
    assert not gaining_user.is_active
    client.post(reverse("users:reactivate", args=[gaining_user.pk]))
    gaining_user.refresh_from_db()
    assert gaining_user.is_active


def test_a_deactivated_user_is_signed_out_at_the_next_request(client, gaining_admin, gaining_user):
    from django.test import Client

    theirs = Client()
    theirs.force_login(gaining_user)
    signed_in(client, gaining_admin).post(reverse("users:deactivate", args=[gaining_user.pk]))

    assert theirs.get("/incidents/raised/").status_code == 302


def test_administrators_cannot_deactivate_themselves(client, gaining_admin):
    signed_in(client, gaining_admin)

    response = client.post(reverse("users:deactivate", args=[gaining_admin.pk]), follow=True)

    assert "You cannot deactivate yourself." in response.content.decode()
    gaining_admin.refresh_from_db()
    assert gaining_admin.is_active


def test_two_administrators_deactivating_each_other_at_once_leave_one(
    gaining_admin, gaining_supplier
):
    from accounts.services import AccountError, user_deactivate

    second = UserFactory(supplier=gaining_supplier, is_supplier_admin=True)
    stale_second = User.objects.get(pk=second.pk)
    user_deactivate(actor=gaining_admin, user_id=second.pk)

    with pytest.raises(AccountError, match="only active administrator"):
        user_deactivate(actor=stale_second, user_id=gaining_admin.pk)

    gaining_admin.refresh_from_db()
    assert gaining_admin.is_active


def test_deactivating_twice_is_refused(gaining_admin, gaining_user):
    from accounts.services import AccountError, user_deactivate

    user_deactivate(actor=gaining_admin, user_id=gaining_user.pk)

    with pytest.raises(AccountError, match="already deactivated"):
        user_deactivate(actor=gaining_admin, user_id=gaining_user.pk)


# --- Two-factor reset ---------------------------------------------------------------------


def test_an_administrator_resets_a_colleagues_lost_two_factor(
    client, gaining_admin, gaining_user, clock
):
    from accounts.models import SealedTOTPDevice as TOTPDevice
    from accounts.models import SecurityEvent, SecurityEventKind

    from .helpers import enrolled

    enrolled(gaining_user)
    signed_in(client, gaining_admin)

    client.post(reverse("users:reset_mfa", args=[gaining_user.pk]))

    assert not TOTPDevice.objects.filter(user=gaining_user).exists()
    event = SecurityEvent.objects.get(kind=SecurityEventKind.MFA_DISABLED)
    assert (event.actor, event.reference) == (gaining_admin, f"user:{gaining_user.pk} gaining")


def test_another_organisations_administrator_cannot_reset_two_factor(
    client, other_admin, gaining_user, clock
):
    from accounts.models import SealedTOTPDevice as TOTPDevice

    from .helpers import enrolled

    enrolled(gaining_user)
    signed_in(client, other_admin)

    assert client.post(reverse("users:reset_mfa", args=[gaining_user.pk])).status_code == 404
    assert TOTPDevice.objects.filter(user=gaining_user, confirmed=True).exists()
