"""A session's row names its signed-in user, and a request reads the session with that user in
one query; the user is still refused as before (deleted session, deactivated user, password
changed), the signed session data decides who the user is, and a user's sessions are found by
their column."""

import importlib

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.backends import confirmed_device_ids, users_from_the_session_of
from accounts.models import Session
from accounts.sessions import SessionStore
from tests.factories import UserFactory

from .helpers import code_for, code_step, enrolled, password_step

pytestmark = pytest.mark.django_db

RAISED = "/incidents/raised/"
LOGIN = reverse("login")


def session_row(client) -> Session:
    return Session.objects.get(session_key=client.session.session_key)


def signed_in_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def signed_in(client, gaining_user, clock):
    client.force_login(gaining_user)
    return client


class _Request:
    """What ``django.contrib.auth.get_user`` reads of a request: its session."""

    def __init__(self, session):
        self.session = session


def _user_of(session_key):
    request = _Request(SessionStore(session_key))
    with users_from_the_session_of(request):
        return get_user(request)


# --- The row names the user -------------------------------------------------------------------


def test_a_signed_in_sessions_row_names_its_user(signed_in, gaining_user):
    assert session_row(signed_in).user_id == gaining_user.pk


def test_a_session_begun_with_the_password_names_its_user_only_once_the_code_is_given(
    client, gaining_user, mfa_required, clock
):
    device, _ = enrolled(gaining_user)
    password_step(client, "gaining")

    assert session_row(client).user_id is None  # waiting for the code: nobody yet
    clock.shift(30)
    code_step(client, code_for(device))

    assert session_row(client).user_id == gaining_user.pk


# --- One query --------------------------------------------------------------------------------


def test_the_session_and_its_user_are_read_in_one_query(
    signed_in, gaining_user, django_assert_num_queries
):
    device, _ = enrolled(gaining_user)

    with django_assert_num_queries(1):
        user = _user_of(signed_in.session.session_key)

    assert user == gaining_user
    assert [getattr(user, f.attname) for f in user._meta.concrete_fields] == [
        getattr(gaining_user, f.attname) for f in user._meta.concrete_fields
    ]
    assert f"otp_totp.totpdevice/{device.pk}" in confirmed_device_ids(user)
    assert not user._state.adding


def test_a_signed_in_page_reads_the_session_with_its_user(signed_in, gaining_user, clock):
    clock.shift(5)

    with CaptureQueriesContext(connection) as queries:
        assert signed_in.get(RAISED).status_code == 200

    reads_user = [q["sql"] for q in queries if "inventory_user" in q["sql"].split("WHERE")[0]]
    assert len(reads_user) == 1 and Session._meta.db_table in reads_user[0]


def test_the_user_read_with_the_session_serves_one_request_only(
    signed_in, gaining_user, django_assert_num_queries
):
    from accounts.backends import ModelBackend

    request = _Request(SessionStore(signed_in.session.session_key))
    with users_from_the_session_of(request):
        assert get_user(request) == gaining_user
        # Asked again, the user is read afresh, never as the session's row once had them.
        with django_assert_num_queries(1):
            assert ModelBackend().get_user(gaining_user.pk) == gaining_user


def test_outside_a_request_the_user_is_read_on_their_own(
    signed_in, gaining_user, django_assert_num_queries
):
    from accounts.backends import ModelBackend

    SessionStore(signed_in.session.session_key).load()  # no request being served

    with django_assert_num_queries(1):
        assert ModelBackend().get_user(gaining_user.pk) == gaining_user


# --- Who the user is: the signed session data, not the column ---------------------------------


def test_a_row_whose_column_names_someone_else_still_serves_the_user_of_its_data(
    signed_in, gaining_user, installing_user, clock
):
    Session.objects.update(user_id=installing_user.pk)  # SQL behind the portal's back

    response = signed_in.get(RAISED)

    assert response.status_code == 200
    assert response.wsgi_request.user == gaining_user


def test_a_session_of_a_user_who_no_longer_exists_is_nobody(gaining_user, clock):
    session = SessionStore()
    session.update(
        {
            SESSION_KEY: str(gaining_user.pk + 1000),
            BACKEND_SESSION_KEY: "accounts.backends.ModelBackend",
            HASH_SESSION_KEY: gaining_user.get_session_auth_hash(),
        }
    )
    session.create()
    client = Client()
    client.cookies["sessionid"] = session.session_key

    response = client.get(RAISED)

    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


# --- Still refused at the next request --------------------------------------------------------


def test_a_password_changed_elsewhere_ends_the_session_at_its_next_request(
    signed_in, gaining_user, clock
):
    assert signed_in.get(RAISED).status_code == 200
    clock.shift(10)  # inside the minute: the row is not rewritten
    gaining_user.set_password("a-new-password-chosen-elsewhere-42")
    gaining_user.save()

    response = signed_in.get(RAISED)

    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert not Session.objects.exists()  # Django flushes a session its user's hash no longer fits


def test_a_session_of_an_inactive_user_is_refused_even_when_read_with_its_row(
    signed_in, gaining_user, clock
):
    type(gaining_user).objects.filter(pk=gaining_user.pk).update(is_active=False)

    assert _user_of(signed_in.session.session_key).is_anonymous
    response = signed_in.get(RAISED)
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


def test_deactivating_a_user_ends_their_sessions_and_nobody_elses(
    gaining_user, gaining_admin, clock
):
    from accounts.services import user_deactivate

    theirs = [signed_in_client(gaining_user) for _ in range(2)]
    others = signed_in_client(gaining_admin)

    user_deactivate(actor=gaining_admin, user_id=gaining_user.pk)

    assert not Session.objects.filter(user_id=gaining_user.pk).exists()
    assert all(c.get(RAISED).status_code == 302 for c in theirs)
    assert others.get(RAISED).status_code == 200


def test_a_user_reactivated_after_deactivation_signs_in_again(gaining_user, gaining_admin, clock):
    from accounts.services import user_deactivate, user_reactivate

    theirs = signed_in_client(gaining_user)
    user_deactivate(actor=gaining_admin, user_id=gaining_user.pk)
    clock.shift(60)
    user_reactivate(actor=gaining_admin, user_id=gaining_user.pk)

    response = theirs.get(RAISED)

    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


def test_the_helpdesk_deactivating_a_user_ends_their_sessions(gaining_user, helpdesk_user, clock):
    from accounts.services import user_helpdesk_deactivate

    helpdesk_user.is_staff = True
    helpdesk_user.save()
    theirs = signed_in_client(gaining_user)

    user_helpdesk_deactivate(actor=helpdesk_user, user_id=gaining_user.pk)

    assert not Session.objects.filter(user_id=gaining_user.pk).exists()
    assert theirs.get(RAISED).status_code == 302


# --- The sessions open at the deploy move to the new table -----------------------------------


def _move_migration():
    return importlib.import_module("accounts.migrations.0007_sessions")


class _Editor:
    connection = connection


def test_the_migration_moves_open_sessions_with_their_user(gaining_user, clock):
    from django.apps import apps
    from django.contrib.sessions.backends.db import SessionStore as Djangos
    from django.contrib.sessions.models import Session as DjangosSession

    open_ = Djangos()
    open_.update({SESSION_KEY: str(gaining_user.pk), "kept": "yes"})
    open_.create()
    visitor = Djangos()
    visitor.update({"kept": "no user"})
    visitor.create()
    ended = Djangos()
    ended.set_expiry(-1)
    ended.update({SESSION_KEY: str(gaining_user.pk)})
    ended.create()

    _move_migration().forwards(apps, _Editor())

    assert not DjangosSession.objects.exists()
    moved = {s.session_key: s for s in Session.objects.all()}
    assert set(moved) == {open_.session_key, visitor.session_key}
    assert moved[open_.session_key].user_id == gaining_user.pk
    assert moved[visitor.session_key].user_id is None
    assert SessionStore(open_.session_key).load()["kept"] == "yes"


def test_the_migration_moves_them_back_when_reversed(signed_in, gaining_user):
    from django.apps import apps
    from django.contrib.sessions.backends.db import SessionStore as Djangos

    key = signed_in.session.session_key

    _move_migration().backwards(apps, _Editor())

    assert not Session.objects.exists()
    assert Djangos(key).load()[SESSION_KEY] == str(gaining_user.pk)


def test_a_second_user_of_the_same_organisation_keeps_their_own_session(gaining_user, clock):
    colleague = UserFactory(supplier=gaining_user.supplier)
    mine, theirs = signed_in_client(gaining_user), signed_in_client(colleague)

    assert mine.get(RAISED).wsgi_request.user == gaining_user
    assert theirs.get(RAISED).wsgi_request.user == colleague
