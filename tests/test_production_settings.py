"""Production settings: refuse to start without their secrets, and pass Django's deploy checks."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOOD_ENV = {
    "DJANGO_SETTINGS_MODULE": "ssi_portal.settings.production",
    "DJANGO_SECRET_KEY": "x" * 60 + "-production-like-secret-key-for-the-check-only",
    "DATABASE_URL": "postgres://portal@127.0.0.1:5432/ssi_portal",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    "INSTALL_CODE_KEYS": "q0zvI3b4b8VvQ3Jb0k3Zx7o1wKc5b2GxZ8mC0yQe9lE=",
    "DJANGO_ALLOWED_HOSTS": "ssi.example.org",
    "SSI_METRICS_TOKEN": "m" * 40 + "-token-for-the-check-only",
}


def manage(*args: str, **env_changes: str | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    env.update(GOOD_ENV)
    for key, value in env_changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_deploy_checks_report_nothing():
    result = manage("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    "missing,named",
    [
        ("DJANGO_SECRET_KEY", "DJANGO_SECRET_KEY"),
        ("DATABASE_URL", "DATABASE_URL"),
        ("CELERY_BROKER_URL", "CELERY_BROKER_URL"),
        ("INSTALL_CODE_KEYS", "INSTALL_CODE_KEYS"),
        ("SSI_METRICS_TOKEN", "SSI_METRICS_TOKEN"),
    ],
)
def test_production_refuses_to_start_without_a_secret(missing, named):
    result = manage("check", **{missing: None})
    assert result.returncode != 0
    assert named in result.stderr


def test_production_refuses_sqlite():
    result = manage("check", DATABASE_URL="sqlite:////tmp/portal.sqlite3")
    assert result.returncode != 0
    assert "PostgreSQL" in result.stderr


def test_production_sends_the_security_headers():
    script = (
        "from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS >= 31536000,"
        " s.X_FRAME_OPTIONS, '-'.join(map(str, s.SECURE_CSP['script-src'])),"
        " 'unsafe-inline' in str(s.SECURE_CSP))"
    )
    result = manage("shell", "-c", script)
    assert result.returncode == 0, result.stderr
    # The shell may log start-up lines first: the figures are on the last line.
    assert result.stdout.strip().splitlines()[-1].split() == [
        "True",
        "True",
        "True",
        "DENY",
        "'self'",
        "False",
    ]


def test_every_page_carries_the_content_security_policy(client, db):
    response = client.get("/accounts/login/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize(
    "key,why",
    [
        ("k3y" * 16, "has 48 characters, fewer than 50"),
        ("ab" * 40, "has 2 different characters, fewer than 5"),
        (
            "django-insecure-" + "q7Xv2mPz9LkRt4Ws8Nb1Yc6Hd3Jf5Gu0Ea" * 2,
            "starts with 'django-insecure-'",
        ),
    ],
)
def test_production_refuses_a_secret_key_the_deploy_check_calls_weak(key, why):
    result = manage("check", DJANGO_SECRET_KEY=key)

    assert result.returncode != 0
    assert f"DJANGO_SECRET_KEY is weak: it {why}" in result.stderr


def test_production_trusts_forwarded_addresses_from_loopback_only_by_default():
    result = manage(
        "shell", "-c", "from django.conf import settings as s; print(s.SSI_TRUSTED_PROXIES)"
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "['127.0.0.1', '::1']"


@pytest.mark.parametrize("value", ["10.0.0.0/33", "proxy.internal", "10.0.0.1/8"])
def test_a_malformed_trusted_proxy_network_stops_start_up_naming_the_setting(value):
    result = manage("check", SSI_TRUSTED_PROXIES=f"127.0.0.1,{value}")

    assert result.returncode != 0
    assert f"SSI_TRUSTED_PROXIES: {value!r} is not an address or a network" in result.stderr


def test_the_retired_proxy_count_stops_start_up_naming_its_replacement():
    result = manage("check", SSI_TRUSTED_PROXY_COUNT="1")

    assert result.returncode != 0
    assert "SSI_TRUSTED_PROXY_COUNT is no longer read" in result.stderr
    assert "SSI_TRUSTED_PROXIES" in result.stderr


def test_production_answers_health_probes_over_plain_http_and_redirects_pages():
    """Load balancers probe over plain HTTP on the private network: production answers
    /healthz there (no database needed) while every page is redirected to HTTPS."""
    script = (
        "from django.test import Client; c = Client(HTTP_HOST='ssi.example.org'); "
        "print(c.get('/healthz').status_code, c.get('/accounts/login/').status_code)"
    )
    result = manage("shell", "-c", script)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].split() == ["200", "301"]


def test_production_refuses_to_send_webhooks_to_loopback():
    result = manage("check", SSI_WEBHOOK_ALLOW_LOOPBACK="true")

    assert result.returncode != 0
    assert "SSI_WEBHOOK_ALLOW_LOOPBACK is for tests only" in result.stderr


def database_settings(**env_changes: str | None) -> dict:
    """The ``default`` database production builds from the environment, as JSON."""
    script = (
        "import json; from django.conf import settings as s; d = s.DATABASES['default']; "
        "print(json.dumps({k: d.get(k) for k in ('CONN_MAX_AGE', 'CONN_HEALTH_CHECKS', "
        "'DISABLE_SERVER_SIDE_CURSORS', 'OPTIONS')}))"
    )
    result = manage("shell", "-c", script, **env_changes)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_keeps_its_connections_a_minute_and_prepares_the_queries_it_repeats():
    database = database_settings()

    assert database["CONN_MAX_AGE"] == 60
    assert database["OPTIONS"] == {
        "server_side_binding": True,
        "prepare_threshold": 1,
        "options": "-c max_parallel_workers_per_gather=0",
    }
    assert not database["DISABLE_SERVER_SIDE_CURSORS"]


def test_behind_pgbouncer_production_declares_no_server_side_cursor_and_prepares_nothing():
    database = database_settings(SSI_DB_PGBOUNCER="true")

    assert database["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert database["OPTIONS"] == {"prepare_threshold": None}
    # Connections to PgBouncer hold no server connection while idle: kept, and checked first.
    assert (database["CONN_MAX_AGE"], database["CONN_HEALTH_CHECKS"]) == (60, True)


def test_the_psycopg_pool_replaces_persistent_connections():
    database = database_settings(SSI_DB_POOL_MAX_SIZE="4", SSI_DB_POOL_TIMEOUT="5")

    assert database["OPTIONS"]["pool"] == {"min_size": 1, "max_size": 4, "timeout": 5.0}
    # A pooled connection keeps its prepared statements as a persistent one does.
    assert database["OPTIONS"]["server_side_binding"] is True
    assert database["OPTIONS"]["prepare_threshold"] == 1
    assert database["OPTIONS"]["options"] == "-c max_parallel_workers_per_gather=0"
    assert (database["CONN_MAX_AGE"], database["CONN_HEALTH_CHECKS"]) == (0, True)


def test_production_refuses_the_psycopg_pool_in_front_of_pgbouncer():
    result = manage("check", SSI_DB_POOL_MAX_SIZE="4", SSI_DB_PGBOUNCER="true")

    assert result.returncode != 0
    assert "SSI_DB_POOL_MAX_SIZE and SSI_DB_PGBOUNCER are both set" in result.stderr


def test_production_refuses_persistent_connections_with_the_psycopg_pool():
    result = manage("check", SSI_DB_POOL_MAX_SIZE="4", DB_CONN_MAX_AGE="60")

    assert result.returncode != 0
    assert "DB_CONN_MAX_AGE is set with SSI_DB_POOL_MAX_SIZE" in result.stderr


@pytest.mark.parametrize(
    "changes,message",
    [
        ({"SSI_DB_POOL_MAX_SIZE": "-1"}, "SSI_DB_POOL_MAX_SIZE is -1"),
        ({"SSI_DB_POOL_MAX_SIZE": "2", "SSI_DB_POOL_MIN_SIZE": "3"}, "SSI_DB_POOL_MIN_SIZE is 3"),
        ({"SSI_DB_POOL_MAX_SIZE": "2", "SSI_DB_POOL_TIMEOUT": "0"}, "SSI_DB_POOL_TIMEOUT is 0"),
    ],
)
def test_a_pool_size_or_timeout_out_of_range_stops_start_up_naming_the_setting(changes, message):
    result = manage("check", **changes)

    assert result.returncode != 0
    assert message in result.stderr


def test_production_refuses_a_metrics_token_too_short_to_guard_the_metrics():
    result = manage("check", SSI_METRICS_TOKEN="short-token")

    assert result.returncode != 0
    assert "SSI_METRICS_TOKEN" in result.stderr and "32 characters or more" in result.stderr


def test_production_serves_metrics_only_with_the_token():
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings as s; "
        "print(s.SSI_METRICS_OPEN, len(s.SSI_METRICS_TOKEN))",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "False 65"
