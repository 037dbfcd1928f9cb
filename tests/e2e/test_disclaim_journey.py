"""The installing Supplier says it did not install a Device, through a real browser: it is
asked to confirm, lands on the request (which it keeps in sight, read only), finds it under
"Disclaimed by us", and a second tab that tries again is told what happened."""

import re

import pytest
from playwright.sync_api import expect

from incidents.models import IncidentStatus
from tests.support.browser import assert_accessible, login


@pytest.mark.browser
def test_the_installer_confirms_it_did_not_install_the_device_and_keeps_the_request_in_sight(
    live_server, new_page, installing_user, incident
):
    reference = incident.reference
    installer = new_page()
    login(installer, live_server, "installing")
    installer.get_by_role("link", name="Assigned to us").click()
    installer.get_by_role("link", name=reference).click()
    incident_url = installer.url
    assert_accessible(installer)

    # A second tab on the same request, as a colleague's or a forgotten one would be.
    second_tab = installer.context.new_page()
    second_tab.goto(incident_url)

    # The answer is consequential: the portal first says what will happen.
    installer.get_by_label("Anything the helpdesk should know (optional)").fill(
        "No visit on our records."
    )
    installer.get_by_role("button", name="We did not install this Device").click()
    expect(installer.get_by_role("heading", level=1)).to_have_text(
        "Confirm: we did not install this Device"
    )
    expect(installer.get_by_text(f"{reference} goes to the DCC helpdesk")).to_be_visible()
    expect(installer.get_by_label("Anything the helpdesk should know (optional)")).to_have_value(
        "No visit on our records."
    )
    expect(
        installer.get_by_role("link", name=f"Cancel and go back to {reference}")
    ).to_have_attribute(
        "href", re.compile(re.escape(incident_url.removeprefix(live_server.url)) + "$")
    )
    assert_accessible(installer)
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.AWAITING_INSTALLER

    # Confirmed from the keyboard, it lands on the request with what happened.
    confirm = installer.get_by_role("button", name="Confirm: we did not install this Device")
    confirm.focus()
    installer.keyboard.press("Enter")
    expect(installer).to_have_url(incident_url)
    expect(installer.get_by_role("status")).to_have_text(
        f"{reference} sent to the DCC helpdesk to find the installing Supplier. It has left "
        "your worklist; you can still read it under Disclaimed by us."
    )
    expect(installer.locator("#disclaimed")).to_contain_text(
        "Installing Power answered that it did not install this Device."
    )
    expect(installer.get_by_role("button", name="Provide install code")).to_have_count(0)
    expect(installer.get_by_role("button", name="Add note")).to_have_count(0)
    expect(installer.locator("#timeline")).to_contain_text("No visit on our records.")
    assert_accessible(installer)

    # It has left the worklist, for the list of requests disclaimed by us.
    installer.get_by_role("link", name="Assigned to us").click()
    expect(installer.get_by_role("link", name=reference)).to_have_count(0)
    installer.get_by_role("link", name="Disclaimed by us").click()
    expect(installer.get_by_role("heading", level=1)).to_have_text(
        "Requests disclaimed by Installing Power"
    )
    expect(installer.get_by_role("row", name=re.compile(reference))).to_contain_text(
        "Gaining Energy"
    )
    assert_accessible(installer)
    installer.get_by_role("link", name=reference).click()
    expect(installer).to_have_url(incident_url)

    # The forgotten tab tries the same answer: it is told what happened instead.
    second_tab.get_by_role("button", name="We did not install this Device").click()
    expect(second_tab.get_by_role("status")).to_have_text(
        re.compile(
            rf"^\s*{reference} was already answered “not installed by us” and sent to the DCC "
            r"helpdesk at \d\d:\d\d( on \w+ \d+ \w+)? by Test User\d+ \(Installing Power\)\. "
            r"Nothing was changed\.\s*$"
        )
    )
    assert_accessible(second_tab)
    incident.refresh_from_db()
    assert incident.events.filter(kind="not_installed").count() == 1
