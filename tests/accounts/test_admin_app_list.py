"""The admin's list of apps a user may reach (its sidebar, its index) is kept once built, and is
for every request the list Django builds for it: by each user's permissions, their own and
their groups', as superuser, inactive, as helpdesk (the security log decides that for itself),
and where a ModelAdmin decides per request."""

import pytest
from django.contrib import admin
from django.contrib.admin import AdminSite
from django.contrib.auth.models import AnonymousUser, Group, Permission
from django.test import RequestFactory

from accounts.admin import app_list as app_list_module
from accounts.models import User
from tests.factories import HelpdeskUserFactory, UserFactory

pytestmark = pytest.mark.django_db


def request_of(user):
    request = RequestFactory().get("/admin/")
    request.user = User.objects.get(pk=user.pk) if user.pk else user
    return request


def djangos(request, app_label=None) -> list:
    return AdminSite.get_app_list(admin.site, request, app_label)


def plain(apps: list) -> list:
    """The list with its lazy words as text, to compare."""
    return [
        {
            **app,
            "name": str(app["name"]),
            "models": [{**m, "name": str(m["name"])} for m in app["models"]],
        }
        for app in apps
    ]


def assert_as_django_builds_it(user, app_label=None):
    for _ in range(2):  # built, then kept
        ours = admin.site.get_app_list(request_of(user), app_label)
        assert plain(ours) == plain(djangos(request_of(user), app_label))
    return ours


def permissions(*codenames):
    return Permission.objects.filter(codename__in=codenames)


@pytest.fixture(autouse=True)
def nothing_kept():
    app_list_module._KEPT.clear()
    yield
    app_list_module._KEPT.clear()


def test_a_user_sees_the_apps_of_their_own_permissions():
    user = HelpdeskUserFactory()
    user.user_permissions.add(*permissions("view_incident", "change_incident"))

    ours = assert_as_django_builds_it(user)

    assert {app["app_label"] for app in ours} >= {"incidents"}


def test_users_with_other_permissions_get_their_own_lists():
    many = HelpdeskUserFactory(username="many")
    many.user_permissions.add(*permissions("view_incident", "change_incident", "view_supplier"))
    few = HelpdeskUserFactory(username="few")
    few.user_permissions.add(*permissions("view_nonworkingday"))
    group = Group.objects.create(name="desk")
    group.permissions.add(*permissions("view_device"))
    grouped = HelpdeskUserFactory(username="grouped")
    grouped.groups.add(group)

    lists = [plain(assert_as_django_builds_it(user)) for user in (many, few, grouped, many)]

    assert lists[0] != lists[1] != lists[2]
    assert lists[0] == lists[3]
    assert len(app_list_module._KEPT) == 3


def test_a_superuser_sees_every_app():
    user = UserFactory(username="root", is_staff=True, is_superuser=True)

    ours = assert_as_django_builds_it(user)

    assert len(ours) == len({model._meta.app_label for model in admin.site._registry})


def test_an_inactive_user_sees_nothing():
    user = HelpdeskUserFactory(is_active=False)
    user.user_permissions.add(*permissions("view_incident"))

    assert assert_as_django_builds_it(user) == []


def test_the_security_log_is_listed_for_the_helpdesk_as_it_decides():
    desk = HelpdeskUserFactory(username="desk")
    staff = UserFactory(username="staff", is_staff=True)

    listed = [
        [m["object_name"] for app in assert_as_django_builds_it(user) for m in app["models"]]
        for user in (desk, staff)
    ]

    assert "SecurityEvent" in listed[0]
    assert "SecurityEvent" not in listed[1]


def test_one_apps_list_is_as_django_builds_it():
    user = HelpdeskUserFactory()
    user.user_permissions.add(*permissions("view_incident", "view_nonworkingday"))

    assert_as_django_builds_it(user, "incidents")
    assert_as_django_builds_it(user, "accounts")


def test_a_model_admin_deciding_per_request_is_asked_on_each_request(monkeypatch):
    from incidents.admin.incidents import IncidentAdmin

    user = HelpdeskUserFactory()
    user.user_permissions.add(*permissions("view_incident"))
    assert_as_django_builds_it(user)
    monkeypatch.setattr(IncidentAdmin, "has_module_permission", lambda self, r: r.allowed)
    allowed, refused = request_of(user), request_of(user)
    allowed.allowed, refused.allowed = True, False

    first = admin.site.get_app_list(allowed)
    second = admin.site.get_app_list(refused)

    assert "incidents" in [app["app_label"] for app in first]
    assert "incidents" not in [app["app_label"] for app in second]


def test_an_answer_that_is_not_true_or_false_is_djangos_each_time(monkeypatch):
    from incidents.admin.incidents import IncidentAdmin

    user = HelpdeskUserFactory()
    user.user_permissions.add(*permissions("view_incident"))
    monkeypatch.setattr(IncidentAdmin, "has_module_permission", lambda self, r: 1)

    assert_as_django_builds_it(user)
    assert len(app_list_module._KEPT) == 0


def test_the_requests_lazy_user_is_kept_by_their_permissions(client):
    user = HelpdeskUserFactory()
    user.user_permissions.add(*permissions("view_incident"))
    client.force_login(user)

    assert client.get("/admin/").status_code == 200

    assert len(app_list_module._KEPT) == 1


@pytest.mark.parametrize("superuser", [True, False])
def test_the_list_asks_the_database_no_more_than_django_does(superuser):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    user = UserFactory(username="someone", is_staff=True, is_superuser=superuser)
    user.user_permissions.add(*permissions("view_incident"))
    counts = []
    for get_app_list in (djangos, admin.site.get_app_list, admin.site.get_app_list):
        request = request_of(user)
        with CaptureQueriesContext(connection) as queries:
            get_app_list(request)
        counts.append(len(queries))

    assert counts[1] == counts[2] == counts[0] == (0 if superuser else 1)


def test_an_anonymous_user_is_djangos_each_time():
    assert plain(admin.site.get_app_list(request_of(AnonymousUser()))) == []
    assert len(app_list_module._KEPT) == 0


def test_each_request_gets_lists_of_its_own():
    user = HelpdeskUserFactory()
    user.user_permissions.add(*permissions("view_incident"))
    first = admin.site.get_app_list(request_of(user))
    first[0]["models"].clear()
    first[0]["models"].append({"changed": True})

    assert plain(admin.site.get_app_list(request_of(user))) == plain(djangos(request_of(user)))
