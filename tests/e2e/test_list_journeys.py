"""Journeys through the lists in a real browser: sorting the worklist by its columns, the lists
on a laptop and on a phone, copying a revealed install code, and a Device's page; each page
checked with axe-core on the way."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from conftest import INSTALL_CODE, INSTALL_CODE_WITH_CRC
from incidents.services import incident_answer, incident_raise
from tests.factories import DeviceFactory
from tests.factories.inventory import DEFAULT_MPXN
from tests.support.browser import assert_accessible, login

pytestmark = pytest.mark.browser

RAISED = dt.datetime(2027, 2, 3, 10, 0, tzinfo=dt.UTC)
LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def worklist(gaining_user, installing_user, installing_supplier):
    """Four requests to the installing Supplier raised on different days, the third answered
    (no deadline running), so that each order puts them differently."""
    made = []
    for day in (2, 0, 3, 1):
        device = DeviceFactory(installing_supplier=installing_supplier)
        made.append(
            incident_raise(
                actor=gaining_user,
                device_id=device.device_id,
                now=RAISED + dt.timedelta(days=day),
            )
        )
    incident_answer(actor=installing_user, incident=made[2], install_code=INSTALL_CODE)
    return made


def references(page) -> list[str]:
    return page.locator("#incident-list tbody tr td:first-child a").all_inner_texts()


def test_the_installer_sorts_its_worklist_by_deadline_and_by_status(live_server, page, worklist):
    login(page, live_server, "installing")
    page.get_by_role("link", name="Assigned to us").click()
    newest_first = [worklist[i].reference for i in (2, 0, 3, 1)]
    expect(page.get_by_role("columnheader", name=re.compile(r"^Raised:"))).to_have_attribute(
        "aria-sort", "descending"
    )
    assert references(page) == newest_first
    assert_accessible(page)

    # Soonest deadline first; the answered request, with no deadline running, last.
    page.get_by_role("link", name=re.compile(r"^Answer due: sort by answer due, soonest")).click()
    due = page.get_by_role("columnheader", name=re.compile(r"^Answer due:"))
    expect(due).to_have_attribute("aria-sort", "ascending")
    expect(page.get_by_role("columnheader", name=re.compile(r"^Raised:"))).not_to_have_attribute(
        "aria-sort", re.compile(".")
    )
    assert references(page) == [worklist[i].reference for i in (1, 3, 0, 2)]
    expect(page.get_by_text(re.compile(r"Page 1, answer due soonest first"))).to_be_visible()
    assert_accessible(page)

    # The same heading again turns the order round, by keyboard this time.
    page.get_by_role("link", name=re.compile(r"^Answer due: sort by answer due, latest")).focus()
    page.keyboard.press("Enter")
    expect(due).to_have_attribute("aria-sort", "descending")
    assert references(page) == [worklist[i].reference for i in (0, 3, 1, 2)]
    assert_accessible(page)

    # By status: the requests awaiting an answer first; the filter keeps the order.
    page.get_by_role("link", name=re.compile(r"^Status: sort by status")).click()
    expect(page.get_by_role("columnheader", name=re.compile(r"^Status:"))).to_have_attribute(
        "aria-sort", "ascending"
    )
    assert references(page)[-1] == worklist[2].reference
    page.get_by_role("combobox", name="Status").select_option("code_provided")
    page.get_by_role("button", name="Filter").click()
    assert references(page) == [worklist[2].reference]
    assert "sort=status" in page.url
    assert_accessible(page)


def test_the_top_bar_stays_on_one_line_on_a_laptop(live_server, page, worklist):
    page.set_viewport_size(LAPTOP)
    login(page, live_server, "installing")
    page.get_by_role("link", name="Assigned to us").click()

    bar = page.get_by_role("navigation", name="Main")
    items = bar.locator(".navbar-brand, .nav-link, button")
    boxes = [items.nth(i).bounding_box() for i in range(items.count())]
    boxes = [box for box in boxes if box]  # the menu button is not shown this wide
    # One row: as tall as a single line of links (it is 80 px and more when it wraps), and no
    # item broken over two lines.
    assert bar.bounding_box()["height"] <= 64, bar.bounding_box()
    assert all(box["height"] < 48 for box in boxes), boxes
    assert page.evaluate("() => document.documentElement.scrollWidth") <= LAPTOP["width"]
    assert_accessible(page)


def test_on_a_phone_the_list_shows_status_and_deadline_without_scrolling_sideways(
    live_server, page, worklist
):
    login(page, live_server, "installing")
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/incidents/assigned/?sort=due")

    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    table = page.locator("#incident-list")
    assert table.bounding_box()["width"] <= PHONE["width"]
    first = page.locator("#incident-list tbody tr").first
    for label, shown in (("Status", "Awaiting installing Supplier"), ("Answer due", "Feb 2027")):
        cell = first.locator(f'td[data-label="{label}"]')
        expect(cell).to_be_visible()
        expect(cell).to_contain_text(shown)
        box = cell.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (label, box)
    # Sorting is still at hand, and the page passes axe at this width too.
    expect(page.get_by_role("link", name=re.compile("^Raised: sort"))).to_be_visible()
    assert_accessible(page)


def test_the_raiser_copies_the_revealed_install_code_with_the_copy_button(
    live_server, page, gaining_user, installing_user, incident
):
    incident_answer(actor=installing_user, incident=incident, install_code=INSTALL_CODE_WITH_CRC)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    # Buttons fade into their focus colours; axe reads a page as it is at one instant, so the
    # page is shown without motion (as to a user who asks for reduced motion).
    page.emulate_media(reduced_motion="reduce")
    login(page, live_server, "gaining")
    page.goto(f"{live_server.url}/incidents/{incident.public_id}/")
    expect(page.get_by_role("button", name="Copy install code")).to_have_count(0)

    page.get_by_role("button", name="Reveal install code").click()
    copy = page.get_by_role("button", name="Copy install code")
    expect(copy).to_be_visible()
    assert_accessible(page)

    # By keyboard: the button takes focus and Enter copies.
    copy.focus()
    page.keyboard.press("Enter")

    status = page.locator("#copy-status")
    expect(status).to_have_text("Copied")
    expect(status).to_have_attribute("role", "status")
    assert page.evaluate("() => navigator.clipboard.readText()") == INSTALL_CODE
    assert_accessible(page)

    # A second copy, by pointer, says so again.
    page.evaluate("() => navigator.clipboard.writeText('')")
    copy.click()
    expect(status).to_have_text("Copied")
    assert page.evaluate("() => navigator.clipboard.readText()") == INSTALL_CODE


def test_a_device_page_shows_its_facts_and_requests_to_those_entitled_only(
    live_server, new_page, gaining_user, installing_user, other_supplier_user, incident
):
    # The raiser follows the Device ID from its request to the Device's page.
    raiser = new_page()
    login(raiser, live_server, "gaining")
    raiser.goto(f"{live_server.url}/incidents/{incident.public_id}/")
    assert_accessible(raiser)
    raiser.get_by_role("link", name=incident.device.device_id).click()
    expect(raiser.get_by_role("heading", level=1)).to_have_text(
        f"Device {incident.device.device_id}"
    )
    facts = raiser.locator("#smi-facts")
    expect(facts).to_contain_text("ESME (electricity meter)")
    expect(facts).to_contain_text("Acme Meters AM-2")
    expect(raiser.locator("#meter-points")).to_have_text(DEFAULT_MPXN)  # registered today
    history = raiser.get_by_role("table")
    expect(history.get_by_role("link", name=incident.reference)).to_be_visible()
    assert_accessible(raiser)
    device_url = raiser.url

    # Back to the request from its history.
    history.get_by_role("link", name=incident.reference).click()
    expect(raiser.get_by_role("heading", level=1)).to_contain_text(incident.reference)

    # The installing Supplier sees it too; a Supplier with no link to it finds nothing.
    installer = new_page()
    login(installer, live_server, "installing")
    installer.goto(device_url)
    expect(installer.locator("#meter-points")).to_have_text(DEFAULT_MPXN)
    assert_accessible(installer)

    outsider = new_page()
    login(outsider, live_server, "other")
    response = outsider.goto(device_url)
    assert response.status == 404
    expect(outsider.get_by_role("heading", level=1)).to_have_text("Page not found")
    expect(outsider.get_by_text(incident.device.device_id)).to_have_count(0)
    assert_accessible(outsider)
