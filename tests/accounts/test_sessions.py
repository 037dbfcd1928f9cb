"""Sessions end after 30 minutes without a request; each request moves the end on."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

RAISED = "/incidents/raised/"


@pytest.fixture
def sliding_sessions(settings):
    # As in base.py and production; the test settings switch it off for pinned query counts.
    settings.SESSION_SAVE_EVERY_REQUEST = True


def test_the_session_ends_after_thirty_minutes_without_a_request(
    client, gaining_user, clock, sliding_sessions
):
    client.force_login(gaining_user)
    clock.shift(30 * 60 + 1)

    response = client.get(RAISED)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_each_request_moves_the_end_on(client, gaining_user, clock, sliding_sessions):
    client.force_login(gaining_user)
    for _ in range(3):
        clock.shift(20 * 60)
        assert client.get(RAISED).status_code == 200


def test_the_timeout_is_thirty_minutes_by_default_and_ends_with_the_browser(settings):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True


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
        "SESSION_COOKIE_AGE",
    ]
    code = (
        "import json; from ssi_portal.settings import production as p; "
        f"print(json.dumps({{n: getattr(p, n) for n in {names!r}}}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert json.loads(out.stdout.strip().splitlines()[-1]) == {
        "SSI_MFA_REQUIRED": True,
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_SAVE_EVERY_REQUEST": True,
        "SESSION_COOKIE_AGE": 30 * 60,
    }
