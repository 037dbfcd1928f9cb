"""An administrator connects a back office to the API through a real browser: creates an API
client, copies its secret from the page that shows it once, and the back office gets a token
with it; then the administrator rotates the secret, and the old one is refused."""

import base64
import json
import re
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

import pytest
from playwright.sync_api import expect

from tests.support.browser import assert_accessible, login


def token_answer(live_server, client_id: str, secret: str) -> tuple[int, dict]:
    """What the back office gets from the token endpoint for its client credentials."""
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    # The live server's own http:// URL: no other scheme reaches urlopen.
    request = Request(  # noqa: S310
        f"{live_server.url}/api/v1/oauth/token/",
        data=urlencode({"grant_type": "client_credentials"}).encode(),
        headers={
            "Authorization": f"Basic {basic}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    try:
        with urlopen(request, timeout=10) as answer:  # noqa: S310
            return answer.status, json.loads(answer.read())
    except HTTPError as refused:
        return refused.code, json.loads(refused.read())


def copy_field(page, button: str) -> str:
    """Press a copy button on the page and read back what reached the clipboard."""
    page.evaluate("() => navigator.clipboard.writeText('')")
    page.get_by_role("button", name=button).click()
    return page.evaluate("() => navigator.clipboard.readText()")


@pytest.mark.browser
def test_an_administrator_connects_a_back_office_and_rotates_its_secret(
    live_server, page, supplier_admin
):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    # Buttons fade into their focus colours; axe reads a page as it is at one instant.
    page.emulate_media(reduced_motion="reduce")

    # Gaining Energy's administrator finds the API clients under the organisation's menu.
    login(page, live_server, "gainadmin")
    page.get_by_role("button", name="Our organisation").click()
    page.get_by_role("link", name="API clients").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("API clients of Gaining Energy")
    expect(page.get_by_text("No active API client yet.")).to_be_visible()
    assert_accessible(page)

    # She sends the form empty by mistake: the summary takes focus and names the fields.
    page.get_by_role("link", name="Create an API client").click()
    assert_accessible(page)
    page.get_by_role("button", name="Create client").click()
    summary = page.get_by_role("alert", name="There is a problem")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link", name=re.compile("Name: Enter a name"))).to_have_attribute(
        "href", "#id_name"
    )
    assert_accessible(page)
    summary.get_by_role("link", name=re.compile("Name: Enter a name")).click()
    expect(page.get_by_role("textbox", name="Name")).to_be_focused()

    # A client for the billing system, which reads requests and reveals codes, from this host.
    page.get_by_role("textbox", name="Name").fill("Billing back office")
    page.get_by_role("checkbox", name="Read requests, bulk jobs and compliance figures").check()
    page.get_by_role("checkbox", name="Reveal install codes").check()
    page.get_by_role("textbox", name="Source addresses (optional)").fill("127.0.0.0/8")
    page.get_by_role("button", name="Create client").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Client id and secret of Billing back office"
    )
    expect(page.get_by_text("This is the only time the secret is shown.")).to_be_visible()
    expect(page.get_by_role("textbox", name="Secret")).not_to_be_editable()
    assert_accessible(page)
    client_id = copy_field(page, "Copy client id")
    secret = copy_field(page, "Copy secret")
    expect(page.locator("#client-secret-copied")).to_have_text("Copied")
    assert client_id == page.get_by_role("textbox", name="Client id").input_value()
    assert secret == page.get_by_role("textbox", name="Secret").input_value()

    # The back office gets a ten-minute token with exactly the scopes it was given.
    status, body = token_answer(live_server, client_id, secret)
    assert status == 200, body
    assert body["token_type"] == "Bearer" and body["expires_in"] == 600
    assert set(body["scope"].split()) == {"read", "reveal"}

    # Past that page the secret is nowhere to be seen again.
    page.get_by_role("link", name="I have stored the secret: continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("API client Billing back office")
    assert secret not in page.content()
    assert_accessible(page)

    # The secret may have leaked: she rotates it, after a page that says what that does.
    page.get_by_role("link", name="Rotate the secret of Billing back office").click()
    expect(page.get_by_text("The old secret stops working at once")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Rotate the secret").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New secret of Billing back office")
    expect(page.locator("#rotated-note")).to_contain_text("The old secret no longer works")
    assert_accessible(page)
    new_secret = copy_field(page, "Copy secret")
    assert new_secret and new_secret != secret

    # The old secret is refused; the new one works.
    status, body = token_answer(live_server, client_id, secret)
    assert status == 401 and body["error"] == "invalid_client"
    status, body = token_answer(live_server, client_id, new_secret)
    assert status == 200, body

    # The list shows the client, its scopes in words and when its secret was rotated.
    page.get_by_role("button", name="Our organisation").click()
    page.get_by_role("link", name="API clients").click()
    row = page.get_by_role("row", name=re.compile("Billing back office"))
    expect(row).to_contain_text("Reveal install codes")
    expect(row).to_contain_text("127.0.0.0/8")
    expect(row).to_contain_text("Active")
    assert new_secret not in page.content()
    assert_accessible(page)
