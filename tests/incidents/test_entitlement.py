"""Only the Supplier registered for a Device's meter point may raise a request for it
(``SSI_REGISTRATION_CHECK``: enforce by default, warn, off), one at a time and in bulk."""

import datetime as dt

import pytest
from django.urls import reverse

from incidents.models import EventKind, Incident, IncidentEvent, RaiseChannel
from incidents.services import IncidentError, incident_raise
from inventory.models import DeviceType, Registration
from tests.factories import DEFAULT_MPXN, DeviceFactory, RegistrationFactory
from tests.support.bulk import NOW, RAISE_HEADER, results, run
from tests.test_html import assert_valid_page

pytestmark = pytest.mark.django_db

OTHER_MPAN = "1000000000009"


def _refusal(actor, device_id, now=NOW) -> IncidentError:
    with pytest.raises(IncidentError) as caught:
        incident_raise(actor=actor, device_id=device_id, now=now)
    assert Incident.objects.count() == 0
    return caught.value


# --- enforce (the default) ------------------------------------------------------------------------


def test_the_registration_check_is_enforced_by_default():
    from django.conf import settings

    assert settings.SSI_REGISTRATION_CHECK == "enforce"


def test_the_registered_supplier_raises_and_the_meter_point_is_recorded(gaining_user, device):
    incident = incident_raise(actor=gaining_user, device_id=device.device_id, now=NOW)

    assert incident.registration_mpxn == DEFAULT_MPXN
    assert incident.entitlement_warning == ""


def test_a_supplier_that_is_not_registered_is_refused_without_naming_who_is(
    gaining_supplier, other_supplier_user, device
):
    error = _refusal(other_supplier_user, device.device_id)

    assert (error.code, error.field) == ("not_registered", "device_id")
    assert error.message == (
        "Third Party Gas is not the registered Supplier for the meter point of Device "
        "00-DB-12-34-56-78-90-A0: the registration data names another Supplier today. Only the "
        "registered Supplier may request the install code; if your registration starts soon, "
        "raise the request once it has started."
    )
    assert "Gaining" not in error.message


def test_a_meter_point_without_registration_data_is_refused_as_unconfirmed(
    gaining_user, installing_supplier
):
    device = DeviceFactory(installing_supplier=installing_supplier, mpxn=OTHER_MPAN)

    error = _refusal(gaining_user, device.device_id)

    assert error.code == "registration_unknown"
    assert error.message == (
        "The registration data names no Supplier registered today for the meter point of "
        f"Device {device.device_id}, so the portal cannot confirm that Gaining Energy may "
        "request its install code. Ask the DCC helpdesk if the registration is missing, quoting "
        "the Device ID."
    )


def test_a_registration_that_has_ended_no_longer_entitles(gaining_user, gaining_supplier, device):
    Registration.objects.filter(supplier=gaining_supplier).update(effective_to=dt.date(2026, 3, 31))

    assert _refusal(gaining_user, device.device_id).code == "registration_unknown"


def test_a_future_registration_entitles_from_its_first_day_in_london(
    gaining_supplier, other_supplier_user, device
):
    RegistrationFactory(supplier=other_supplier_user.supplier, effective_from=dt.date(2026, 4, 2))
    eve = dt.datetime(2026, 4, 1, 22, 59, tzinfo=dt.UTC)  # 23:59 on 1 April in London (BST)
    midnight = dt.datetime(2026, 4, 1, 23, 0, tzinfo=dt.UTC)  # 00:00 on 2 April in London

    assert _refusal(other_supplier_user, device.device_id, now=eve).code == "not_registered"
    incident = incident_raise(actor=other_supplier_user, device_id=device.device_id, now=midnight)
    assert incident.registration_mpxn == DEFAULT_MPXN


def test_a_meter_without_a_meter_point_is_refused(gaining_user, installing_supplier):
    device = DeviceFactory(installing_supplier=installing_supplier, mpxn="", comms_hub_id="")

    error = _refusal(gaining_user, device.device_id)

    assert error.code == "no_meter_point"
    assert error.message == (
        f"The SMI ties Device {device.device_id} to no meter point (MPAN or MPRN), so the portal "
        "cannot confirm that Gaining Energy is the registered Supplier. Ask the DCC helpdesk."
    )


GAS_MPRN = "3938424403"


def _dual_fuel_home_ppmid(hub: str, installer):
    """A home on Comms Hub ``hub``: an ESME (OTHER_MPAN), a GSME (GAS_MPRN) and a PPMID."""
    DeviceFactory(comms_hub_id=hub, mpxn=OTHER_MPAN, installing_supplier=installer)
    DeviceFactory(
        comms_hub_id=hub, device_type=DeviceType.GSME, mpxn=GAS_MPRN, installing_supplier=installer
    )
    return DeviceFactory(
        comms_hub_id=hub, device_type=DeviceType.PPMID, mpxn="", installing_supplier=installer
    )


def test_a_ppmid_is_judged_by_the_meter_points_of_its_comms_hub(gaining_user, installing_supplier):
    ppmid = _dual_fuel_home_ppmid("00-DB-12-00-00-00-0C-01", installing_supplier)
    RegistrationFactory(mpxn=GAS_MPRN, supplier=gaining_user.supplier)

    incident = incident_raise(actor=gaining_user, device_id=ppmid.device_id, now=NOW)

    assert incident.registration_mpxn == GAS_MPRN


def test_a_ppmid_whose_hub_meters_have_no_registration_counts_them_without_naming_them(
    gaining_user, installing_supplier
):
    ppmid = _dual_fuel_home_ppmid("00-DB-12-00-00-00-0C-02", installing_supplier)

    error = _refusal(gaining_user, ppmid.device_id)

    assert f"for any of the 2 meter points of Device {ppmid.device_id}," in error.message
    assert OTHER_MPAN not in error.message
    assert GAS_MPRN not in error.message


def test_a_supplier_that_is_not_registered_learns_nothing_of_an_open_request(
    gaining_user, other_supplier_user, device
):
    incident_raise(actor=gaining_user, device_id=device.device_id, now=NOW)

    with pytest.raises(IncidentError) as caught:
        incident_raise(actor=other_supplier_user, device_id=device.device_id, now=NOW)

    assert caught.value.code == "not_registered"
    assert "INC" not in caught.value.message


def test_the_raise_page_shows_the_refusal_at_the_top_linked_to_the_field(
    client, gaining_supplier, other_supplier_user, device
):
    client.force_login(other_supplier_user)

    response = client.post(reverse("incidents:raise"), {"device_id": device.device_id})

    assert response.status_code == 400
    html = response.content.decode()
    assert 'href="#id_device_id"' in html
    assert "is not the registered Supplier for the meter point of Device" in html
    assert_valid_page(html)


# --- warn -------------------------------------------------------------------------------------


@pytest.fixture
def warn(settings):
    settings.SSI_REGISTRATION_CHECK = "warn"


def test_under_warn_an_unregistered_supplier_raises_with_a_warning_on_the_timeline(
    warn, gaining_supplier, other_supplier_user, device
):
    incident = incident_raise(actor=other_supplier_user, device_id=device.device_id, now=NOW)

    assert incident.entitlement_warning.startswith(
        "Raised in spite of the registration check: Third Party Gas is not the registered "
        "Supplier for the meter point of Device 00-DB-12-34-56-78-90-A0"
    )
    raised = IncidentEvent.objects.get(incident=incident, kind=EventKind.RAISED)
    assert raised.message.endswith(incident.entitlement_warning)
    # Its registration never named the raiser, so it has nothing to move away from.
    assert incident.registration_mpxn == ""


def test_under_warn_the_registered_supplier_raises_without_a_warning(warn, gaining_user, device):
    incident = incident_raise(actor=gaining_user, device_id=device.device_id, now=NOW)

    assert (incident.entitlement_warning, incident.registration_mpxn) == ("", DEFAULT_MPXN)


def test_under_warn_the_raise_page_shows_the_warning_after_raising(
    warn, client, other_supplier_user, device
):
    client.force_login(other_supplier_user)

    response = client.post(reverse("incidents:raise"), {"device_id": device.device_id}, follow=True)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Raised in spite of the registration check" in html
    assert_valid_page(html)


# --- off ---------------------------------------------------------------------------------------


def test_when_off_registration_data_is_not_read(settings, other_supplier_user, device):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.SSI_REGISTRATION_CHECK = "off"

    with CaptureQueriesContext(connection) as queries:
        incident = incident_raise(actor=other_supplier_user, device_id=device.device_id, now=NOW)

    assert (incident.registration_mpxn, incident.entitlement_warning) == ("", "")
    assert not [q for q in queries if Registration._meta.db_table in q["sql"]]


# --- Bulk --------------------------------------------------------------------------------------


def test_bulk_rows_are_refused_by_the_same_registration_rules_with_reason_codes(
    gaining_user, installing_supplier
):
    mine = DeviceFactory(installing_supplier=installing_supplier)
    unknown = DeviceFactory(installing_supplier=installing_supplier, mpxn=OTHER_MPAN)
    theirs = DeviceFactory(installing_supplier=installing_supplier, registered=installing_supplier)
    nowhere = DeviceFactory(installing_supplier=installing_supplier, mpxn="", comms_hub_id="")

    made = run(
        gaining_user,
        "raise",
        RAISE_HEADER,
        mine.device_id,
        unknown.device_id,
        theirs.device_id,
        nowhere.device_id,
    )

    rows = results(made)
    assert [rows[line].reason_code for line in (2, 3, 4, 5)] == [
        "",
        "registration_unknown",
        "not_registered",
        "no_meter_point",
    ]
    assert rows[4].message.startswith("Gaining Energy is not the registered Supplier")
    incident = Incident.objects.get()
    assert (incident.device, incident.registration_mpxn, incident.channel) == (
        mine,
        DEFAULT_MPXN,
        RaiseChannel.BULK,
    )


def test_under_warn_bulk_rows_are_raised_with_the_warning_in_their_result(
    warn, gaining_supplier, other_supplier_user, device
):
    made = run(other_supplier_user, "raise", RAISE_HEADER, device.device_id)

    row = results(made)[2]
    assert row.result == "accepted"
    assert "Raised in spite of the registration check: Third Party Gas is not" in row.message
    assert Incident.objects.get().registration_mpxn == ""


# --- The security log ---------------------------------------------------------------------------


def test_a_refusal_by_the_registration_check_is_in_the_security_log(
    gaining_supplier, other_supplier_user, device
):
    from accounts.models import SecurityEvent, SecurityEventKind

    _refusal(other_supplier_user, device.device_id)

    event = SecurityEvent.objects.get(kind=SecurityEventKind.RAISE_REFUSED)
    assert (event.actor, event.actor_supplier, event.reference, event.detail) == (
        other_supplier_user,
        other_supplier_user.supplier,
        f"device:{device.device_id}",
        "not_registered: meter point 1312345678907.",
    )


def test_a_bulk_upload_logs_one_entry_for_its_rows_the_registration_check_refused(
    gaining_user, installing_supplier
):
    from accounts.models import SecurityEvent, SecurityEventKind

    unknown = [
        DeviceFactory(installing_supplier=installing_supplier, mpxn=OTHER_MPAN) for _ in range(2)
    ]
    theirs = DeviceFactory(installing_supplier=installing_supplier, registered=installing_supplier)

    made = run(gaining_user, "raise", RAISE_HEADER, *[d.device_id for d in [*unknown, theirs]])

    event = SecurityEvent.objects.get(kind=SecurityEventKind.RAISE_REFUSED)
    assert event.reference == f"bulk-upload:{made.public_id}"
    assert event.detail == (
        "Bulk raise file.csv: 3 rows refused (not_registered 1, registration_unknown 2)."
    )


def test_a_bulk_upload_without_refusals_logs_nothing(gaining_user, device):
    from accounts.models import SecurityEvent

    run(gaining_user, "raise", RAISE_HEADER, device.device_id)

    assert not SecurityEvent.objects.exists()


# --- A refusal never names the meter point ---------------------------------------------------
# A meter point identifies a home: a Supplier the registration data does not name for it must
# not learn it from a refusal, one at a time or in bulk (page, results, CSV). Only the
# security log, read by the helpdesk, keeps it.

HOME_MPRN = "3938424403"


@pytest.fixture
def refused_devices(gaining_supplier, installing_supplier):
    """A Device for each refusal of the registration check, by its reason code, for the
    third Supplier (other_supplier_user), with the meter points each would reveal."""
    registered_elsewhere = DeviceFactory(installing_supplier=installing_supplier)
    unregistered = DeviceFactory(installing_supplier=installing_supplier, mpxn=OTHER_MPAN)
    hub = "00-DB-12-00-00-00-0C-09"
    DeviceFactory(comms_hub_id=hub, mpxn=HOME_MPRN, installing_supplier=installing_supplier)
    ppmid = DeviceFactory(
        comms_hub_id=hub,
        device_type=DeviceType.PPMID,
        mpxn="",
        installing_supplier=installing_supplier,
    )
    nowhere = DeviceFactory(installing_supplier=installing_supplier, mpxn="", comms_hub_id="")
    return {
        "not_registered": registered_elsewhere,
        "registration_unknown": unregistered,
        "registration_unknown (a PPMID)": ppmid,
        "no_meter_point": nowhere,
    }


METER_POINTS = (DEFAULT_MPXN, OTHER_MPAN, HOME_MPRN)
REFUSALS = ["not_registered", "registration_unknown", "registration_unknown (a PPMID)"]


@pytest.mark.parametrize("case", [*REFUSALS, "no_meter_point"])
def test_a_refused_raise_names_no_meter_point_on_the_page(
    case, client, other_supplier_user, refused_devices
):
    client.force_login(other_supplier_user)
    device = refused_devices[case]

    response = client.post(reverse("incidents:raise"), {"device_id": device.device_id})

    assert response.status_code == 400
    html = response.content.decode()
    assert device.device_id in html
    assert not [mpxn for mpxn in METER_POINTS if mpxn in html]


@pytest.mark.parametrize("case", REFUSALS)
def test_a_raise_under_warn_names_no_meter_point_in_its_warning(
    case, warn, client, other_supplier_user, refused_devices
):
    client.force_login(other_supplier_user)

    response = client.post(
        reverse("incidents:raise"), {"device_id": refused_devices[case].device_id}, follow=True
    )

    [warning] = [m for m in response.context["messages"] if m.level_tag == "warning"]
    assert not [mpxn for mpxn in METER_POINTS if mpxn in str(warning)]


def test_refused_bulk_rows_name_no_meter_point_in_the_results_page_or_csv(
    client, other_supplier_user, refused_devices
):
    made = run(
        other_supplier_user,
        "raise",
        RAISE_HEADER,
        *[device.device_id for device in refused_devices.values()],
    )
    client.force_login(other_supplier_user)

    page = client.get(reverse("incidents:bulk_detail", args=[made.public_id]))
    csv = client.get(reverse("incidents:bulk_results", args=[made.public_id]))

    page_text = page.content.decode()
    csv_text = b"".join(csv.streaming_content).decode()

    assert made.refused_rows == len(refused_devices)
    # Plain words on the page, the reason codes in the file for machines.
    assert page_text.count("meter point") >= len(refused_devices)
    assert "registration_unknown" in csv_text
    assert csv_text.count("meter point") == len(refused_devices)
    for text in (page_text, csv_text):
        assert not [mpxn for mpxn in METER_POINTS if mpxn in text]


def test_the_security_log_keeps_the_meter_point_of_a_refusal_for_the_helpdesk(
    other_supplier_user, refused_devices
):
    from accounts.models import SecurityEvent

    _refusal(other_supplier_user, refused_devices["registration_unknown"].device_id)

    assert SecurityEvent.objects.get().detail == f"registration_unknown: meter point {OTHER_MPAN}."
