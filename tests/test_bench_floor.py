"""The benchmark's floor and bare view (bench/http_load.py): routed by the benchmark's own URL
conf alone, one indexed lookup behind the sign-in, and the same lookup with no middleware."""

import io
import json
from wsgiref.util import setup_testing_defaults

import pytest
from django.core import signals
from django.db import close_old_connections

from tests.test_production_settings import manage

pytestmark = pytest.mark.django_db

floor_routed = pytest.mark.urls("bench.http_urls")


def test_the_portal_itself_has_no_floor(client, gaining_user, device):
    client.force_login(gaining_user)

    assert client.get("/bench/floor/", {"id": device.device_id}).status_code == 404


@floor_routed
def test_the_floor_is_one_indexed_lookup_behind_the_sign_in(
    client, gaining_user, device, django_assert_num_queries
):
    client.force_login(gaining_user)

    # the session read with its user, the Device
    with django_assert_num_queries(2):
        response = client.get("/bench/floor/", {"id": device.device_id})

    assert response.json() == {
        "found": True,
        "device_type": "ESME",
        "smi_status": device.smi_status,
    }


@floor_routed
def test_the_floor_asks_a_visitor_to_sign_in(client, device):
    response = client.get("/bench/floor/", {"id": device.device_id})

    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@floor_routed
def test_the_benchmarks_server_serves_every_page_of_the_portal_too(client, gaining_user):
    client.force_login(gaining_user)

    assert client.get("/incidents/assigned/").status_code == 200


def test_the_benchmarks_server_starts_from_production_settings_with_the_floor_routed():
    result = manage(
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings; from django.urls import reverse; "
        "print(settings.ROOT_URLCONF, settings.DEBUG, reverse('bench_floor'))",
        DJANGO_SETTINGS_MODULE="bench.http_settings",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["bench.http_urls", "False", "/bench/floor/"]


def wsgi_get(path: str, query: str = "") -> tuple[str, dict[str, str], bytes]:
    """One GET through the benchmark server's WSGI application, as gunicorn would call it."""
    from bench.http_wsgi import application

    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1",
        "wsgi.input": io.BytesIO(),
    }
    setup_testing_defaults(environ)
    answered = {}

    def start_response(status, headers):
        answered["status"], answered["headers"] = status, headers

    # As Django's test client does: the test's database connection outlives the request.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        body = b"".join(application(environ, start_response))
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
    return answered["status"], dict(answered["headers"]), body


@floor_routed
def test_the_bare_view_is_the_floors_lookup_with_no_middleware(device, django_assert_num_queries):
    with django_assert_num_queries(1):  # the Device; no session, no user
        status, headers, body = wsgi_get("/bench/bare/", f"id={device.device_id}")

    assert status == "200 OK"
    assert json.loads(body) == {
        "found": True,
        "device_type": "ESME",
        "smi_status": device.smi_status,
    }
    # None of the portal's middleware ran: no request id, no security headers, no cookie.
    portals = {"X-Request-ID", "Content-Security-Policy", "X-Frame-Options", "Set-Cookie", "Vary"}
    assert not portals & set(headers)


@floor_routed
def test_the_same_server_serves_the_floor_through_the_portals_middleware(device):
    status, headers, _ = wsgi_get("/bench/floor/", f"id={device.device_id}")

    assert status == "302 Found" and "/accounts/login/" in headers["Location"]
    assert {"X-Request-ID", "Content-Security-Policy", "X-Frame-Options"} <= set(headers)


def test_the_portal_itself_has_no_bare_view(client, device):
    assert client.get("/bench/bare/", {"id": device.device_id}).status_code == 404


def test_each_scenario_with_a_target_is_judged_against_it():
    import importlib
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
    try:
        http_load = importlib.import_module("http_load")
    finally:
        sys.path.pop(0)
    target = http_load._target

    assert target("floor", {"rps_share_of_bare": 0.5}) == "met"
    assert target("floor", {"rps_share_of_bare": 0.42}).startswith("MISSED")
    assert target("admin", {"p95_ratio": 2.9}) == "met"
    assert target("admin", {"p95_ratio": 3.1}).startswith("MISSED (p95 <= 3")
    assert target("raise", {"p95_ratio": 2.0, "rps_share_of_bare": 0.2}).startswith("MISSED")
    assert target("raise", {"p95_ratio": 2.0, "rps_share_of_bare": 0.3}) == "met"
    assert target("incident", {"p95_ratio": 2.1}).startswith("MISSED (p95 <= 2")
    assert target("home", {"p95_ratio": 9.0}) is None  # no target of its own
