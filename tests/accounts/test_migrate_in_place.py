"""A database of the portal before the accounts app migrates in place: every row is still there
and still works (a user signs in with their authenticator and with a backup code, a sealed
install code opens, the outbox knows whom each email was for, a group's permission holds).

The database is a scratch one beside the test database (a file on SQLite, ``<test db>_mig`` on
PostgreSQL, dropped after). Each step runs in its own process, as a deployment would: the
schema and rows of that time (``migrate_in_place_steps build``), then plain
``manage.py migrate``, then the checks with the current code.
"""

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str, url: str) -> str:
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "ssi_portal.settings.test"}
    done = subprocess.run(  # noqa: S603 (our own interpreter and scripts)
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.fixture(scope="module")
def scratch_url(tmp_path_factory):
    if connection.vendor == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('migrate') / 'before_accounts.sqlite3'}"
        return
    import psycopg

    settings = connection.settings_dict
    name = (settings.get("TEST", {}).get("NAME") or f"test_{settings['NAME']}") + "_mig"
    server = {
        "host": settings["HOST"] or "127.0.0.1",
        "port": settings["PORT"] or 5432,
        "user": settings["USER"] or "postgres",
        "password": settings["PASSWORD"] or None,
        "dbname": "postgres",
    }
    with psycopg.connect(**server, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    password = f":{quote(server['password'])}" if server["password"] else ""
    yield f"postgres://{server['user']}{password}@{server['host']}:{server['port']}/{name}"
    with psycopg.connect(**server, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def migrated(scratch_url):
    built = json.loads(
        _run("-m", "tests.accounts.migrate_in_place_steps", "build", url=scratch_url)
    )
    output = _run("manage.py", "migrate", "--no-input", url=scratch_url)
    after = json.loads(
        _run(
            "-m",
            "tests.accounts.migrate_in_place_steps",
            "verify",
            json.dumps(built),
            url=scratch_url,
        )
    )
    return built, output, after


def test_an_existing_database_migrates_with_a_plain_migrate(migrated):
    _, output, _ = migrated
    assert "Recorded accounts.0001_initial as applied" in output
    assert "Applying inventory.0012_accounts_moved_out... OK" in output


def test_every_row_is_still_there(migrated):
    built, _, after = migrated
    assert after["counts"] == built["counts"]
    empty = {table for table, count in built["counts"].items() if not count}
    assert empty == {"inventory_user_user_permissions"}  # the group grants the permission


def test_a_user_signs_in_with_password_and_their_authenticator(migrated):
    # Password page, code page (each redirects on), then the home page, signed in.
    assert migrated[2]["totp_sign_in"] == [302, 302, 200, 1]


def test_a_backup_code_still_signs_in(migrated):
    assert migrated[2]["backup_sign_in"] == [302, 302, 200, 1]


def test_a_session_verified_before_the_move_is_asked_to_sign_in_again(migrated):
    """django-otp keeps the verified device as "inventory.sealedtotpdevice/N", which no longer
    resolves: the session counts as unverified, and the user signs in again (no error)."""
    status, location = migrated[2]["stale_session"]
    assert (status, location) == (302, "/accounts/login/?next=/")
    assert migrated[2]["device_label"].startswith("accounts.sealedtotpdevice/")


def test_a_sealed_install_code_still_opens(migrated):
    assert migrated[2]["revealed"] == "83FED3407A939723A5C639FF4C1E3F5F"


def test_the_outbox_rows_know_their_audience(migrated):
    built, _, after = migrated
    assert after["audiences"] == ["", f"supplier:{built['supplier']['installer']}"]


def test_a_group_still_grants_its_permission_on_users(migrated):
    assert migrated[2]["helpdesk_may_change_users"] is True


def test_admin_log_entries_follow_the_users_to_accounts(migrated):
    assert migrated[2]["log_entry_type"] == "accounts"
