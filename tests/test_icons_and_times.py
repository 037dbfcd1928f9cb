"""The portal's icon, and the machine-readable times of its pages."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.templatetags.static import static
from django.urls import reverse

from ssi_portal.lib.templatetags.timestamps import isotime

ICON = static("img/favicon.svg")


def test_a_browser_asking_the_site_root_for_its_icon_gets_one(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 200
    assert response["Content-Type"] in ("image/x-icon", "image/vnd.microsoft.icon")
    assert b"".join(response.streaming_content).startswith(b"\x00\x00\x01\x00")  # an ICO file


def test_the_icon_the_pages_link_to_is_served(client):
    response = client.get(ICON)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/svg+xml")


@pytest.mark.django_db
def test_the_portals_pages_link_its_icon(client):
    html = client.get(reverse("login")).content.decode()

    assert f'<link rel="icon" href="{ICON}" type="image/svg+xml">' in html


def test_the_admins_pages_link_the_portals_icon(admin_client):
    html = admin_client.get(reverse("admin:index")).content.decode()

    assert f'<link rel="icon" href="{ICON}" type="image/svg+xml">' in html


def test_a_machine_readable_time_drops_the_microseconds_and_keeps_the_uk_offset():
    summer = dt.datetime(2026, 4, 1, 9, 15, 7, 123456, tzinfo=dt.UTC)

    assert isotime(summer) == "2026-04-01T10:15:07+01:00"


def test_a_machine_readable_time_in_winter_is_at_gmt():
    winter = dt.datetime(2026, 1, 5, 9, 0, 0, 999999, tzinfo=ZoneInfo("Europe/London"))

    assert isotime(winter) == "2026-01-05T09:00:00+00:00"


def test_anything_but_a_time_gives_no_machine_readable_time():
    assert isotime(None) == ""
