"""Every page is well-formed HTML: no parse errors, no duplicate ids, every field labelled."""

from html.parser import HTMLParser

import html5lib
import pytest
from django.urls import reverse

from conftest import INSTALL_CODE, INSTALL_CODE_WITH_CRC


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
    """Per persona: (method, URL, data, the status the page answers with)."""
    detail = reverse("incidents:detail", args=[answered_incident.public_id])
    return {
        "raiser": (
            gaining_user,
            [
                ("get", reverse("incidents:home"), {}, 200),
                ("get", reverse("incidents:raise"), {}, 200),
                ("post", reverse("incidents:raise"), {"device_id": "zz"}, 400),
                ("get", reverse("incidents:raised"), {}, 200),
                ("get", reverse("incidents:raised") + "?status=open&q=00-DB", {}, 200),
                ("get", detail, {}, 200),
                ("post", reverse("incidents:reveal", args=[answered_incident.public_id]), {}, 200),
                (
                    "post",
                    reverse("incidents:code_failed", args=[answered_incident.public_id]),
                    {"reason": ""},
                    400,
                ),
                ("get", "/incidents/00000000-0000-4000-8000-000000000000/", {}, 404),
            ],
        ),
        "installer": (
            installing_user,
            [
                ("get", reverse("incidents:assigned"), {}, 200),
                ("get", detail, {}, 200),
                # Closing is the raiser's: the installer is refused, on a valid page.
                ("post", reverse("incidents:close", args=[answered_incident.public_id]), {}, 403),
            ],
        ),
        "helpdesk": (
            helpdesk_user,
            [("get", reverse("incidents:home"), {}, 200), ("get", detail, {}, 200)],
        ),
    }


@pytest.mark.parametrize("persona", ["raiser", "installer", "helpdesk"])
def test_every_page_a_persona_sees_is_valid_html(client, pages, persona):
    user, requests = pages[persona]
    client.force_login(user)
    for method, url, data, status in requests:
        response = getattr(client, method)(url, data)
        assert response.status_code == status, f"{method.upper()} {url} {data}"
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
    assert response.status_code == 200
    assert_valid_page(html)
    page = html5lib.parse(html, namespaceHTMLElements=False)
    # The whole code, alone in the page's code element in groups of four as printed on the
    # Device, and once more with its CRC.
    grouped = " ".join(INSTALL_CODE[i : i + 4] for i in range(0, len(INSTALL_CODE), 4))
    assert _text_of(page, "revealed-code") == grouped
    assert _text_of(page, "revealed-crc") == f"{grouped} {INSTALL_CODE_WITH_CRC[-4:]}"


def _text_of(page, element_id: str) -> str:
    [element] = [e for e in page.iter() if e.get("id") == element_id]
    return "".join(element.itertext()).strip()
