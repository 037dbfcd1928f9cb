"""The roles a Supplier gives its users, for the incident services to enforce."""

import io

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command

from accounts.models import User
from accounts.permissions import can_manage_users, user_may_answer, user_may_raise
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_new_supplier_user_may_raise_and_answer(gaining_user):
    assert user_may_raise(gaining_user) and user_may_answer(gaining_user)
    assert not can_manage_users(gaining_user)


def test_each_role_can_be_withdrawn_on_its_own(gaining_supplier):
    raiser = UserFactory(supplier=gaining_supplier, can_answer=False)
    answerer = UserFactory(supplier=gaining_supplier, can_raise=False)

    assert (user_may_raise(raiser), user_may_answer(raiser)) == (True, False)
    assert (user_may_raise(answerer), user_may_answer(answerer)) == (False, True)


@pytest.mark.parametrize("check", [user_may_raise, user_may_answer, can_manage_users])
def test_the_helpdesk_anonymous_and_deactivated_users_have_no_supplier_role(
    check, helpdesk_user, gaining_supplier
):
    former = UserFactory(supplier=gaining_supplier, is_active=False, is_supplier_admin=True)

    assert not check(helpdesk_user)
    assert not check(AnonymousUser())
    assert not check(former)


def test_every_demo_supplier_user_administers_their_supplier():
    call_command("load_demo_data", stdout=io.StringIO())

    for username in ("aurora", "brightwater", "cobalt", "dunmore"):
        assert can_manage_users(User.objects.get(username=username))
    assert not User.objects.get(username="helpdesk").is_supplier_admin
