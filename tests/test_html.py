"""Every page is well-formed HTML: no parse errors, no duplicate ids, every field labelled."""

import re
from html.parser import HTMLParser

import html5lib
import pytest
from django.urls import reverse

from conftest import INSTALL_CODE


class _Ids(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: list[str] = []
        self.fields: list[dict] = []
        self.label_for: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.append(attrs["id"])
        if tag == "label" and attrs.get("for"):
            self.label_for.add(attrs["for"])
        if tag in ("input", "select", "textarea") and attrs.get("type") not in (
            "hidden",
            "submit",
        ):
            self.fields.append(attrs)


def assert_valid_page(html: str) -> None:
    html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(html)
    found = _Ids()
    found.feed(html)
    duplicates = {i for i in found.ids if found.ids.count(i) > 1}
    assert not duplicates, f"duplicate ids: {duplicates}"
    for field in found.fields:
        assert field.get("id") in found.label_for or field.get("aria-label"), (
            f"field without a label: {field}"
        )


@pytest.fixture
def pages(client, gaining_user, installing_user, helpdesk_user, answered_incident):
    detail = reverse("incidents:detail", args=[answered_incident.public_id])
    return {
        "raiser": (
            gaining_user,
            [
                ("get", reverse("incidents:home"), {}),
                ("get", reverse("incidents:raise"), {}),
                ("post", reverse("incidents:raise"), {"device_id": "zz"}),
                ("get", reverse("incidents:raised"), {}),
                ("get", reverse("incidents:raised") + "?status=open&q=00-DB", {}),
                ("get", detail, {}),
                ("post", reverse("incidents:reveal", args=[answered_incident.public_id]), {}),
                (
                    "post",
                    reverse("incidents:code_failed", args=[answered_incident.public_id]),
                    {"reason": ""},
                ),
                ("get", "/incidents/00000000-0000-4000-8000-000000000000/", {}),
            ],
        ),
        "installer": (
            installing_user,
            [
                ("get", reverse("incidents:assigned"), {}),
                ("get", detail, {}),
                ("post", reverse("incidents:close", args=[answered_incident.public_id]), {}),
            ],
        ),
        "helpdesk": (helpdesk_user, [("get", reverse("incidents:home"), {}), ("get", detail, {})]),
    }


@pytest.mark.parametrize("persona", ["raiser", "installer", "helpdesk"])
def test_every_page_a_persona_sees_is_valid_html(client, pages, persona):
    user, requests = pages[persona]
    client.force_login(user)
    for method, url, data in requests:
        response = getattr(client, method)(url, data)
        assert_valid_page(response.content.decode())


def test_the_login_page_is_valid_html_with_and_without_errors(client, db):
    assert_valid_page(client.get(reverse("login")).content.decode())
    response = client.post(reverse("login"), {"username": "nobody", "password": "wrong"})
    html = response.content.decode()
    assert_valid_page(html)
    assert "There is a problem" in html


def test_a_revealed_code_page_is_valid_html(client, gaining_user, answered_incident):
    client.force_login(gaining_user)
    response = client.post(reverse("incidents:reveal", args=[answered_incident.public_id]))
    html = response.content.decode()
    assert_valid_page(html)
    assert re.search(INSTALL_CODE[:4], html)
