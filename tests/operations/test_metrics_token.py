"""/metrics: a bearer token where one is set (always in production), open only where the
settings say so, and no session either way."""

import hmac

import pytest

pytestmark = pytest.mark.django_db

TOKEN = "a-long-random-token-for-the-scraper-0123456789"


@pytest.fixture
def token(settings):
    settings.SSI_METRICS_TOKEN = TOKEN
    settings.SSI_METRICS_OPEN = False
    return TOKEN


def test_the_test_settings_serve_metrics_without_a_token(scrape):
    assert scrape()["ssi_state_up"] == 1


def test_with_a_token_set_a_scrape_without_one_is_refused(client, token):
    response = client.get("/metrics")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert b"ssi_" not in response.content


def test_with_a_token_set_a_scrape_with_a_wrong_token_is_refused(client, token):
    response = client.get("/metrics", headers={"Authorization": f"Bearer {token}x"})

    assert response.status_code == 401
    assert b"ssi_" not in response.content


def test_the_token_counts_only_as_a_bearer_token(client, token):
    response = client.get("/metrics", headers={"Authorization": f"Basic {token}"})

    assert response.status_code == 401


def test_with_the_right_token_the_metrics_are_served(scrape, token):
    assert scrape(Authorization=f"Bearer {token}")["ssi_state_up"] == 1


def test_the_token_is_compared_in_constant_time(client, token, monkeypatch):
    compared = []
    original = hmac.compare_digest

    def compare_digest(given, expected):
        compared.append((given, expected))
        return original(given, expected)

    monkeypatch.setattr("operations.views.hmac.compare_digest", compare_digest)
    client.get("/metrics", headers={"Authorization": "Bearer nearly"})

    assert compared == [(b"nearly", token.encode())]


def test_without_a_token_metrics_are_not_served_unless_the_settings_open_them(client, settings):
    settings.SSI_METRICS_TOKEN = ""
    settings.SSI_METRICS_OPEN = False

    assert client.get("/metrics").status_code == 404


def test_a_signed_in_user_gets_no_more_than_anyone_with_a_token_set(client, token, helpdesk_user):
    client.force_login(helpdesk_user)

    assert client.get("/metrics").status_code == 401


def test_a_scrape_makes_no_session(client, token):
    response = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 200
    assert "sessionid" not in response.cookies
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_metrics_answer_only_get(client):
    assert client.post("/metrics").status_code == 405
