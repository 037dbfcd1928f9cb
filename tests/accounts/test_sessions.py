"""Sessions end after 30 minutes without a request; a request moves the end on by saving the
session, at most once a minute; a revoked session or a second factor taken away counts at the
very next request."""

import time

import pytest
from django.db import connection
from django.http import HttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.middleware import SESSION_SAVED_AT
from accounts.models import HashedBackupCodes, SealedTOTPDevice, Session

from .helpers import SETUP, code_for, code_step, enrolled, is_signed_in, password_step

pytestmark = pytest.mark.django_db

RAISED = "/incidents/raised/"
LOGIN = reverse("login")


def session_writes(queries) -> list[str]:
    return [
        q["sql"]
        for q in queries
        if Session._meta.db_table in q["sql"] and not q["sql"].lstrip().upper().startswith("SELECT")
    ]


def get_counting_writes(client, url=RAISED):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return response, session_writes(queries.captured_queries)


@pytest.fixture
def signed_in(client, gaining_user, clock):
    client.force_login(gaining_user)
    return client


def expiry(client):
    return Session.objects.get(session_key=client.session.session_key).expire_date


# --- Inactivity -------------------------------------------------------------------------------


def test_the_session_ends_after_thirty_minutes_without_a_request(signed_in, clock):
    clock.shift(30 * 60 + 1)

    response = signed_in.get(RAISED)

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_a_session_idle_for_31_minutes_after_a_request_is_over(signed_in, clock):
    clock.shift(5 * 60)
    assert signed_in.get(RAISED).status_code == 200  # saved: the end moves on
    clock.shift(31 * 60)

    response = signed_in.get(RAISED)

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_each_request_moves_the_end_on(signed_in, clock):
    for _ in range(3):
        clock.shift(20 * 60)
        assert signed_in.get(RAISED).status_code == 200


def test_a_user_at_work_all_along_stays_signed_in(signed_in, clock):
    # A page every 50 seconds for an hour: most requests save nothing, the end still moves on.
    for _ in range(72):
        clock.shift(50)
        assert signed_in.get(RAISED).status_code == 200


def test_a_request_30_seconds_after_the_last_save_writes_nothing(signed_in, clock):
    clock.shift(30)
    before = expiry(signed_in)

    response, writes = get_counting_writes(signed_in)

    assert response.status_code == 200
    assert writes == []
    assert expiry(signed_in) == before
    assert "Set-Cookie" not in response.headers


def test_a_request_61_seconds_after_the_last_save_moves_the_end_on(signed_in, clock):
    clock.shift(61)
    before = expiry(signed_in)

    response, writes = get_counting_writes(signed_in)

    assert response.status_code == 200
    assert len(writes) == 1 and writes[0].lstrip().upper().startswith("UPDATE")
    assert (expiry(signed_in) - before).total_seconds() == 61


def test_the_minute_counts_from_the_last_save_not_the_last_request(signed_in, clock):
    for _ in range(2):
        clock.shift(25)
        assert get_counting_writes(signed_in)[1] == []
    clock.shift(25)  # 25 s after the last request, 75 s after the last save

    assert len(get_counting_writes(signed_in)[1]) == 1
    clock.shift(25)
    assert get_counting_writes(signed_in)[1] == []


def test_the_end_is_never_later_than_thirty_minutes_after_the_last_save(signed_in, clock):
    # The end is exact to within the minute, and on the early side: a request 59 s after a
    # save does not move the end, so the session ends 29 min 1 s after that request.
    clock.shift(59)
    assert signed_in.get(RAISED).status_code == 200
    clock.shift(30 * 60 - 59 + 1)

    assert signed_in.get(RAISED)["Location"].startswith(LOGIN)


def test_a_session_saved_for_its_own_reasons_restarts_the_minute(signed_in, rf, clock):
    from accounts.middleware import SessionMiddleware

    def view(request):
        request.session["chosen"] = "something"  # the page keeps something in the session
        return HttpResponse()

    clock.shift(30)
    request = rf.get(RAISED, HTTP_COOKIE=f"sessionid={signed_in.session.session_key}")
    SessionMiddleware(view)(request)

    assert request.session[SESSION_SAVED_AT] == int(time.time())


def test_a_visitor_is_given_no_session(client, clock):
    assert client.get(LOGIN).status_code == 200
    assert client.get(RAISED).status_code == 302

    assert not Session.objects.exists()


def test_logging_out_leaves_no_session_behind(signed_in, clock):
    clock.shift(61)  # the refresh would be due

    signed_in.post(reverse("logout"))

    assert not Session.objects.exists()


def test_the_refresh_interval_is_a_minute_and_the_expiry_thirty_and_ends_with_the_browser(
    settings,
):
    assert settings.SSI_SESSION_REFRESH_SECONDS == 60
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    # Django's database sessions, read with a query compiled once (accounts.sessions)
    assert settings.SESSION_ENGINE == "accounts.sessions"


def test_a_refresh_interval_near_the_session_age_is_refused_at_start_up():
    from tests.test_production_settings import manage

    result = manage("check", SSI_SESSION_REFRESH_SECONDS="600")

    assert result.returncode != 0
    assert "SSI_SESSION_REFRESH_SECONDS is 600" in result.stderr


# --- Revoked at once --------------------------------------------------------------------------


def test_a_deleted_session_is_refused_at_its_next_request(signed_in, gaining_user, clock):
    assert signed_in.get(RAISED).status_code == 200
    clock.shift(10)  # inside the minute: the request would write nothing
    Session.objects.all().delete()  # an operator ends every session (clearsessions, the shell)

    response = signed_in.get(RAISED)

    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


def test_a_deactivated_users_session_is_refused_at_its_next_request(
    signed_in, gaining_user, helpdesk_user, clock
):
    from accounts.services import user_helpdesk_deactivate

    helpdesk_user.is_staff = True
    helpdesk_user.save()
    assert signed_in.get(RAISED).status_code == 200
    clock.shift(10)
    user_helpdesk_deactivate(actor=helpdesk_user, user_id=gaining_user.pk)

    response = signed_in.get(RAISED)

    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


# --- The second factor ------------------------------------------------------------------------


@pytest.fixture
def verified(client, gaining_user, mfa_required, clock):
    """Signed in with password and authenticator code; returns the device."""
    device, _ = enrolled(gaining_user)
    password_step(client, "gaining")
    clock.shift(30)
    code_step(client, code_for(device))
    assert client.get(RAISED).status_code == 200
    return device


def test_a_verified_session_reads_no_device_and_writes_nothing(
    client, verified, clock, django_assert_num_queries
):
    clock.shift(10)

    # the session with its user, their Supplier and the ids of their confirmed second
    # factors (one query), the page; nothing else
    with django_assert_num_queries(2):
        assert client.get(RAISED).status_code == 200


def test_removing_the_authenticator_demands_a_new_one_at_the_next_request(
    client, gaining_user, verified, clock
):
    from accounts.services import mfa_reset
    from tests.factories import UserFactory

    admin = UserFactory(supplier=gaining_user.supplier, is_supplier_admin=True)
    clock.shift(10)
    mfa_reset(actor=admin, user_id=gaining_user.pk)

    response = client.get(RAISED)

    assert response.status_code == 302 and response["Location"].startswith(SETUP)


def test_an_authenticator_unconfirmed_behind_the_portals_back_no_longer_verifies(
    client, gaining_user, verified, clock
):
    clock.shift(10)
    # SQL of its own: no save(), no signal; the next request still sees it.
    SealedTOTPDevice.objects.filter(pk=verified.pk).update(confirmed=False)

    response = client.get(RAISED)

    assert response.status_code == 302 and response["Location"].startswith(SETUP)


def test_an_authenticator_given_to_another_user_no_longer_verifies(
    client, gaining_user, installing_user, verified, clock
):
    clock.shift(10)
    SealedTOTPDevice.objects.filter(pk=verified.pk).update(user=installing_user)

    assert client.get(RAISED)["Location"].startswith(SETUP)


def test_a_session_verified_by_backup_codes_since_replaced_must_log_in_again(
    client, gaining_user, mfa_required, clock
):
    device, codes = enrolled(gaining_user)
    password_step(client, "gaining")
    code_step(client, codes[0])
    assert client.get(RAISED).status_code == 200
    clock.shift(10)
    HashedBackupCodes.objects.filter(user=gaining_user).delete()  # new ones made elsewhere

    response = client.get(RAISED)

    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert not is_signed_in(client)


def test_the_session_keeps_the_device_that_verified_it(client, verified, clock):
    user = client.get(RAISED).wsgi_request.user

    assert user.is_verified()
    assert user.otp_device.pk == verified.pk
    assert isinstance(user.otp_device, TOTPDevice)


def test_production_requires_two_factor_and_keeps_cookies_secure_and_same_site():
    import json
    import os
    import subprocess
    import sys

    # In a process of its own: production settings need their secrets in the environment.
    env = {
        **os.environ,
        "DJANGO_SECRET_KEY": "session-check-" + "q7Xv2mPz9LkRt4Ws8Nb1Yc6Hd3Jf5Gu0Ea" * 2,
        "DATABASE_URL": "postgres://ssi@db.invalid:5432/ssi",
        "CELERY_BROKER_URL": "redis://redis.invalid:6379/0",
        "INSTALL_CODE_KEYS": "q0zvI3b4b8VvQ3Jb0k3Zx7o1wKc5b2GxZ8mC0yQe9lE=",
        "SSI_METRICS_TOKEN": "session-check-metrics-token-0123456789abcdef",
        "SSI_MFA_REQUIRED": "false",  # must not switch it off
    }
    names = [
        "SSI_MFA_REQUIRED",
        "SESSION_COOKIE_SECURE",
        "SESSION_COOKIE_HTTPONLY",
        "SESSION_COOKIE_SAMESITE",
        "SESSION_SAVE_EVERY_REQUEST",
        "SSI_SESSION_REFRESH_SECONDS",
        "SESSION_COOKIE_AGE",
        "SESSION_ENGINE",
        "MIDDLEWARE",
        "AUTHENTICATION_BACKENDS",
    ]
    code = (
        "import json; from ssi_portal.settings import production as p; "
        f"print(json.dumps({{n: getattr(p, n, None) for n in {names!r}}}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    found = json.loads(out.stdout.strip().splitlines()[-1])
    middleware = found.pop("MIDDLEWARE")

    assert found == {
        "SSI_MFA_REQUIRED": True,
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # Saved at most once a minute instead (accounts.middleware.SessionMiddleware).
        "SESSION_SAVE_EVERY_REQUEST": False,
        "SSI_SESSION_REFRESH_SECONDS": 60,
        "SESSION_COOKIE_AGE": 30 * 60,
        "SESSION_ENGINE": "accounts.sessions",  # Django's database sessions
        "AUTHENTICATION_BACKENDS": [
            "axes.backends.AxesStandaloneBackend",
            "accounts.backends.ModelBackend",
        ],
    }
    # Django's session middleware as the portal extends it, where Django's would be.
    assert "django.contrib.sessions.middleware.SessionMiddleware" not in middleware
    assert middleware.index("accounts.middleware.SessionMiddleware") < middleware.index(
        "django.contrib.auth.middleware.AuthenticationMiddleware"
    )
    assert "django_otp.middleware.OTPMiddleware" not in middleware
    assert middleware.index("accounts.middleware.VerifiedDeviceMiddleware") == (
        middleware.index("accounts.middleware.TwoFactorRequiredMiddleware") - 1
    )


# --- The session and the user as every request reads them -------------------------------------


def test_the_session_row_reads_as_djangos_own_engine(signed_in, clock, monkeypatch):
    from django.contrib.sessions.backends.db import SessionStore as Djangos

    from accounts.sessions import SessionStore

    # Django's engine, reading the portal's table through the ORM.
    monkeypatch.setattr(Djangos, "get_model_class", classmethod(lambda cls: Session))
    key = signed_in.session.session_key

    assert SessionStore(key).load() == Djangos(key).load() != {}
    clock.shift(30 * 60)  # the end itself: expire_date is no longer after now
    assert SessionStore(key).load() == Djangos(key).load() == {}


def test_the_user_of_a_session_is_read_in_one_query_with_their_second_factors(
    gaining_user, django_assert_num_queries, clock
):
    from accounts.backends import ModelBackend, confirmed_device_ids

    device, _ = enrolled(gaining_user)
    backup = HashedBackupCodes.objects.get(user=gaining_user)

    with django_assert_num_queries(1):
        user = ModelBackend().get_user(gaining_user.pk)

    assert [getattr(user, f.attname) for f in user._meta.concrete_fields] == [
        getattr(gaining_user, f.attname) for f in user._meta.concrete_fields
    ]
    assert confirmed_device_ids(user) == {
        f"otp_totp.totpdevice/{device.pk}",
        f"otp_static.staticdevice/{backup.pk}",
    }
    assert not user._state.adding


def test_no_user_or_an_inactive_one_is_nobody(gaining_user):
    from accounts.backends import ModelBackend

    assert ModelBackend().get_user(gaining_user.pk + 1000) is None
    gaining_user.is_active = False
    gaining_user.save()
    assert ModelBackend().get_user(gaining_user.pk) is None


def test_the_user_of_a_session_comes_with_their_supplier(
    gaining_user, helpdesk_user, django_assert_num_queries
):
    from accounts.backends import ModelBackend

    with django_assert_num_queries(1):
        user = ModelBackend().get_user(gaining_user.pk)
    with django_assert_num_queries(0):
        assert user.supplier == gaining_user.supplier
        assert user.supplier.name == gaining_user.supplier.name
        assert user.organisation_name == gaining_user.supplier.name

    with django_assert_num_queries(1):
        helpdesk = ModelBackend().get_user(helpdesk_user.pk)
    with django_assert_num_queries(0):
        assert helpdesk.supplier is None
        assert helpdesk.organisation_name == "DCC helpdesk"
