"""/healthz and /readyz: for load balancers and orchestrators, no login, nothing revealed."""

import pytest
from django.db import connection

from conftest import REDIS_URL
from ssi_portal.celery import app

pytestmark = pytest.mark.django_db


def test_healthz_answers_without_touching_the_database_or_a_session(
    client, django_assert_num_queries
):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "sessionid" not in response.cookies
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_readyz_says_ready_when_every_check_passes(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "checks": {
            "database": "ok",
            "migrations": "ok",
            "broker": "in-process",  # the test settings run tasks in-process
            "install_code_keys": "ok",
        },
    }


def test_readyz_is_not_ready_with_a_migration_unapplied(client):
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM django_migrations WHERE app = 'incidents' AND name = "
            "'0011_list_sort_indexes'"
        )
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "not ready"
    assert response.json()["checks"]["migrations"] == "failed"
    assert response.json()["checks"]["database"] == "ok"


def test_readyz_is_not_ready_without_the_install_code_keys(client, settings):
    settings.INSTALL_CODE_KEYS = []
    settings.INSTALL_CODE_KEYS_FILE = "/nonexistent/install-code-keys"
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["install_code_keys"] == "failed"
    assert "nonexistent" not in response.content.decode()


def test_readyz_is_not_ready_when_the_broker_refuses_and_does_not_say_where_it_is(
    client, monkeypatch, caplog
):
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    monkeypatch.setitem(app.conf, "broker_url", "redis://:s3cret@127.0.0.1:1/0")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"] == "failed"
    body = response.content.decode()
    assert "127.0.0.1" not in body and "s3cret" not in body
    assert "s3cret" not in caplog.text
    assert "Readiness check broker failed" in caplog.text


@pytest.mark.redis
def test_readyz_connects_to_a_real_broker(client, monkeypatch):
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    monkeypatch.setitem(app.conf, "broker_url", REDIS_URL)
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"]["broker"] == "ok"
