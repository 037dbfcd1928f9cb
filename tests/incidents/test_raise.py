"""Raising a Request for Install Code: who gets it, by when, and every reason to refuse one."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection

from incidents.models import EventKind, Incident, IncidentEvent, IncidentStatus
from incidents.services import IncidentError, incident_close, incident_raise
from inventory.models import DeviceType, SMIStatus
from notifications.models import Notification
from tests.factories import DeviceFactory, UserFactory

pytestmark = pytest.mark.django_db

# Wednesday 1 April 2026, 10:00 in London (BST). Good Friday (3 April) and Easter Monday
# (6 April) are not Working Days, so the fifth Working Day after it is Friday 10 April.
NOTIFIED = dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC)
DUE = dt.datetime(2026, 4, 10, 22, 59, 59, tzinfo=dt.UTC)  # 23:59:59 BST

UNKNOWN_DEVICE_ID = "00-DB-12-34-56-78-90-FF"


def _refusal(actor, device_id) -> IncidentError:
    with pytest.raises(IncidentError) as caught:
        incident_raise(actor=actor, device_id=device_id, now=NOTIFIED)
    return caught.value


# --- Success ------------------------------------------------------------------------------------


def test_a_request_is_assigned_to_the_supplier_that_pre_notified_the_device(
    gaining_user, device, installing_supplier
):
    incident = incident_raise(actor=gaining_user, device_id=device.device_id, now=NOTIFIED)

    incident.refresh_from_db()
    assert incident.status == IncidentStatus.AWAITING_INSTALLER
    assert incident.assigned_supplier == installing_supplier
    assert incident.raising_supplier == gaining_user.supplier
    assert incident.raised_by == gaining_user


def test_a_request_is_due_at_the_end_of_the_fifth_working_day_after_notification(
    gaining_user, device
):
    incident = incident_raise(actor=gaining_user, device_id=device.device_id, now=NOTIFIED)

    incident.refresh_from_db()
    assert incident.notified_at == NOTIFIED
    assert incident.due_at == DUE


def test_raising_writes_a_raised_event(gaining_user, device):
    incident = incident_raise(actor=gaining_user, device_id=device.device_id, now=NOTIFIED)

    event = IncidentEvent.objects.get(incident=incident)
    assert event.kind == EventKind.RAISED
    assert event.actor == gaining_user
    assert event.actor_supplier == gaining_user.supplier
    assert (event.from_status, event.to_status) == ("", IncidentStatus.AWAITING_INSTALLER)
    assert event.created_at == NOTIFIED


def test_raising_emails_each_contact_of_the_installing_supplier_after_commit(
    gaining_user, device, installing_supplier, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        incident = incident_raise(actor=gaining_user, device_id=device.device_id, now=NOTIFIED)

    contacts = sorted(installing_supplier.contact_emails)
    assert sorted(m.to[0] for m in mailoutbox) == contacts
    assert all(len(m.to) == 1 and incident.reference in m.subject for m in mailoutbox)
    rows = Notification.objects.filter(source__startswith="incident-event:")
    assert sorted(rows.values_list("recipient", flat=True)) == contacts
    assert set(rows.values_list("template", "status")) == {("incident_assigned", "sent")}


def test_a_device_without_installing_supplier_goes_to_the_helpdesk_without_a_deadline(
    gaining_user,
):
    orphan = DeviceFactory(installing_supplier=None)

    incident = incident_raise(actor=gaining_user, device_id=orphan.device_id, now=NOTIFIED)

    incident.refresh_from_db()
    assert incident.status == IncidentStatus.WITH_HELPDESK
    assert incident.assigned_supplier is None
    assert incident.due_at is None


def test_a_device_without_installing_supplier_emails_the_helpdesk(
    gaining_user, settings, django_capture_on_commit_callbacks, mailoutbox
):
    orphan = DeviceFactory(installing_supplier=None)

    with django_capture_on_commit_callbacks(execute=True):
        incident_raise(actor=gaining_user, device_id=orphan.device_id, now=NOTIFIED)

    assert [m.to for m in mailoutbox] == [[a] for a in settings.HELPDESK_EMAILS]
    assert set(Notification.objects.values_list("template", flat=True)) == {"incident_helpdesk"}


@pytest.mark.parametrize("status", ["Pending", "Whitelisted", "InstalledNotCommissioned"])
def test_a_device_awaiting_commissioning_is_eligible(gaining_user, installing_supplier, status):
    eligible = DeviceFactory(smi_status=status, installing_supplier=installing_supplier)

    incident = incident_raise(actor=gaining_user, device_id=eligible.device_id, now=NOTIFIED)

    assert incident.device == eligible


@pytest.mark.parametrize("device_type", ["ESME", "GSME", "PPMID", "HCALCS", "SAPC"])
def test_every_type_1_device_is_eligible(gaining_user, installing_supplier, device_type):
    eligible = DeviceFactory(device_type=device_type, installing_supplier=installing_supplier)

    incident = incident_raise(actor=gaining_user, device_id=eligible.device_id, now=NOTIFIED)

    assert incident.device == eligible


@pytest.mark.parametrize(
    "pasted",
    [
        "00db1234567890a0",
        "00-db-12-34-56-78-90-a0",
        "00:DB:12:34:56:78:90:A0",
        "00 DB 12 34 56 78 90 A0",
        "  00DB1234567890A0\n",
    ],
)
def test_pasted_variants_of_the_device_id_are_accepted(gaining_user, device, pasted):
    incident = incident_raise(actor=gaining_user, device_id=pasted, now=NOTIFIED)

    assert incident.device == device


def test_a_closed_request_does_not_block_a_new_one(gaining_user, device):
    first = incident_raise(actor=gaining_user, device_id=device.device_id, now=NOTIFIED)
    incident_close(actor=gaining_user, incident=first, outcome="no_longer_needed", now=NOTIFIED)

    second = incident_raise(actor=gaining_user, device_id=device.device_id, now=NOTIFIED)

    assert second.pk != first.pk
    assert second.status == IncidentStatus.AWAITING_INSTALLER


# --- Refusals -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "names_the_problem"),
    [
        ("", "Enter a Device ID"),
        ("00-DB-12", "this one has 6"),
        ("00-DB-12-34-56-78-90-A0-11", "this one has 18"),
        ("00-DB-12-34-56-78-90-AZ", "'Z' is not one"),
        ("00-00-00-00-00-00-00-00", "reserved"),
        ("FF-FF-FF-FF-FF-FF-FF-FF", "reserved"),
    ],
)
def test_a_malformed_device_id_is_refused_as_bad_format(gaining_user, typed, names_the_problem):
    error = _refusal(gaining_user, typed)

    assert error.code == "bad_format"
    assert error.field == "device_id"
    assert names_the_problem in error.message


def test_a_device_missing_from_the_smi_is_refused(gaining_user, device):
    error = _refusal(gaining_user, UNKNOWN_DEVICE_ID)

    assert error.code == "not_in_smi"
    assert UNKNOWN_DEVICE_ID in error.message
    assert "Smart Metering Inventory" in error.message


@pytest.mark.parametrize(
    ("device_type", "smi_status", "why"),
    [
        (DeviceType.CHF, SMIStatus.INSTALLED_NOT_COMMISSIONED, "Communications Hub"),
        (DeviceType.GPF, SMIStatus.INSTALLED_NOT_COMMISSIONED, "Communications Hub"),
        (DeviceType.IHD, None, "Type 2"),
        (DeviceType.CAD, None, "Type 2"),
    ],
)
def test_a_device_type_without_install_code_is_refused(
    gaining_user, installing_supplier, device_type, smi_status, why
):
    ineligible = DeviceFactory(
        device_type=device_type, smi_status=smi_status, installing_supplier=installing_supplier
    )

    error = _refusal(gaining_user, ineligible.device_id)

    assert error.code == "ineligible_type"
    assert device_type in error.message
    assert why in error.message


@pytest.mark.parametrize(
    ("smi_status", "named_as"),
    [
        ("Commissioned", "Commissioned"),
        ("Decommissioned", "Decommissioned"),
        ("Withdrawn", "Withdrawn"),
        ("Suspended", "Suspended"),
        ("Recovery", "Recovery"),
        ("Recovered", "Recovered"),
        (None, "has no SMI status"),
    ],
)
def test_a_device_not_awaiting_commissioning_is_refused_naming_its_status(
    gaining_user, installing_supplier, smi_status, named_as
):
    ineligible = DeviceFactory(smi_status=smi_status, installing_supplier=installing_supplier)

    error = _refusal(gaining_user, ineligible.device_id)

    assert error.code == "ineligible_status"
    assert named_as in error.message


def test_the_installing_supplier_cannot_request_its_own_device(installing_user, device):
    error = _refusal(installing_user, device.device_id)

    assert error.code == "own_device"
    assert installing_user.supplier.name in error.message
    assert "installing Supplier" in error.message


def test_a_second_open_request_for_a_device_is_refused_naming_the_first(
    gaining_colleague, incident
):
    error = _refusal(gaining_colleague, incident.device.device_id)

    assert error.code == "already_open"
    assert incident.reference in error.message


def test_a_helpdesk_user_cannot_raise_a_request(helpdesk_user, device):
    with pytest.raises(PermissionDenied):
        incident_raise(actor=helpdesk_user, device_id=device.device_id, now=NOTIFIED)


def test_a_user_without_supplier_cannot_raise_a_request(device):
    nobody = UserFactory(supplier=None)

    with pytest.raises(PermissionDenied):
        incident_raise(actor=nobody, device_id=device.device_id, now=NOTIFIED)


# --- Refusals leave nothing behind --------------------------------------------------------------


def _ineligible_device(status):
    def make(get):
        return get("gaining_user"), DeviceFactory(
            smi_status=status, installing_supplier=get("installing_supplier")
        ).device_id

    return make


REFUSED_REQUESTS = {
    "bad_format": lambda get: (get("gaining_user"), "00-DB-12"),
    "not_in_smi": lambda get: (get("gaining_user"), UNKNOWN_DEVICE_ID),
    "ineligible_type": lambda get: (
        get("gaining_user"),
        DeviceFactory(device_type=DeviceType.CHF).device_id,
    ),
    "ineligible_status": _ineligible_device(SMIStatus.COMMISSIONED),
    "own_device": lambda get: (get("installing_user"), get("device").device_id),
    "helpdesk": lambda get: (get("helpdesk_user"), get("device").device_id),
}


def _row_counts():
    return (Incident.objects.count(), IncidentEvent.objects.count(), Notification.objects.count())


@pytest.mark.parametrize("refusal", sorted(REFUSED_REQUESTS))
def test_a_refused_request_writes_no_rows(
    request, refusal, django_capture_on_commit_callbacks, mailoutbox
):
    actor, device_id = REFUSED_REQUESTS[refusal](request.getfixturevalue)

    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises((IncidentError, PermissionDenied)),
    ):
        incident_raise(actor=actor, device_id=device_id, now=NOTIFIED)

    assert _row_counts() == (0, 0, 0)
    assert mailoutbox == []


def test_a_request_refused_as_already_open_writes_no_rows(
    gaining_user, incident, django_capture_on_commit_callbacks, mailoutbox
):
    before = _row_counts()

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(IncidentError):
        incident_raise(actor=gaining_user, device_id=incident.device.device_id, now=NOTIFIED)

    assert _row_counts() == before
    assert mailoutbox == []


def test_raising_one_request_stays_within_a_fixed_number_of_queries(
    settings, gaining_user, device, django_assert_max_num_queries
):
    # The raiser's Supplier with the two rate limits' windows, the Device with its installing
    # Supplier, the installer's contact addresses, the registration of its meter point and
    # the non-working days; the insert (no savepoint of its own), the clock, a lodged code,
    # whether a webhook endpoint subscribes, the event, the outbox rows and the Supplier's
    # tally (on PostgreSQL in two statements): no query per related row.
    settings.SSI_RAISE_LIMIT_PER_USER = "60/hour"
    settings.SSI_RAISE_LIMIT_PER_SUPPLIER = "200000/day"
    from incidents.services import incident_raise as raise_one

    gaining_user.supplier  # noqa: B018 (loaded as the request's user would be)
    with django_assert_max_num_queries({"postgresql": 6}.get(connection.vendor, 11)):
        raise_one(actor=gaining_user, device_id=device.device_id)
