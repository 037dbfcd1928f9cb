"""A Request for Install Code from first login to closing, through a real browser, a real Celery
worker on Redis and a real SMTP server."""

import re

import pytest
from playwright.sync_api import expect

from conftest import INSTALL_CODE, INSTALL_CODE_WITH_CRC
from incidents.models import Incident
from notifications.models import Notification
from tests.support.browser import assert_accessible, login
from tests.support.mail import leaks_install_code
from tests.support.waiting import wait_until

# What a person types: the Device ID as printed on a label, lower case and without separators.
DEVICE_ID_AS_TYPED = "00db1234567890a0"
DEVICE_ID = "00-DB-12-34-56-78-90-A0"
# The commonest slip with a printed CRC: its two bytes typed high byte first.
CODE_WITH_WRONG_CRC = INSTALL_CODE + "B5C3"
CODE_AS_SHOWN = "83FE D340 7A93 9723 A5C6 39B2 6916 D505"
CRC_AS_SHOWN = "C3B5"


@pytest.mark.browser
@pytest.mark.redis
def test_gaining_supplier_gets_the_install_code_and_closes_the_request(
    live_server,
    celery_worker,
    smtp_server,
    new_page,
    gaining_user,
    installing_user,
    other_supplier_user,
    device,
):
    # Gaining Energy's user logs in and raises a request for the Device it now supplies.
    raiser = new_page()
    raiser.goto(f"{live_server.url}/accounts/login/")
    assert_accessible(raiser)
    login(raiser, live_server, "gaining")
    assert_accessible(raiser)
    raiser.get_by_role("link", name="Raise a Request for Install Code").click()
    assert_accessible(raiser)
    raiser.get_by_role("textbox", name="Device ID").fill(DEVICE_ID_AS_TYPED)
    raiser.get_by_role("button", name="Raise request").click()

    expect(raiser.get_by_role("status")).to_have_text(
        re.compile(r"INC\d{7} raised and assigned to Installing Power, who has been emailed\.")
    )
    heading = raiser.get_by_role("heading", level=1)
    expect(heading).to_have_text(re.compile(r"^INC\d{7} · Request for Install Code$"))
    reference = heading.inner_text().split(" ")[0]
    incident_url = raiser.url
    expect(raiser.locator("#device-id")).to_have_text(DEVICE_ID)
    expect(raiser.locator("#assigned-to")).to_have_text("Installing Power")
    assert_accessible(raiser)

    # Installing Power's user finds it on the worklist and opens it.
    installer = new_page()
    login(installer, live_server, "installing")
    installer.get_by_role("link", name="Assigned to us").click()
    expect(installer.get_by_role("row", name=re.compile(reference))).to_contain_text(DEVICE_ID)
    assert_accessible(installer)
    installer.get_by_role("link", name=reference).click()
    expect(installer).to_have_url(incident_url)

    # A typing slip in the CRC is caught: the summary at the top takes focus and links to the field.
    code_field = installer.get_by_role("textbox", name="Install code")
    code_field.fill(CODE_WITH_WRONG_CRC)
    installer.get_by_role("button", name="Provide install code").click()
    crc_error = "The last 4 digits (B5C3) are not the CRC of the first 32 (expected C3B5)"
    summary = installer.get_by_role("alert", name="There is a problem")
    expect(summary).to_be_focused()
    expect(installer.locator("#main > :first-child")).to_have_attribute("data-error-summary", "")
    expect(installer).to_have_title(re.compile(r"^Error: "))
    summary_link = summary.get_by_role("link", name=re.compile(re.escape(crc_error)))
    expect(summary_link).to_have_attribute("href", "#id_install_code")
    expect(code_field).to_have_accessible_description(re.compile(re.escape(crc_error)))
    assert_accessible(installer)
    summary_link.click()
    expect(code_field).to_be_focused()

    # The right code, as printed on the label with its CRC.
    code_field.fill(INSTALL_CODE_WITH_CRC)
    installer.get_by_role("button", name="Provide install code").click()
    expect(installer.get_by_role("status")).to_have_text(
        f"Install code provided for {reference}. The raising Supplier has been emailed."
    )
    expect(installer.get_by_role("button", name="Close request")).to_have_count(0)

    # The raiser sees that a code is there, but not the code, until asking to reveal it.
    raiser.goto(incident_url)
    expect(raiser.get_by_role("button", name="Reveal install code")).to_be_visible()
    assert not leaks_install_code(raiser.content(), INSTALL_CODE)
    assert_accessible(raiser)
    raiser.get_by_role("button", name="Reveal install code").click()
    expect(raiser.locator("#revealed-code")).to_have_text(CODE_AS_SHOWN)
    expect(raiser.locator("#revealed-crc")).to_have_text(f"{CODE_AS_SHOWN} {CRC_AS_SHOWN}")
    assert_accessible(raiser)

    # It worked: the raiser closes the request.
    raiser.get_by_role("radio", name="The install code worked").check()
    raiser.get_by_role("button", name="Close request").click()
    expect(raiser.get_by_role("status")).to_have_text(f"{reference} closed.")

    # A third Supplier cannot even tell that the incident exists.
    outsider = new_page()
    login(outsider, live_server, "other")
    response = outsider.goto(incident_url)
    assert response.status == 404
    expect(outsider.get_by_role("heading", level=1)).to_have_text("Page not found")
    expect(outsider.get_by_text(reference)).to_have_count(0)

    # The emails went out through the worker and the SMTP server, one per recipient.
    installing_contacts = ["installs@installing.example", "ops@installing.example"]
    expected = sorted(
        [
            (to, f"[SSI] {reference}: Request for Install Code assigned to you")
            for to in installing_contacts
        ]
        + [("raiser@gaining.example", f"[SSI] {reference}: install code provided")]
        + [(to, f"[SSI] {reference}: closed by Gaining Energy") for to in installing_contacts]
    )

    def received():
        return sorted((to, m.subject) for m in smtp_server.messages for to in m.rcpt_tos)

    wait_until(
        lambda: received() == expected or len(received()) > len(expected),
        what="the assigned, code provided and closed emails",
    )
    assert received() == expected
    for message in smtp_server.messages:
        assert incident_url in message.text, message.subject
        assert f'href="{incident_url}"' in message.html, message.subject
        assert not leaks_install_code(message.everything_a_reader_sees(), INSTALL_CODE_WITH_CRC), (
            f"{message.subject!r} gives the install code away"
        )
    statuses = wait_until(
        lambda: (
            (s := list(Notification.objects.values_list("status", flat=True)))
            and set(s) == {"sent"}
            and s
        ),
        what="every notification marked sent",
    )
    assert len(statuses) == len(expected)


@pytest.mark.browser
def test_a_device_not_in_the_smi_is_refused_with_the_reason_using_only_the_keyboard(
    live_server,
    page,
    gaining_user,
):
    login(page, live_server, "gaining")
    page.goto(f"{live_server.url}/incidents/new/")

    # From the skip link straight to the form, then type and submit with Enter.
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    device_field = page.get_by_role("textbox", name="Device ID")
    expect(device_field).to_be_focused()
    page.keyboard.type("00:db:12:34:56:78:90:ff")
    page.keyboard.press("Enter")

    refusal = "Device 00-DB-12-34-56-78-90-FF is not in the Smart Metering Inventory."
    summary = page.get_by_role("alert", name="There is a problem")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_text(f"Device ID: {refusal}")
    expect(summary.get_by_role("link")).to_have_attribute("href", "#id_device_id")
    expect(page.locator("#id_device_id_error")).to_have_text(refusal)
    expect(device_field).to_have_accessible_description(re.compile(re.escape(refusal)))
    expect(device_field).to_have_value("00:db:12:34:56:78:90:ff")
    assert_accessible(page)
    assert not Incident.objects.exists()


@pytest.mark.browser
def test_a_supplier_not_registered_for_the_meter_point_is_told_why_and_nothing_is_raised(
    live_server, page, gaining_supplier, other_supplier_user, device
):
    login(page, live_server, "other")
    page.goto(f"{live_server.url}/incidents/new/")
    expect(page.get_by_text("Only the Supplier that the registration data shows")).to_be_visible()

    page.get_by_role("textbox", name="Device ID").fill(DEVICE_ID)
    page.get_by_role("button", name="Raise request").click()

    summary = page.get_by_role("alert", name="There is a problem")
    expect(summary).to_be_focused()
    link = summary.get_by_role("link")
    expect(link).to_have_text(
        re.compile(r"Third Party Gas is not the registered Supplier for the meter point of Device")
    )
    expect(link).to_have_attribute("href", "#id_device_id")
    assert "Gaining" not in page.content()
    assert "1312345678907" not in page.content()
    assert_accessible(page)
    assert not Incident.objects.exists()


@pytest.mark.browser
def test_a_raise_over_the_rate_limit_says_when_the_next_one_may_be_raised(
    live_server, page, settings, gaining_user, device, installing_supplier
):
    from tests.factories import DeviceFactory

    settings.SSI_RAISE_LIMIT_PER_USER = "1/hour"
    second = DeviceFactory(installing_supplier=installing_supplier)
    login(page, live_server, "gaining")
    for device_id in (DEVICE_ID, second.device_id):
        page.goto(f"{live_server.url}/incidents/new/")
        page.get_by_role("textbox", name="Device ID").fill(device_id)
        page.get_by_role("button", name="Raise request").click()

    summary = page.get_by_role("alert", name="There is a problem")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text(
        re.compile(r"You have raised 1 request in the last hour.*after \d\d:\d\d")
    )
    assert_accessible(page)
    assert Incident.objects.count() == 1
