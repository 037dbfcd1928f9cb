"""Install codes lodged in advance: who may lodge one, the request answered at once from it
(single and bulk raise), and the purge."""

import datetime as dt

import pytest

from conftest import INSTALL_CODE, INSTALL_CODE_WITH_CRC
from incidents.models import (
    Assignment,
    AssignmentOutcome,
    BulkOutcome,
    EventKind,
    Incident,
    IncidentEvent,
    IncidentStatus,
    LodgedCode,
)
from incidents.services import incident_raise, incident_reveal_code
from incidents.services.lodged import lodged_codes_purge
from inventory.models import DeviceType, SMIStatus
from notifications.models import Notification
from ssi_portal.lib.crypto import key_ring
from tests.factories import DeviceFactory
from tests.support.bulk import (
    LODGE_HEADER,
    NOW,
    RAISE_HEADER,
    csv_bytes,
    only_result,
    process,
    results,
    run,
    upload,
)
from tests.support.mail import leaks_install_code

pytestmark = pytest.mark.django_db

LATER = NOW + dt.timedelta(days=2)


def _lodge(actor, *rows, now=NOW):
    return run(actor, "lodge", LODGE_HEADER, *rows, now=now)


@pytest.fixture
def lodged(installing_user, device):
    """The installing Supplier lodged the code of its Device."""
    _lodge(installing_user, f"{device.device_id},{INSTALL_CODE_WITH_CRC}")
    return LodgedCode.objects.get(device=device)


# --- Lodging ------------------------------------------------------------------------------------


def test_the_installing_supplier_lodges_the_code_of_a_device_it_pre_notified(
    installing_user, device
):
    made = _lodge(installing_user, f"{device.device_id},{INSTALL_CODE_WITH_CRC}")

    row = only_result(made)
    assert (row.result, row.outcome) == ("accepted", BulkOutcome.LODGED)
    code = LodgedCode.objects.get(device=device)
    assert (code.supplier, code.lodged_by, code.lodged_at) == (
        installing_user.supplier,
        installing_user,
        NOW,
    )


def test_a_lodged_code_is_sealed_and_bound_to_its_device(lodged, device):
    sealed = bytes(lodged.code_sealed)

    assert INSTALL_CODE.encode() not in sealed and bytes.fromhex(INSTALL_CODE) not in sealed
    assert key_ring().open(sealed, aad=f"lodged:{device.device_id}".encode()) == bytes.fromhex(
        INSTALL_CODE
    )


def test_lodging_a_device_again_replaces_its_code(installing_user, lodged, device):
    made = _lodge(installing_user, f"{device.device_id},00112233445566778899AABBCCDDEEFF")

    assert only_result(made).message.endswith("It replaces the code lodged before.")
    assert LodgedCode.objects.count() == 1


def test_a_device_another_supplier_pre_notified_is_refused_as_not_prenotified_by_you(
    other_supplier_user, device
):
    row = only_result(_lodge(other_supplier_user, f"{device.device_id},{INSTALL_CODE}"))

    assert row.reason_code == "not_prenotified_by_you"
    assert row.message == (
        f"Third Party Gas did not pre-notify Device {device.device_id}: only the installing "
        "Supplier may lodge its install code."
    )
    assert not LodgedCode.objects.exists()


def test_a_device_missing_from_the_smi_is_refused(installing_user):
    row = only_result(_lodge(installing_user, f"00-DB-12-34-56-78-90-FF,{INSTALL_CODE}"))

    assert row.reason_code == "not_in_smi"


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"device_type": DeviceType.CHF}, "ineligible_type"),
        ({"smi_status": SMIStatus.COMMISSIONED}, "ineligible_status"),
    ],
)
def test_a_device_no_request_could_be_raised_for_is_refused(
    installing_user, installing_supplier, fields, reason
):
    ineligible = DeviceFactory(installing_supplier=installing_supplier, **fields)

    row = only_result(_lodge(installing_user, f"{ineligible.device_id},{INSTALL_CODE}"))

    assert row.reason_code == reason


def test_a_device_with_an_open_request_is_refused_pointing_to_the_request(
    installing_user, incident
):
    row = only_result(_lodge(installing_user, f"{incident.device.device_id},{INSTALL_CODE}"))

    assert row.reason_code == "already_open"
    assert f"{incident.reference}: answer that request instead" in row.message


def test_a_bad_code_is_refused_and_never_kept(installing_user, device):
    row = only_result(_lodge(installing_user, f"{device.device_id},{INSTALL_CODE}0000"))

    assert row.reason_code == "bad_install_code"
    assert not leaks_install_code(row.message, INSTALL_CODE)
    assert not LodgedCode.objects.exists()


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        (
            "0" * 32,
            "This install code is all zeros (sixteen 00 bytes), a placeholder and not "
            "a real code: copy the code from the Device's label.",
        ),
        (
            f"{INSTALL_CODE[:16]}\t{INSTALL_CODE[16:]}",
            "Only spaces, hyphens and colons may "
            "separate the groups of an install code; a tab is not allowed.",
        ),
    ],
    ids=["placeholder", "tab"],
)
def test_a_lodged_code_is_refused_in_the_words_of_the_answer_form(
    installing_user, device, cell, message
):
    row = only_result(_lodge(installing_user, f"{device.device_id},{cell}"))

    assert (row.reason_code, row.message) == ("bad_install_code", message)
    assert not LodgedCode.objects.exists()


def test_a_good_code_after_a_bad_one_for_the_same_device_is_lodged(installing_user, device):
    made = _lodge(
        installing_user,
        f"{device.device_id},{INSTALL_CODE}0000",
        f"{device.device_id},{INSTALL_CODE}",
    )

    rows = results(made)
    assert (rows[2].reason_code, rows[3].outcome) == ("bad_install_code", BulkOutcome.LODGED)
    assert LodgedCode.objects.filter(device=device).exists()


def test_a_device_lodged_twice_in_one_file_keeps_the_first(installing_user, device):
    made = _lodge(
        installing_user,
        f"{device.device_id},{INSTALL_CODE}",
        f"{device.device_id},00112233445566778899AABBCCDDEEFF",
    )

    assert results(made)[3].reason_code == "duplicate_in_file"
    code = LodgedCode.objects.get()
    assert key_ring().open(
        code.code_sealed, aad=LodgedCode.seal_context_for(device.device_id)
    ) == bytes.fromhex(INSTALL_CODE)


# --- Answered at once ---------------------------------------------------------------------------


def test_a_single_raise_for_a_device_with_a_lodged_code_is_answered_at_once(
    gaining_user, installing_supplier, lodged, device
):
    incident = incident_raise(actor=gaining_user, device_id=device.device_id, now=LATER)

    incident.refresh_from_db()
    assert incident.status == IncidentStatus.CODE_PROVIDED
    assert (incident.code_provided_by, incident.code_provided_at) == (installing_supplier, LATER)
    assert incident_reveal_code(actor=gaining_user, incident=incident) == bytes.fromhex(
        INSTALL_CODE
    )
    assert not LodgedCode.objects.exists()


def test_answering_from_a_lodged_code_says_so_on_the_timeline_and_ends_the_clock_on_time(
    gaining_user, lodged, device
):
    incident = incident_raise(actor=gaining_user, device_id=device.device_id, now=LATER)

    kinds = list(
        IncidentEvent.objects.filter(incident=incident)
        .order_by("id")
        .values_list("kind", "to_status", "message")
    )
    assert [k[:2] for k in kinds] == [
        (EventKind.RAISED, IncidentStatus.AWAITING_INSTALLER),
        (EventKind.CODE_PROVIDED, IncidentStatus.CODE_PROVIDED),
    ]
    assert kinds[1][2] == (
        "Answered at once from the install code Installing Power lodged in advance."
    )
    assignment = Assignment.objects.get(incident=incident)
    assert (assignment.outcome, assignment.answered_late, assignment.answer_working_days) == (
        AssignmentOutcome.CODE_PROVIDED,
        False,
        0,
    )


def test_the_installing_supplier_is_told_its_lodged_code_was_used_and_the_raiser_has_the_code(
    gaining_user,
    installing_supplier,
    lodged,
    device,
    django_capture_on_commit_callbacks,
    mailoutbox,
):
    with django_capture_on_commit_callbacks(execute=True):
        incident = incident_raise(actor=gaining_user, device_id=device.device_id, now=LATER)

    by_template = sorted(Notification.objects.values_list("template", "recipient"))
    assert by_template == sorted(
        [("incident_code_provided", "raiser@gaining.example")]
        + [("lodged_code_used", email) for email in installing_supplier.contact_emails]
    )
    to_installer = next(m for m in mailoutbox if m.to[0] in installing_supplier.contact_emails)
    assert to_installer.subject == (
        f"[SSI] {incident.reference}: answered at once from your lodged install code"
    )
    for message in mailoutbox:
        assert not leaks_install_code(f"{message.subject}\n{message.body}", INSTALL_CODE)


def test_the_raise_page_says_the_request_was_answered_at_once(client, gaining_user, lodged, device):
    client.force_login(gaining_user)

    response = client.post("/incidents/new/", {"device_id": device.device_id}, follow=True)

    assert "answered at once: Installing Power lodged the install code" in response.content.decode()


def test_a_code_lodged_by_a_supplier_that_is_no_longer_the_installer_is_not_used(
    gaining_user, other_supplier, lodged, device
):
    device.installing_supplier = other_supplier
    device.save()

    incident = incident_raise(actor=gaining_user, device_id=device.device_id, now=LATER)

    assert incident.status == IncidentStatus.AWAITING_INSTALLER
    assert incident.assigned_supplier == other_supplier


def test_a_bulk_raise_answers_at_once_the_devices_with_a_lodged_code(
    gaining_user, installing_supplier, lodged, device
):
    other = DeviceFactory(installing_supplier=installing_supplier)

    made = run(gaining_user, "raise", RAISE_HEADER, device.device_id, other.device_id, now=LATER)

    rows = results(made)
    assert (rows[2].outcome, rows[3].outcome) == (
        BulkOutcome.ANSWERED_FROM_LODGED,
        BulkOutcome.RAISED,
    )
    assert rows[2].message == (
        "Raised. Answered at once from the install code Installing Power lodged in advance."
    )
    answered = Incident.objects.get(device=device)
    assert answered.status == IncidentStatus.CODE_PROVIDED
    assert incident_reveal_code(actor=gaining_user, incident=answered) == bytes.fromhex(
        INSTALL_CODE
    )
    assert IncidentEvent.objects.filter(incident=answered, kind=EventKind.CODE_PROVIDED).exists()
    assert Assignment.objects.get(incident=answered).outcome == AssignmentOutcome.CODE_PROVIDED
    assert not LodgedCode.objects.exists()


def test_the_bulk_digest_tells_the_installer_which_requests_its_lodged_codes_answered(
    gaining_user,
    installing_supplier,
    lodged,
    device,
    django_capture_on_commit_callbacks,
    mailoutbox,
):
    other = DeviceFactory(installing_supplier=installing_supplier)
    made = upload(
        gaining_user, "raise", csv_bytes("device_id", device.device_id, other.device_id), now=LATER
    )

    with django_capture_on_commit_callbacks(execute=True):
        process(made, now=LATER)

    assert len(mailoutbox) == len(installing_supplier.contact_emails)
    body = mailoutbox[0].body
    assert "1 request awaits your answer" in body
    assert "1 request was answered at once from the install codes you lodged" in body
    assert not leaks_install_code(body, INSTALL_CODE)
    assert set(Notification.objects.values_list("template", flat=True)) == {
        "bulk_requests_assigned"
    }


# --- Purge --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "status", [SMIStatus.COMMISSIONED, SMIStatus.DECOMMISSIONED, SMIStatus.WITHDRAWN]
)
def test_the_purge_deletes_the_code_of_a_device_past_needing_it(lodged, device, status):
    device.smi_status = status
    device.save()

    assert lodged_codes_purge(now=LATER) == 1
    assert not LodgedCode.objects.exists()


def test_the_purge_deletes_codes_older_than_the_retention_period(lodged, settings):
    settings.SSI_LODGED_CODE_RETENTION_DAYS = 30

    assert lodged_codes_purge(now=NOW + dt.timedelta(days=30)) == 0
    assert lodged_codes_purge(now=NOW + dt.timedelta(days=31)) == 1


def test_the_purge_keeps_a_usable_code_and_is_safe_to_run_twice(lodged, device):
    assert lodged_codes_purge(now=LATER) == 0
    assert lodged_codes_purge(now=LATER) == 0
    assert LodgedCode.objects.filter(device=device).exists()


def test_the_purge_runs_daily_from_the_beat_schedule(settings):
    from incidents.tasks import purge_lodged_codes

    entry = settings.CELERY_BEAT_SCHEDULE["purge-lodged-codes"]
    assert entry["task"] == purge_lodged_codes.name
    assert entry["schedule"] == 24 * 60 * 60
