import datetime as dt
import io
import re

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import Supplier, User
from incidents.calendar import answer_deadline
from incidents.demo import DEMO_PASSWORD, DEVICE_COUNT
from incidents.demo.requests import overdue_start
from incidents.models import Incident, IncidentEvent, IncidentStatus, pk_from_reference
from incidents.services import IncidentError, incident_answer, incident_raise
from incidents.services.deadlines import incident_escalate_overdue
from inventory.identifiers import is_valid_mpan, is_valid_mprn
from inventory.models import TYPE_2_DEVICES, Device, DeviceType, SMIStatus
from notifications.models import Notification
from tests.support.bulk import process, upload

pytestmark = pytest.mark.django_db

USERNAMES = ["aurora", "brightwater", "cobalt", "dunmore", "helpdesk"]


def load_demo_data() -> str:
    out = io.StringIO()
    call_command("load_demo_data", stdout=out)
    return out.getvalue()


@pytest.fixture
def demo_output():
    return load_demo_data()


def snapshot():
    return {
        "suppliers": list(Supplier.objects.order_by("pk").values()),
        "users": list(User.objects.order_by("pk").values()),
        "devices": list(Device.objects.order_by("pk").values()),
        "incidents": list(Incident.objects.order_by("pk").values()),
        "events": IncidentEvent.objects.count(),
        "notifications": Notification.objects.count(),
        "group": sorted(Group.objects.get(name="DCC helpdesk").permissions.values_list("pk")),
    }


def test_it_creates_four_suppliers_with_a_contact_and_a_user_each(demo_output):
    names = list(Supplier.objects.values_list("name", "mpid", "gas_short_code"))
    assert names == [
        ("Aurora Energy", "AURA", "AUR"),
        ("Brightwater Power", "BRIG", "BRI"),
        ("Cobalt Gas & Power", "COBA", "COB"),
        ("Dunmore Energy", "DUNM", "DUN"),
    ]
    aurora = Supplier.objects.get(mpid="AURA")
    assert aurora.contact_emails == ["incidents@aurora.example"]
    assert sorted(User.objects.values_list("username", flat=True)) == USERNAMES
    assert User.objects.get(username="aurora").supplier == aurora


def test_it_creates_about_3000_devices(demo_output):
    assert Device.objects.count() == DEVICE_COUNT == 3000


def test_every_device_type_and_every_smi_status_is_present(demo_output):
    assert set(Device.objects.values_list("device_type", flat=True)) == set(DeviceType.values)
    statuses = set(Device.objects.exclude(smi_status=None).values_list("smi_status", flat=True))
    assert statuses == set(SMIStatus.values)


def test_only_type_2_devices_have_no_status(demo_output):
    without = set(Device.objects.filter(smi_status=None).values_list("device_type", flat=True))
    assert without == set(TYPE_2_DEVICES)


def test_every_meter_has_a_valid_mpan_or_mprn(demo_output):
    mpans = Device.objects.filter(device_type=DeviceType.ESME).values_list("mpxn", flat=True)
    mprns = Device.objects.filter(device_type=DeviceType.GSME).values_list("mpxn", flat=True)
    assert all(is_valid_mpan(mpan) for mpan in mpans)
    assert all(is_valid_mprn(mprn) for mprn in mprns)


def test_all_four_suppliers_pre_notified_devices_and_about_two_percent_have_none(demo_output):
    for supplier in Supplier.objects.all():
        assert supplier.prenotified_devices.count() > 500
    without = Device.objects.filter(installing_supplier=None).count()
    assert 0.01 * DEVICE_COUNT <= without <= 0.04 * DEVICE_COUNT


def test_it_raises_a_dozen_demo_requests_in_several_states(demo_output):
    assert Incident.objects.count() == 12
    assert set(Incident.objects.values_list("status", flat=True)) == set(IncidentStatus.values)
    assert IncidentEvent.objects.filter(kind="raised").count() == 12
    assert not Incident.objects.filter(raising_supplier=F("assigned_supplier")).exists()


def test_running_it_twice_changes_nothing_and_does_not_fail(demo_output):
    before = snapshot()

    again = load_demo_data()

    assert snapshot() == before
    assert "(0 new)" in again
    assert "Demo requests raised by this run: 0." in again


def test_it_prints_the_logins_and_their_shared_password(demo_output):
    assert f"Demo logins (password for all: {DEMO_PASSWORD})" in demo_output
    assert "  aurora       Aurora Energy (Supplier)" in demo_output
    assert "  cobalt       Cobalt Gas & Power (Supplier)" in demo_output
    assert "  helpdesk     DCC helpdesk (admin at /admin/)" in demo_output
    for username in USERNAMES:
        assert User.objects.get(username=username).check_password(DEMO_PASSWORD)


def test_the_devices_it_prints_for_aurora_can_be_requested_by_aurora(demo_output):
    line = next(x for x in demo_output.splitlines() if x.startswith("Devices you can request"))
    device_ids = line.split(": ", 1)[1].split("   ")[0].split(", ")
    aurora = User.objects.get(username="aurora")

    assert len(device_ids) == 3
    for device_id in device_ids:
        assert incident_raise(actor=aurora, device_id=device_id).status == "awaiting_installer"


def _refusal_lines(output: str) -> dict[str, str]:
    """The printed Device ID of each refusal, by what the line says of it."""
    lines = output.splitlines()
    start = lines.index("Devices aurora is refused a request for, one per reason:") + 1
    found = {}
    for line in lines[start:]:
        if not line.startswith("  "):
            break
        device_id, why = line.strip().split("  ", 1)
        found[why] = device_id
    return found


@pytest.mark.parametrize(
    ("why", "code"),
    [
        ("not in the SMI", "not_in_smi"),
        ("commissioned already", "ineligible_status"),
        ("another Supplier is registered for its meter point", "not_registered"),
        ("already has an open request", "already_open"),
    ],
)
def test_each_device_printed_for_a_refusal_is_refused_to_aurora_for_that_reason(
    demo_output, why, code
):
    device_id = _refusal_lines(demo_output)[why]
    aurora = User.objects.get(username="aurora")

    with pytest.raises(IncidentError) as refused:
        incident_raise(actor=aurora, device_id=device_id)

    assert refused.value.code == code


def test_the_commissioned_device_printed_is_commissioned(demo_output):
    device_id = _refusal_lines(demo_output)["commissioned already"]

    assert Device.objects.get(device_id=device_id).smi_status == SMIStatus.COMMISSIONED


def test_the_install_code_printed_answers_the_requests_printed_beside_it(demo_output):
    [code_line] = [x for x in demo_output.splitlines() if x.startswith("Install code to answer")]
    code = code_line.split(": ", 1)[1].split("   ")[0]
    [awaiting] = [x for x in demo_output.splitlines() if x.startswith("Requests awaiting that")]
    pairs = [item.split(" as ") for item in awaiting.split(": ", 1)[1].split(", ")]

    assert code == "83FE D340 7A93 9723 A5C6 39B2 6916 D505 C3B5"
    for reference, username in pairs:
        incident = Incident.objects.get(pk=pk_from_reference(reference))
        answered = incident_answer(
            actor=User.objects.get(username=username), incident=incident, install_code=code
        )
        assert answered.status == IncidentStatus.CODE_PROVIDED


def test_no_superuser_is_created(demo_output):
    assert not User.objects.filter(is_superuser=True).exists()


def test_the_helpdesk_user_belongs_to_no_supplier_and_may_not_delete(demo_output):
    helpdesk = User.objects.get(username="helpdesk")
    assert (helpdesk.supplier, helpdesk.is_helpdesk, helpdesk.is_staff) == (None, True, True)
    assert helpdesk.has_perm("incidents.change_incident")
    assert helpdesk.has_perm("notifications.view_notification")
    assert helpdesk.has_perm("inventory.add_device")
    assert not helpdesk.has_perm("incidents.add_incident")
    assert not helpdesk.has_perm("incidents.delete_incident")
    assert not helpdesk.has_perm("inventory.delete_device")


def test_the_demo_helpdesk_may_lift_a_lockout_but_not_delete_one(demo_output):
    helpdesk = User.objects.get(username="helpdesk")
    assert helpdesk.has_perm("axes.view_accessattempt")
    assert helpdesk.has_perm("axes.change_accessattempt")
    assert not helpdesk.has_perm("axes.delete_accessattempt")


def test_the_helpdesk_user_can_log_in_to_the_admin_and_see_the_device_changelist(
    demo_output, client
):
    # django-axes' backend needs the request it throttles by.
    assert client.login(request=HttpRequest(), username="helpdesk", password=DEMO_PASSWORD)

    response = client.get("/admin/inventory/device/")

    assert response.status_code == 200
    first = Device.objects.order_by("device_id").first()
    assert first.device_id in response.content.decode()


def test_a_supplier_user_cannot_enter_the_admin(demo_output, client):
    client.login(request=HttpRequest(), username="aurora", password=DEMO_PASSWORD)

    response = client.get("/admin/inventory/device/")

    assert response.status_code == 302


def _overdue_line(output: str) -> str:
    return next(x for x in output.splitlines() if x.startswith("Overdue"))


def test_it_prints_the_overdue_request_not_escalated_yet_naming_its_raiser(demo_output):
    line = _overdue_line(demo_output)
    found = re.match(r"Overdue, not escalated yet: (INC\d+) as (\w+) \(", line)
    reference, raiser = found.groups()
    incident = Incident.objects.get(pk=pk_from_reference(reference))

    assert incident.status == IncidentStatus.AWAITING_INSTALLER
    assert incident.due_at < timezone.now()
    assert incident.breached_at is None
    assert incident.raised_by.username == raiser
    assert "The demo's beat escalates it within half a minute" in line


def test_once_the_sweep_escalated_it_the_overdue_request_is_printed_as_escalated(demo_output):
    reference = re.search(r"(INC\d+)", _overdue_line(demo_output)).group(1)

    assert incident_escalate_overdue() == 1
    again = _overdue_line(load_demo_data())

    assert again.startswith("Overdue and escalated at ")
    assert reference in again


@pytest.mark.parametrize("holiday_week", [dt.date(2026, 12, 24), dt.date(2027, 1, 4)])
def test_the_overdue_request_is_overdue_whatever_the_bank_holidays_before_it(holiday_week):
    now = dt.datetime.combine(holiday_week, dt.time(12), tzinfo=dt.UTC)

    started = overdue_start(now, hours=4)

    assert answer_deadline(started) < now


def test_the_bulk_devices_asked_for_are_all_raised_by_aurora_from_the_file_it_writes(
    tmp_path,
):
    bulk_file = tmp_path / "bulk.csv"
    out = io.StringIO()
    call_command("load_demo_data", bulk_devices=30, bulk_file=bulk_file, stdout=out)
    aurora = User.objects.get(username="aurora")

    made = process(upload(aurora, "raise", bulk_file.read_bytes(), now=timezone.now()), now=None)

    assert Device.objects.count() == DEVICE_COUNT + 2 * 30  # a Comms Hub and a meter a home
    assert "A file of 30 Devices aurora may request" in out.getvalue()
    assert (made.status, made.accepted_rows, made.refused_rows) == ("done", 30, 0)


def test_running_it_twice_with_bulk_devices_adds_none_the_second_time(tmp_path):
    first = io.StringIO()
    call_command("load_demo_data", bulk_devices=30, bulk_file=tmp_path / "a.csv", stdout=first)

    again = io.StringIO()
    call_command("load_demo_data", bulk_devices=30, bulk_file=tmp_path / "b.csv", stdout=again)

    assert "(0 new)" in again.getvalue()
    assert (tmp_path / "a.csv").read_text() == (tmp_path / "b.csv").read_text()
