"""The Device page: its SMI facts and the history of its requests, for the Suppliers entitled
to it (it installed the Device, is registered for its meter point today, or has a request for
it); the meter point only to the installing and the registered Supplier; to anyone else the
same 404 as a Device that does not exist."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from conftest import INSTALL_CODE
from incidents.services import incident_answer, incident_close, incident_raise
from inventory.models import DeviceType, Registration
from tests.factories import DeviceFactory, SupplierFactory, UserFactory
from tests.factories.inventory import DEFAULT_MPXN
from tests.security.test_url_matrix import without_csrf
from tests.test_html import assert_valid_page

pytestmark = pytest.mark.django_db

DEVICE_ID = "00-DB-12-34-56-78-90-A0"
PAGE = reverse("incidents:device", kwargs={"device_id": DEVICE_ID})
REFERENCE = re.compile(r">(INC\d{7})</a>")


def _page(client, user, url=PAGE):
    client.force_login(user)
    return client.get(url)


@pytest.fixture
def registration_moved(gaining_supplier, other_supplier):
    """From yesterday the third Supplier is registered for the meter point, not the gaining
    one."""
    return Registration.objects.create(
        mpxn=DEFAULT_MPXN,
        supplier=other_supplier,
        effective_from=dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1),
    )


# --- Who may open it ----------------------------------------------------------------------------


def test_the_installing_supplier_sees_the_smi_facts_and_the_meter_point(
    client, installing_user, device
):
    page = _page(client, installing_user)

    assert page.status_code == 200
    text = page.text
    assert "ESME (electricity meter)" in text
    assert "Acme Meters AM-2" in text
    assert f'id="meter-points">{DEFAULT_MPXN}</dd>' in text


def test_the_supplier_registered_today_sees_it_without_any_request(client, gaining_user, device):
    page = _page(client, gaining_user)

    assert page.status_code == 200
    assert f'id="meter-points">{DEFAULT_MPXN}</dd>' in page.text
    assert "Your organisation has no request for this Device that it may see." in page.text


def test_a_supplier_with_a_request_but_no_longer_registered_sees_it_without_the_meter_point(
    client, gaining_user, incident, registration_moved
):
    page = _page(client, gaining_user)

    assert page.status_code == 200
    assert DEFAULT_MPXN not in page.text
    assert 'id="meter-points-withheld"' in page.text
    assert REFERENCE.findall(page.text) == [incident.reference]


def test_a_supplier_with_no_link_to_the_device_finds_nothing(client, other_supplier_user, device):
    foreign = _page(client, other_supplier_user)
    missing = client.get(reverse("incidents:device", args=["00-DB-FF-00-00-00-00-01"]))

    assert foreign.status_code == missing.status_code == 404
    assert without_csrf(foreign.content) == without_csrf(missing.content)


def test_the_helpdesk_sees_every_device(client, helpdesk_user, incident):
    page = _page(client, helpdesk_user)

    assert page.status_code == 200
    assert REFERENCE.findall(page.text) == [incident.reference]
    assert DEFAULT_MPXN in page.text


def test_a_user_of_no_organisation_finds_nothing(client, device):
    assert _page(client, UserFactory(supplier=None)).status_code == 404


@pytest.mark.parametrize("spelling", ["00db1234567890a0", "00:db:12:34:56:78:90:a0"])
def test_a_pasted_spelling_of_the_device_id_leads_to_its_page(
    client, installing_user, device, spelling
):
    page = _page(client, installing_user, reverse("incidents:device", args=[spelling]))

    assert page.status_code == 302 and page["Location"] == PAGE


@pytest.mark.parametrize("device_id", ["not-a-device", "00-00-00-00-00-00-00-00"])
def test_a_malformed_device_id_is_not_found(client, installing_user, device, device_id):
    url = reverse("incidents:device", args=[device_id])

    assert _page(client, installing_user, url).status_code == 404


def test_a_visitor_is_asked_to_sign_in(client, device):
    page = client.get(PAGE)

    assert page.status_code == 302 and page["Location"].startswith(reverse("login"))


# --- What it shows ------------------------------------------------------------------------------


def test_the_status_is_shown_with_the_date_it_took_effect(client, installing_user, device):
    type(device).objects.filter(pk=device.pk).update(status_effective_date=dt.date(2026, 3, 14))

    page = _page(client, installing_user).text

    assert 'id="smi-status">Installed Not Commissioned, since 14 March 2026</dd>' in page


def test_a_prepayment_interface_shows_the_meter_points_of_its_comms_hub(
    client, installing_user, installing_supplier
):
    hub = "00-DB-12-34-56-78-00-01"
    DeviceFactory(comms_hub_id=hub, installing_supplier=installing_supplier)
    ppmid = DeviceFactory(
        device_type=DeviceType.PPMID,
        mpxn="",
        comms_hub_id=hub,
        installing_supplier=installing_supplier,
    )

    page = _page(client, installing_user, reverse("incidents:device", args=[ppmid.device_id])).text

    assert "Meter points on its Communications Hub" in page
    assert f'id="meter-points">{DEFAULT_MPXN}</dd>' in page
    assert hub in page


def test_the_history_holds_only_the_requests_our_organisation_may_see(
    client, settings, gaining_user, installing_user, device
):
    # Earlier, another Supplier raised for the same Device (registered then; the check reads
    # today's registrations, so it is off here); the installer answered it.
    settings.SSI_REGISTRATION_CHECK = "off"
    earlier_raiser = UserFactory(supplier=SupplierFactory(name="Earlier Energy"))
    earlier = incident_raise(actor=earlier_raiser, device_id=device.device_id)
    incident_answer(actor=installing_user, incident=earlier, install_code=INSTALL_CODE)
    incident_close(actor=earlier_raiser, incident=earlier, outcome="code_worked")
    ours = incident_raise(actor=gaining_user, device_id=device.device_id)

    raiser_sees = REFERENCE.findall(_page(client, gaining_user).text)
    installer_sees = REFERENCE.findall(_page(client, installing_user).text)

    assert raiser_sees == [ours.reference]
    assert installer_sees == [ours.reference, earlier.reference]


def test_the_incident_page_links_to_its_device(client, gaining_user, incident):
    page = _page(client, gaining_user, reverse("incidents:detail", args=[incident.public_id]))

    assert f'<a href="{PAGE}">{DEVICE_ID}</a>' in page.text


@pytest.mark.parametrize("persona", ["installing_user", "gaining_user", "helpdesk_user"])
def test_the_device_page_is_valid_html(client, request, incident, persona):
    assert_valid_page(_page(client, request.getfixturevalue(persona)).text)


# --- Queries ------------------------------------------------------------------------------------

# the session read with its user and their Supplier (for the top bar too), the Device with its
# installer, its requests the user may see (with their Suppliers), the registrations of its
# meter point.
DEVICE_QUERIES = 4


@pytest.mark.parametrize("persona", ["installing_user", "gaining_user", "helpdesk_user"])
def test_the_device_page_takes_a_fixed_number_of_queries(
    client, request, incident, django_assert_num_queries, persona
):
    client.force_login(request.getfixturevalue(persona))
    # The same for the helpdesk, whose empty Supplier also comes with the session.
    with django_assert_num_queries(DEVICE_QUERIES):
        assert client.get(PAGE).status_code == 200


def test_many_requests_cost_no_more_queries_than_one(
    client, installing_user, gaining_user, device, django_assert_num_queries
):
    for _ in range(3):
        made = incident_raise(actor=gaining_user, device_id=device.device_id)
        incident_close(actor=gaining_user, incident=made, outcome="no_longer_needed")
    client.force_login(installing_user)

    with django_assert_num_queries(DEVICE_QUERIES):
        page = client.get(PAGE).text

    assert len(REFERENCE.findall(page)) == 3
