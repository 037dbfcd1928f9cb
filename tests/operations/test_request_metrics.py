"""The request middleware: each answer counted and timed by view name, method and status
class, never by path."""

import pytest
from prometheus_client import REGISTRY, generate_latest

pytestmark = pytest.mark.django_db


def count(view: str, method: str = "GET", status_class: str = "2xx") -> float:
    labels = {"view": view, "method": method, "status_class": status_class}
    return REGISTRY.get_sample_value("ssi_http_requests_total", labels) or 0.0


def timed(view: str, method: str = "GET", status_class: str = "2xx") -> float:
    labels = {"view": view, "method": method, "status_class": status_class}
    return REGISTRY.get_sample_value("ssi_http_request_duration_seconds_count", labels) or 0.0


def test_a_view_is_counted_and_timed_by_its_name_method_and_status_class(client):
    before = count("healthz"), timed("healthz")

    client.get("/healthz")
    client.get("/healthz")

    assert (count("healthz"), timed("healthz")) == (before[0] + 2, before[1] + 2)


def test_a_view_inside_a_namespace_is_counted_by_its_full_name(client, gaining_user, incident):
    client.force_login(gaining_user)
    before = count("incidents:detail")

    client.get(f"/incidents/{incident.public_id}/")

    assert count("incidents:detail") == before + 1


def test_a_refusal_is_counted_in_its_own_status_class(client, gaining_user):
    client.force_login(gaining_user)
    before = count("operations:home", status_class="4xx")

    assert client.get("/operations/").status_code == 403

    assert count("operations:home", status_class="4xx") == before + 1


def test_a_redirect_and_a_post_are_counted_apart(client):
    before = count("operations:home", status_class="3xx"), count("logout", "POST", "3xx")

    client.get("/operations/")  # anonymous: to the login page
    client.post("/accounts/logout/")

    assert count("operations:home", status_class="3xx") == before[0] + 1
    assert count("logout", "POST", "3xx") == before[1] + 1


def test_an_address_no_url_matches_is_counted_as_unrouted_not_by_its_path(client):
    before = count("unrouted", status_class="4xx")

    client.get("/no-such-page-4711/")

    assert count("unrouted", status_class="4xx") == before + 1
    assert "no-such-page-4711" not in generate_latest(REGISTRY).decode()


def test_static_files_are_counted_as_static(client):
    before = count("static")

    assert client.get("/static/css/portal.css").status_code == 200

    assert count("static") == before + 1


def test_an_unusual_method_is_counted_as_other(client):
    before = count("healthz", "other", "4xx")

    client.generic("BREW", "/healthz")

    assert count("healthz", "other", "4xx") == before + 1


def test_no_request_is_left_in_progress(client):
    client.get("/healthz")

    assert REGISTRY.get_sample_value("ssi_http_requests_in_progress") == 0
