"""The benchmark's floor (bench/http_load.py): routed by the benchmark's own URL conf alone,
one indexed lookup behind the sign-in."""

import pytest

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

    # session, user, the Device
    with django_assert_num_queries(3):
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
