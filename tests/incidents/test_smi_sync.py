"""Requests the SMI overtakes: closed by the portal when a load shows their Device
commissioned, decommissioned, withdrawn or suspended, with the reason on the timeline and in
an email to both Suppliers."""

import csv
import datetime as dt
import io

import pytest
from django.core.management import call_command

from incidents.models import Assignment, EventKind, Incident, IncidentStatus
from incidents.services import incident_answer_not_installed, incident_close
from incidents.services.smi_sync import incidents_sync_with_smi
from inventory.models import Device, SMIStatus
from inventory.services import SMI_COLUMNS
from notifications.models import Notification

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 4, 14, 9, 30, tzinfo=dt.UTC)
EFFECTIVE = dt.date(2026, 4, 10)


@pytest.fixture
def emails(django_capture_on_commit_callbacks, mailoutbox):
    """Run an action with its after-commit work executed; return what it returned and the
    emails it sent."""

    def run(action):
        mailoutbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            result = action()
        return result, list(mailoutbox)

    return run


def smi_moves(device, status, *, on=EFFECTIVE):
    Device.objects.filter(pk=device.pk).update(smi_status=status, status_effective_date=on)


def closing_event(incident):
    return incident.events.get(kind=EventKind.CLOSED)


def test_an_open_request_is_closed_when_its_device_is_commissioned(incident, device):
    smi_moves(device, SMIStatus.COMMISSIONED)

    assert incidents_sync_with_smi(now=NOW) == 1

    incident.refresh_from_db()
    assert (incident.status, incident.close_outcome, incident.closed_at) == (
        IncidentStatus.CLOSED,
        "device_commissioned",
        NOW,
    )
    event = closing_event(incident)
    assert (event.actor, event.from_status, event.to_status) == (
        None,
        IncidentStatus.AWAITING_INSTALLER,
        IncidentStatus.CLOSED,
    )
    assert event.message == (
        "The Device was commissioned (SMI status Commissioned since 10 April 2026): "
        "the request is no longer needed."
    )
    assert event.actor_organisation == "SSI Portal"


@pytest.mark.parametrize("status", ["Decommissioned", "Withdrawn", "Suspended"])
def test_an_open_request_is_cancelled_when_its_device_leaves_service(incident, device, status):
    smi_moves(device, status)

    incidents_sync_with_smi(now=NOW)

    incident.refresh_from_db()
    assert (incident.status, incident.close_outcome) == (IncidentStatus.CLOSED, "device_left_smi")
    assert closing_event(incident).message.startswith(
        f"The Device is {status} in the SMI, since 10 April 2026: the request is cancelled"
    )


def test_the_running_clock_ends_as_withdrawn(incident, device):
    smi_moves(device, SMIStatus.COMMISSIONED)

    incidents_sync_with_smi(now=NOW)

    assignment = Assignment.objects.get(incident=incident)
    assert (assignment.ended_at, assignment.outcome) == (NOW, "withdrawn")


def test_both_suppliers_are_emailed_why(
    incident, device, gaining_user, installing_supplier, emails
):
    smi_moves(device, SMIStatus.WITHDRAWN)

    _, mail = emails(lambda: incidents_sync_with_smi(now=NOW))

    assert sorted(address for message in mail for address in message.to) == sorted(
        [gaining_user.email, *installing_supplier.contact_emails]
    )
    message = mail[0]
    assert (
        message.subject
        == f"[SSI] {incident.reference}: closed by the SSI Portal after an SMI change"
    )
    assert "The Device is Withdrawn in the SMI, since 10 April 2026" in message.body


def test_each_email_is_filed_under_the_supplier_it_went_to(
    incident, device, gaining_user, gaining_supplier, installing_supplier
):
    smi_moves(device, SMIStatus.COMMISSIONED)

    incidents_sync_with_smi(now=NOW)

    filed = dict(Notification.objects.values_list("recipient", "audience"))
    assert filed == {
        gaining_user.email: gaining_supplier.audience,
        **{address: installing_supplier.audience for address in installing_supplier.contact_emails},
    }


def test_a_request_with_the_helpdesk_tells_the_helpdesk_and_the_raiser(
    incident, device, installing_user, gaining_user, settings, emails
):
    incident_answer_not_installed(actor=installing_user, incident=incident)
    smi_moves(device, SMIStatus.DECOMMISSIONED)

    _, mail = emails(lambda: incidents_sync_with_smi(now=NOW))

    incident.refresh_from_db()
    assert incident.status == IncidentStatus.CLOSED
    assert closing_event(incident).from_status == IncidentStatus.WITH_HELPDESK
    assert sorted(address for message in mail for address in message.to) == sorted(
        [gaining_user.email, *settings.HELPDESK_EMAILS]
    )


def test_an_answered_request_is_closed_and_keeps_its_code_until_the_purge(
    answered_incident, device
):
    smi_moves(device, SMIStatus.COMMISSIONED)

    incidents_sync_with_smi(now=NOW)

    answered_incident.refresh_from_db()
    assert answered_incident.status == IncidentStatus.CLOSED
    assert answered_incident.install_code_sealed is not None
    assert closing_event(answered_incident).from_status == IncidentStatus.CODE_PROVIDED


@pytest.mark.parametrize("status", ["Pending", "Whitelisted", "InstalledNotCommissioned"])
def test_a_request_stays_open_while_its_device_awaits_commissioning(incident, device, status):
    smi_moves(device, status)

    assert incidents_sync_with_smi(now=NOW) == 0

    incident.refresh_from_db()
    assert incident.status == IncidentStatus.AWAITING_INSTALLER
    assert not incident.events.filter(kind=EventKind.CLOSED).exists()


def test_a_request_the_raiser_closed_is_left_alone(incident, device, gaining_user):
    incident_close(actor=gaining_user, incident=incident, outcome="no_longer_needed")
    smi_moves(device, SMIStatus.COMMISSIONED)

    assert incidents_sync_with_smi(now=NOW) == 0

    incident.refresh_from_db()
    assert incident.close_outcome == "no_longer_needed"
    assert incident.events.filter(kind=EventKind.CLOSED).count() == 1


def test_running_twice_closes_once(incident, device):
    smi_moves(device, SMIStatus.COMMISSIONED)

    assert incidents_sync_with_smi(now=NOW) == 1
    notifications = Notification.objects.count()
    assert incidents_sync_with_smi(now=NOW) == 0

    assert incident.events.filter(kind=EventKind.CLOSED).count() == 1
    assert Notification.objects.count() == notifications


def test_named_devices_limit_the_run_to_their_requests(incident, device, gaining_user):
    from incidents.services import incident_raise
    from tests.factories import DeviceFactory

    other = DeviceFactory(installing_supplier=device.installing_supplier)
    other_incident = incident_raise(actor=gaining_user, device_id=other.device_id)
    smi_moves(device, SMIStatus.COMMISSIONED)
    smi_moves(other, SMIStatus.COMMISSIONED)

    assert incidents_sync_with_smi(device_ids=[other.pk], now=NOW) == 1

    assert Incident.objects.get(pk=incident.pk).status == IncidentStatus.AWAITING_INSTALLER
    assert Incident.objects.get(pk=other_incident.pk).status == IncidentStatus.CLOSED


def test_batches_close_every_request(incident, device, gaining_user):
    from incidents.services import incident_raise
    from tests.factories import DeviceFactory

    more = DeviceFactory.create_batch(4, installing_supplier=device.installing_supplier)
    for other in more:
        incident_raise(actor=gaining_user, device_id=other.device_id)
    Device.objects.update(smi_status=SMIStatus.COMMISSIONED)

    assert incidents_sync_with_smi(now=NOW, batch_size=2) == 5
    assert not Incident.objects.exclude(status=IncidentStatus.CLOSED).exists()


# --- Through the command --------------------------------------------------------------------------


def smi_csv(tmp_path, device, **changes):
    values = {
        "device_id": device.device_id,
        "device_type": device.device_type,
        "smi_status": device.smi_status,
        "status_effective_date": "2026-03-02",
        "manufacturer": device.manufacturer,
        "model": device.model,
        "mpxn": device.mpxn,
        "comms_hub_id": "",
        "installing_supplier_user_id": device.installing_supplier.user_id,
        **changes,
    }
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(SMI_COLUMNS)
    writer.writerow([values[name] for name in SMI_COLUMNS])
    path = tmp_path / "smi.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def test_loading_an_extract_that_commissions_the_device_closes_its_request(
    incident, device, gaining_user, installing_supplier, tmp_path, emails
):
    path = smi_csv(tmp_path, device, smi_status="Commissioned", status_effective_date="2026-04-10")
    out = io.StringIO()

    _, mail = emails(lambda: call_command("load_smi", str(path), stdout=out))

    text = out.getvalue()
    assert "SMI status: 1 changed (1 to Commissioned)" in text
    assert "Requests closed: 1 (their Device is now Commissioned, Decommissioned," in text
    incident.refresh_from_db()
    assert (incident.status, incident.close_outcome) == ("closed", "device_commissioned")
    assert "since 10 April 2026" in closing_event(incident).message
    assert sorted(address for message in mail for address in message.to) == sorted(
        [gaining_user.email, *installing_supplier.contact_emails]
    )


def test_loading_an_extract_that_changes_no_status_closes_nothing(incident, device, tmp_path):
    path = smi_csv(tmp_path, device, model="AM-3")
    out = io.StringIO()

    call_command("load_smi", str(path), stdout=out)

    assert "SMI status: 0 changed" in out.getvalue()
    assert "Requests closed: 0" in out.getvalue()
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.AWAITING_INSTALLER
