"""What every operation shares: bearer tokens of live clients only, scopes, a rate per
client, RFC 9457 problems, no caching, and Idempotency-Key on POST."""

import datetime as dt
import threading

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import AccessToken

from accounts.models import SecurityEvent, SecurityEventKind
from api.services import api_client_revoke

from . import probe_urls
from .conftest import ApiCaller, bearer, caller, make_client

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.api.probe_urls")]
PROBLEM = "application/problem+json"


def probe_events():
    return SecurityEvent.objects.filter(kind=SecurityEventKind.EXPORT, detail="probe").count()


def test_the_client_operation_says_who_is_calling(gaining_api):
    response = gaining_api.get("/api/v1/client/")
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Gaining back office" and body["supplier"] == "Gaining Energy"
    assert body["scopes"] == ["answer", "raise", "read", "reveal"]


def test_no_token_is_a_401_problem_with_a_bearer_challenge(db):
    response = Client().get("/api/v1/client/")
    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM
    assert response["WWW-Authenticate"].startswith("Bearer")
    body = response.json()
    assert body["code"] == "not_authenticated" and body["status"] == 401
    assert body["type"] == "urn:ssi-portal:problem:not_authenticated"
    assert body["instance"] == "/api/v1/client/" and body["request_id"]


def test_an_expired_token_is_refused(gaining_api):
    AccessToken.objects.update(expires=timezone.now() - dt.timedelta(seconds=1))
    response = gaining_api.get("/api/v1/client/")
    assert response.status_code == 401
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_a_revoked_clients_token_is_refused(gaining_api):
    client = gaining_api.api_client
    token = gaining_api.token
    api_client_revoke(actor=client.created_by, client_id=client.pk)
    assert ApiCaller(client, "", token).get("/api/v1/client/").status_code == 401


def test_a_token_without_the_operations_scope_is_refused_naming_it(gaining_supplier):
    client, secret = make_client(gaining_supplier, scopes=["read", "raise"])
    limited = ApiCaller(client, secret, bearer(client, secret, scope="read"))
    response = limited.post("/api/v1/probe/", {"value": 1})
    assert response.status_code == 403
    assert response.json()["code"] == "insufficient_scope"
    assert "needs the raise scope" in response.json()["detail"]
    assert probe_events() == 0


def test_a_call_from_outside_the_clients_addresses_is_refused_and_logged(gaining_supplier):
    client, secret = make_client(gaining_supplier, source_addresses="127.0.0.1")
    api = ApiCaller(client, secret, bearer(client, secret))
    response = api.get("/api/v1/client/", headers={"REMOTE_ADDR": "198.51.100.7"})
    assert response.status_code == 403
    event = SecurityEvent.objects.get(kind=SecurityEventKind.API_REFUSED_ADDRESS)
    assert event.username == "Back office (API client)"
    assert "198.51.100.7" in event.detail


def test_calls_over_the_clients_rate_get_429_with_retry_after(gaining_supplier, settings):
    settings.SSI_API_RATE = "3/minute"
    api = caller(gaining_supplier)
    statuses = [api.get("/api/v1/client/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = api.get("/api/v1/client/")
    assert response["Content-Type"] == PROBLEM and int(response["Retry-After"]) > 0
    assert response.json()["code"] == "rate_limited"


def test_the_rate_is_per_client(gaining_supplier, settings):
    settings.SSI_API_RATE = "1/minute"
    first, second = caller(gaining_supplier, name="One"), caller(gaining_supplier, name="Two")
    assert first.get("/api/v1/client/").status_code == 200
    assert second.get("/api/v1/client/").status_code == 200
    assert first.get("/api/v1/client/").status_code == 429


def test_no_answer_of_the_api_is_stored_by_a_cache(gaining_api):
    assert "no-store" in gaining_api.get("/api/v1/client/")["Cache-Control"]


def test_an_unknown_api_path_is_a_404_problem(gaining_api):
    response = gaining_api.get("/api/v1/nothing-here/")
    assert response.status_code == 404 and response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "not_found"


def test_a_malformed_json_body_is_a_400_problem(gaining_api):
    response = gaining_api.http.post(
        "/api/v1/probe/",
        "{not json",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {gaining_api.token}",
    )
    assert response.status_code == 400 and response.json()["code"] == "parse_error"


# --- Idempotency-Key -----------------------------------------------------------------------------


def test_a_retry_with_the_same_key_and_body_gets_the_first_answer_without_acting(gaining_api):
    key = {"HTTP_IDEMPOTENCY_KEY": "key-1"}
    first = gaining_api.post("/api/v1/probe/", {"value": 7}, headers=key)
    again = gaining_api.post("/api/v1/probe/", {"value": 7}, headers=key)
    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    assert probe_events() == 1


def test_the_same_key_with_another_body_is_refused(gaining_api):
    key = {"HTTP_IDEMPOTENCY_KEY": "key-2"}
    gaining_api.post("/api/v1/probe/", {"value": 1}, headers=key)
    response = gaining_api.post("/api/v1/probe/", {"value": 2}, headers=key)
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert probe_events() == 1


def test_a_refusal_is_kept_too(gaining_api):
    key = {"HTTP_IDEMPOTENCY_KEY": "key-3"}
    first = gaining_api.post("/api/v1/probe/", {"refuse": True}, headers=key)
    again = gaining_api.post("/api/v1/probe/", {"refuse": True}, headers=key)
    assert first.status_code == again.status_code == 409
    assert again.content == first.content and again["Content-Type"] == PROBLEM


def test_a_server_failure_is_not_kept_so_the_retry_acts(gaining_api):
    gaining_api.http.raise_request_exception = False
    key = {"HTTP_IDEMPOTENCY_KEY": "key-4"}
    failed = gaining_api.post("/api/v1/probe/", {"fail": True}, headers=key)
    assert failed.status_code == 500 and failed.json()["code"] == "server_error"
    assert gaining_api.post("/api/v1/probe/", {"value": 1}, headers=key).status_code == 201


def test_keys_are_each_clients_own(gaining_supplier):
    first, second = caller(gaining_supplier, name="One"), caller(gaining_supplier, name="Two")
    key = {"HTTP_IDEMPOTENCY_KEY": "shared"}
    first.post("/api/v1/probe/", {"value": 1}, headers=key)
    assert "Idempotent-Replayed" not in second.post("/api/v1/probe/", {"value": 1}, headers=key)
    assert probe_events() == 2


def test_a_key_is_kept_24_hours(gaining_api, time_machine):
    key = {"HTTP_IDEMPOTENCY_KEY": "key-5"}
    time_machine.move_to(timezone.now(), tick=False)
    gaining_api.renew().post("/api/v1/probe/", {"value": 1}, headers=key)
    time_machine.shift(dt.timedelta(hours=23))
    replayed = gaining_api.renew().post("/api/v1/probe/", {"value": 1}, headers=key)
    assert replayed["Idempotent-Replayed"] == "true"
    time_machine.shift(dt.timedelta(hours=2))
    response = gaining_api.renew().post("/api/v1/probe/", {"value": 1}, headers=key)
    assert not response.has_header("Idempotent-Replayed")
    assert probe_events() == 2


def test_a_malformed_key_is_refused(gaining_api):
    response = gaining_api.post("/api/v1/probe/", {}, headers={"HTTP_IDEMPOTENCY_KEY": "x" * 256})
    assert response.status_code == 400 and response.json()["code"] == "bad_idempotency_key"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_with_one_key_act_once_and_answer_alike(gaining_supplier):
    assert connection.vendor == "postgresql"
    api = caller(gaining_supplier)
    probe_urls.PAUSE["seconds"] = 0.5
    answers = []

    def call():
        try:
            headers = {"HTTP_IDEMPOTENCY_KEY": "same"}
            answers.append(api.post("/api/v1/probe/", {"value": 9}, headers=headers))
        finally:
            connection.close()

    try:
        threads = [threading.Thread(target=call) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        probe_urls.PAUSE["seconds"] = 0.0
    assert [a.status_code for a in answers] == [201] * 4
    assert len({a.content for a in answers}) == 1
    assert probe_events() == 1


def test_the_purge_deletes_keys_past_24_hours_and_expired_tokens(gaining_api, time_machine):
    from api.models import IdempotencyKey
    from api.tasks import purge_api_leftovers

    time_machine.move_to(timezone.now(), tick=False)
    gaining_api.post("/api/v1/probe/", {"value": 1}, headers={"HTTP_IDEMPOTENCY_KEY": "old"})
    time_machine.shift(dt.timedelta(hours=23))
    gaining_api.renew().post(
        "/api/v1/probe/", {"value": 1}, headers={"HTTP_IDEMPOTENCY_KEY": "new"}
    )
    time_machine.shift(dt.timedelta(hours=1, minutes=1))
    assert purge_api_leftovers() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]
    assert not AccessToken.objects.exists()  # both tokens expired (10 minutes each)
