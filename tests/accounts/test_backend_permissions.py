"""The portal's backend reads a user's own permissions and their groups' in one query, and
answers every permission question as Django's ModelBackend does: none for an inactive user,
an anonymous one or an object, all for a superuser, the user's and their groups' otherwise."""

import pytest
from django.contrib.auth import backends as django_backends
from django.contrib.auth.models import AnonymousUser, Group, Permission

from accounts.backends import ModelBackend
from accounts.models import User
from tests.factories import HelpdeskUserFactory

pytestmark = pytest.mark.django_db

OWN = ["view_incident", "change_incident"]
OF_GROUPS = ["view_supplier", "change_incident"]  # one of them the user's own as well


def permissions(*codenames):
    return Permission.objects.filter(codename__in=codenames)


@pytest.fixture
def helpdesk():
    """A helpdesk user with permissions of their own and of two groups, one of them shared."""
    user = HelpdeskUserFactory(username="desk")
    user.user_permissions.add(*permissions(*OWN))
    first, second = Group.objects.create(name="first"), Group.objects.create(name="second")
    first.permissions.add(*permissions(*OF_GROUPS))
    second.permissions.add(*permissions("view_supplier", "view_nonworkingday"))
    user.groups.add(first, second)
    return user


def fresh(user):
    """The user read again, with no permissions kept on it."""
    return User.objects.get(pk=user.pk)


def answers(backend, user) -> dict:
    return {
        "own": backend.get_user_permissions(user),
        "groups": backend.get_group_permissions(user),
        "all": backend.get_all_permissions(user),
        "for an object": backend.get_all_permissions(user, obj=object()),
        "has view_incident": backend.has_perm(user, "incidents.view_incident"),
        "has view_supplier": backend.has_perm(user, "accounts.view_supplier"),
        "has delete_incident": backend.has_perm(user, "incidents.delete_incident"),
        "has view_supplier for an object": backend.has_perm(
            user, "accounts.view_supplier", obj=object()
        ),
        "module incidents": backend.has_module_perms(user, "incidents"),
        "module auth": backend.has_module_perms(user, "auth"),
    }


def djangos(user) -> dict:
    return answers(django_backends.ModelBackend(), fresh(user))


def ours(user) -> dict:
    return answers(ModelBackend(), fresh(user))


def test_a_users_own_and_group_permissions_are_one_query(helpdesk, django_assert_num_queries):
    user = fresh(helpdesk)

    with django_assert_num_queries(1):
        assert ModelBackend().get_all_permissions(user) == {
            "incidents.view_incident",
            "incidents.change_incident",
            "accounts.view_supplier",
            "incidents.view_nonworkingday",
        }


def test_the_permissions_are_kept_on_the_user_as_django_keeps_them(
    helpdesk, django_assert_num_queries
):
    user = fresh(helpdesk)
    ModelBackend().get_user_permissions(user)

    with django_assert_num_queries(0):
        assert user.has_perm("accounts.view_supplier")
        assert user.has_module_perms("incidents")
        assert not user.has_perm("incidents.delete_incident")
    assert user._user_perm_cache == {"incidents.view_incident", "incidents.change_incident"}
    assert user._group_perm_cache == {
        "accounts.view_supplier",
        "incidents.change_incident",
        "incidents.view_nonworkingday",
    }


def test_the_answers_are_djangos_for_a_user_with_permissions_of_their_own_and_groups(helpdesk):
    assert ours(helpdesk) == djangos(helpdesk)


def test_a_user_with_no_permissions_has_none(gaining_user):
    assert ours(gaining_user) == djangos(gaining_user)
    assert ours(gaining_user)["all"] == set()


def test_a_user_with_group_permissions_only_has_those(helpdesk):
    helpdesk.user_permissions.clear()

    assert ours(helpdesk) == djangos(helpdesk)
    assert ours(helpdesk)["own"] == set()


def test_an_inactive_user_has_no_permissions(helpdesk):
    User.objects.filter(pk=helpdesk.pk).update(is_active=False)

    assert ours(helpdesk) == djangos(helpdesk)
    assert not any(ours(helpdesk).values())


def test_a_superuser_has_every_permission(helpdesk):
    User.objects.filter(pk=helpdesk.pk).update(is_superuser=True)
    every = {f"{p.content_type.app_label}.{p.codename}" for p in Permission.objects.all()}

    assert ours(helpdesk) == djangos(helpdesk)
    assert ours(helpdesk)["own"] == ours(helpdesk)["groups"] == every


def test_a_superuser_reads_every_permission_once(helpdesk, django_assert_num_queries):
    User.objects.filter(pk=helpdesk.pk).update(is_superuser=True)
    user = fresh(helpdesk)

    with django_assert_num_queries(1):
        ModelBackend().get_all_permissions(user)


def test_an_anonymous_user_has_no_permissions():
    assert answers(ModelBackend(), AnonymousUser()) == answers(
        django_backends.ModelBackend(), AnonymousUser()
    )


def test_a_permission_kept_already_is_not_read_again(helpdesk):
    user = fresh(helpdesk)
    user._user_perm_cache = {"incidents.delete_incident"}

    assert ModelBackend().get_all_permissions(user) == {
        "incidents.delete_incident",
        "accounts.view_supplier",
        "incidents.change_incident",
        "incidents.view_nonworkingday",
    }


def test_a_permission_given_later_counts_for_the_user_read_next(helpdesk):
    user = fresh(helpdesk)
    assert not user.has_perm("incidents.delete_incident")
    helpdesk.user_permissions.add(*permissions("delete_incident"))

    assert not user.has_perm("incidents.delete_incident")  # kept, as Django keeps it
    assert fresh(helpdesk).has_perm("incidents.delete_incident")
