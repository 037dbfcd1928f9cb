"""Bulk raise: every row gets a result, the same rules as a single raise, no duplicate request
ever (a file uploaded twice, a run that died and resumed), and one digest email per Supplier."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.models import (
    Assignment,
    BulkOutcome,
    BulkRow,
    BulkStatus,
    EventKind,
    Incident,
    IncidentEvent,
    IncidentStatus,
)
from incidents.services import incident_raise
from incidents.services.bulk.raising import RaiseRows
from inventory.models import DeviceType, SMIStatus
from notifications.models import Notification
from tests.factories import DeviceFactory
from tests.support.bulk import (
    DUE,
    NOW,
    RAISE_HEADER,
    csv_bytes,
    only_result,
    process,
    results,
    run,
    upload,
)

pytestmark = pytest.mark.django_db

UNKNOWN = "00-DB-12-34-56-78-90-FF"


def _raise(actor, *rows, **kwargs):
    return run(actor, "raise", RAISE_HEADER, *rows, **kwargs)


def _devices(n: int, installer, **fields):
    return [DeviceFactory(installing_supplier=installer, **fields) for _ in range(n)]


# --- Accepted rows ------------------------------------------------------------------------------


def test_each_row_raises_a_request_assigned_to_the_supplier_that_pre_notified_its_device(
    gaining_user, installing_supplier
):
    devices = _devices(3, installing_supplier)

    made = _raise(gaining_user, *(d.device_id for d in devices))

    assert made.status == BulkStatus.DONE
    assert (made.total_rows, made.processed_rows, made.accepted_rows, made.refused_rows) == (
        3,
        3,
        3,
        0,
    )
    incidents = Incident.objects.order_by("pk")
    assert [i.device for i in incidents] == devices
    assert {
        (i.status, i.assigned_supplier, i.raising_supplier, i.raised_by) for i in incidents
    } == {
        (
            IncidentStatus.AWAITING_INSTALLER,
            installing_supplier,
            gaining_user.supplier,
            gaining_user,
        )
    }


def test_a_bulk_raised_request_has_the_deadline_clock_and_event_of_a_single_raise(
    gaining_user, device
):
    _raise(gaining_user, device.device_id)

    incident = Incident.objects.get()
    assert (incident.notified_at, incident.due_at) == (NOW, DUE)
    assignment = Assignment.objects.get(incident=incident)
    assert (assignment.supplier_id, assignment.due_at, assignment.ended_at) == (
        device.installing_supplier_id,
        DUE,
        None,
    )
    event = IncidentEvent.objects.get(incident=incident)
    assert (event.kind, event.actor, event.actor_supplier) == (
        EventKind.RAISED,
        gaining_user,
        gaining_user.supplier,
    )
    assert event.to_status == IncidentStatus.AWAITING_INSTALLER
    assert event.message.startswith("Assigned to the installing Supplier, Installing Power.")
    assert "answer due by the end of Friday 10 April, UK time." in event.message


def test_an_accepted_row_names_its_request_and_keeps_the_suppliers_reference(gaining_user, device):
    made = _raise(gaining_user, f"{device.device_id.lower()},JOB-1042")

    row = only_result(made)
    assert (row.result, row.outcome, row.reason_code) == ("accepted", BulkOutcome.RAISED, "")
    assert (row.device_id, row.reference) == (device.device_id, "JOB-1042")
    assert row.incident == Incident.objects.get()
    assert row.message == (
        "Raised and assigned to Installing Power; answer due by the end of Friday 10 April, UK "
        "time."
    )


def test_a_device_without_an_installing_supplier_goes_to_the_helpdesk(gaining_user):
    orphan = DeviceFactory(installing_supplier=None)

    made = _raise(gaining_user, orphan.device_id)

    incident = Incident.objects.get()
    assert (incident.status, incident.assigned_supplier, incident.due_at) == (
        IncidentStatus.WITH_HELPDESK,
        None,
        None,
    )
    assert not Assignment.objects.exists()
    assert only_result(made).outcome == BulkOutcome.SENT_TO_HELPDESK


# --- Refused rows, one reason each --------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "names_the_problem"),
    [
        ("00-DB-12", "this one has 6"),
        ("00-DB-12-34-56-78-90-AZ", "'Z' is not one"),
        ("FF-FF-FF-FF-FF-FF-FF-FF", "reserved"),
    ],
)
def test_a_malformed_device_id_is_refused_as_bad_format(gaining_user, cell, names_the_problem):
    row = only_result(_raise(gaining_user, f"{cell},JOB-1"))

    assert (row.result, row.reason_code) == ("refused", "bad_format")
    assert names_the_problem in row.message
    assert (row.device_id, row.reference) == (cell, "JOB-1")
    assert row.incident is None


def test_a_row_with_more_columns_than_the_header_is_refused_as_bad_format(gaining_user, device):
    row = only_result(_raise(gaining_user, f"{device.device_id},JOB-1,extra"))

    assert row.reason_code == "bad_format"
    assert row.message == "Line 2 has more filled columns than the header, which has 2."


def test_a_reference_that_looks_like_an_install_code_is_refused_and_not_kept(gaining_user, device):
    row = only_result(_raise(gaining_user, f"{device.device_id},83FED3407A939723A5C639B26916D505"))

    assert row.reason_code == "bad_format"
    assert "looks like an install code" in row.message
    assert row.reference == ""
    assert not Incident.objects.exists()


def test_a_device_missing_from_the_smi_is_refused_as_not_in_smi(gaining_user, device):
    row = only_result(_raise(gaining_user, UNKNOWN))

    assert row.reason_code == "not_in_smi"
    assert row.message == f"Device {UNKNOWN} is not in the Smart Metering Inventory."


def test_a_device_of_a_type_without_install_code_is_refused_as_ineligible_type(
    gaining_user, installing_supplier
):
    [hub] = _devices(1, installing_supplier, device_type=DeviceType.CHF)

    row = only_result(_raise(gaining_user, hub.device_id))

    assert row.reason_code == "ineligible_type"
    assert "Communications Hub" in row.message


def test_a_device_not_awaiting_commissioning_is_refused_as_ineligible_status(
    gaining_user, installing_supplier
):
    [meter] = _devices(1, installing_supplier, smi_status=SMIStatus.COMMISSIONED)

    row = only_result(_raise(gaining_user, meter.device_id))

    assert row.reason_code == "ineligible_status"
    assert "has SMI status Commissioned" in row.message


def test_a_device_the_raiser_pre_notified_itself_is_refused_as_own_device(
    gaining_user, gaining_supplier
):
    [own] = _devices(1, gaining_supplier)

    row = only_result(_raise(gaining_user, own.device_id))

    assert row.reason_code == "own_device"
    assert "Gaining Energy pre-notified" in row.message


def test_a_device_with_an_open_request_is_refused_as_already_open_naming_it(
    gaining_user, gaining_colleague, device
):
    existing = incident_raise(actor=gaining_colleague, device_id=device.device_id)

    row = only_result(_raise(gaining_user, device.device_id))

    assert row.reason_code == "already_open"
    assert row.message == (
        f"Device {device.device_id} already has an open Request for Install Code, "
        f"{existing.reference}."
    )
    assert row.incident == existing
    assert Incident.objects.count() == 1


def test_a_device_named_twice_in_the_file_is_raised_once_and_the_repeat_names_the_first_line(
    gaining_user, device
):
    made = _raise(gaining_user, device.device_id, "zz", device.device_id.replace("-", ""))

    rows = results(made)
    assert (rows[2].result, rows[4].result) == ("accepted", "refused")
    assert rows[4].reason_code == "duplicate_in_file"
    assert rows[4].message == (
        f"Device {device.device_id} is also on line 2 of this file; only line 2 is used."
    )
    assert Incident.objects.count() == 1


def test_every_row_of_a_mixed_file_gets_one_result(gaining_user, device, installing_supplier):
    [other] = _devices(1, installing_supplier)

    made = _raise(gaining_user, device.device_id, "bad", UNKNOWN, other.device_id, "zz")

    assert sorted(results(made)) == [2, 3, 4, 5, 6]
    assert (made.accepted_rows, made.refused_rows) == (2, 3)


def test_a_mixed_file_over_several_chunks_gets_row_by_row_the_results_of_single_raises(
    gaining_user, gaining_colleague, gaining_supplier, installing_supplier, installing_user, device
):
    """Every kind of row at once, split over three chunks: each row's result is the one
    expected, each refusal is the one a single raise gives for that Device, and only the
    accepted rows have a request."""
    from conftest import INSTALL_CODE_WITH_CRC
    from incidents.services.common import IncidentError
    from tests.support.bulk import LODGE_HEADER

    run(installing_user, "lodge", LODGE_HEADER, f"{device.device_id},{INSTALL_CODE_WITH_CRC}")
    [hub] = _devices(1, installing_supplier, device_type=DeviceType.CHF)
    [commissioned] = _devices(1, installing_supplier, smi_status=SMIStatus.COMMISSIONED)
    [own] = _devices(1, gaining_supplier)
    opened, other, last = _devices(3, installing_supplier)
    existing = incident_raise(actor=gaining_colleague, device_id=opened.device_id)
    orphan = DeviceFactory(installing_supplier=None)
    cells = [
        device.device_id,  # line 2: answered at once from its lodged code
        "bad",
        UNKNOWN,
        hub.device_id,
        commissioned.device_id,  # line 6: the second chunk starts
        own.device_id,
        opened.device_id,
        f"{other.device_id},JOB-9",
        orphan.device_id,  # line 10: the third chunk starts
        other.device_id.replace("-", "").lower(),
        f"{last.device_id},JOB-12",
    ]

    made = _raise(gaining_user, *cells, chunk_size=4)

    got = {
        line: (row.result, row.outcome, row.reason_code, row.device_id, row.reference)
        for line, row in results(made).items()
    }
    ok, no = "accepted", "refused"
    assert got == {
        2: (ok, BulkOutcome.ANSWERED_FROM_LODGED, "", device.device_id, ""),
        3: (no, "", "bad_format", "bad", ""),
        4: (no, "", "not_in_smi", UNKNOWN, ""),
        5: (no, "", "ineligible_type", hub.device_id, ""),
        6: (no, "", "ineligible_status", commissioned.device_id, ""),
        7: (no, "", "own_device", own.device_id, ""),
        8: (no, "", "already_open", opened.device_id, ""),
        9: (ok, BulkOutcome.RAISED, "", other.device_id, "JOB-9"),
        10: (ok, BulkOutcome.SENT_TO_HELPDESK, "", orphan.device_id, ""),
        11: (no, "", "duplicate_in_file", other.device_id, ""),
        12: (ok, BulkOutcome.RAISED, "", last.device_id, "JOB-12"),
    }
    assert (made.accepted_rows, made.refused_rows) == (4, 7)
    assert results(made)[8].incident == existing
    for line in (4, 5, 6, 7, 8):
        row = results(made)[line]
        with pytest.raises(IncidentError) as refused:
            incident_raise(actor=gaining_user, device_id=row.device_id)
        assert (refused.value.code, refused.value.message) == (row.reason_code, row.message)
    raised = Incident.objects.filter(raised_by=gaining_user)
    assert sorted(raised.values_list("device__device_id", flat=True)) == sorted(
        [device.device_id, other.device_id, orphan.device_id, last.device_id]
    )
    assert {(r.incident_id, r.line) for r in results(made).values() if r.result == ok} == {
        (i.pk, line)
        for line, i in zip(
            (2, 9, 10, 12),
            [raised.get(device=d) for d in (device, other, orphan, last)],
            strict=True,
        )
    }
    assert IncidentEvent.objects.filter(incident__in=raised, kind=EventKind.RAISED).count() == 4
    assert Assignment.objects.filter(incident__in=raised).count() == 3  # not the helpdesk's


# --- Never a duplicate --------------------------------------------------------------------------


def test_the_same_file_uploaded_twice_raises_nothing_the_second_time(gaining_user, device):
    data = csv_bytes(RAISE_HEADER, device.device_id)
    first = process(upload(gaining_user, "raise", data))

    second = process(upload(gaining_user, "raise", data))

    assert first.content_sha256 == second.content_sha256
    assert only_result(second).reason_code == "already_open"
    assert Incident.objects.count() == 1


def test_a_run_that_dies_halfway_is_resumed_without_duplicates_and_with_exact_counts(
    gaining_user, installing_supplier, monkeypatch
):
    devices = _devices(5, installing_supplier)
    made = upload(gaining_user, "raise", csv_bytes("device_id", *(d.device_id for d in devices)))
    real_apply = RaiseRows.apply
    calls = []

    def dies_on_the_second_chunk(self, parsed, *, now):
        calls.append(len(parsed))
        if len(calls) == 2:
            raise RuntimeError("worker lost")
        return real_apply(self, parsed, now=now)

    monkeypatch.setattr(RaiseRows, "apply", dies_on_the_second_chunk)
    with pytest.raises(RuntimeError):
        process(made, chunk_size=2)
    made.refresh_from_db()
    assert (made.status, made.processed_rows, Incident.objects.count()) == (
        BulkStatus.PROCESSING,
        2,
        2,
    )

    resumed = process(made, chunk_size=2)

    assert resumed.status == BulkStatus.DONE
    assert (resumed.processed_rows, resumed.accepted_rows, resumed.refused_rows) == (5, 5, 0)
    assert Incident.objects.count() == 5
    assert sorted(BulkRow.objects.values_list("line", flat=True)) == [2, 3, 4, 5, 6]
    assert resumed.attempts == 2


def test_a_resumed_run_still_refuses_a_repeat_of_a_device_raised_before_it_stopped(
    gaining_user, device
):
    data = csv_bytes("device_id", device.device_id, "zz", device.device_id)
    made = upload(gaining_user, "raise", data)
    process(made, chunk_size=2, time_budget=0)  # lines 2 and 3 commit, then the run stops
    assert made.processed_rows == 2

    resumed = process(made, chunk_size=2)

    row = results(resumed)[4]
    assert row.reason_code == "duplicate_in_file"
    assert row.message.endswith("only line 2 is used.")
    assert Incident.objects.count() == 1


def test_processing_a_finished_upload_again_does_nothing(gaining_user, device):
    made = _raise(gaining_user, device.device_id)

    again = process(made)

    assert again.status == BulkStatus.DONE
    assert (Incident.objects.count(), BulkRow.objects.count()) == (1, 1)


def test_a_run_out_of_time_queues_its_continuation_after_commit(
    gaining_user, installing_supplier, django_capture_on_commit_callbacks
):
    devices = _devices(3, installing_supplier)
    made = upload(gaining_user, "raise", csv_bytes("device_id", *(d.device_id for d in devices)))

    with django_capture_on_commit_callbacks() as callbacks:
        process(made, chunk_size=2, time_budget=0)

    assert made.processed_rows == 2
    assert len(callbacks) == 1
    callbacks[0]()  # the continuation (eager in tests) finishes the file
    made.refresh_from_db()
    assert (made.status, made.processed_rows, Incident.objects.count()) == (BulkStatus.DONE, 3, 3)
    assert made.attempts == 1


@pytest.mark.postgres("a single raise committing between a chunk's checks and its insert")
@pytest.mark.django_db(transaction=True)
def test_a_single_raise_that_wins_the_race_for_a_device_leaves_the_row_already_open(
    gaining_user, gaining_colleague, installing_supplier, monkeypatch
):
    import threading

    import incidents.services.bulk.raising as bulk_raise

    devices = _devices(3, installing_supplier)
    real_refusal = bulk_raise.device_refusal
    raced = []

    def concurrent_raise_first(device, device_id, supplier):
        if device_id == devices[1].device_id and not raced:
            # Another user's single raise commits after the chunk looked for open requests.
            def single_raise():
                try:
                    raced.append(incident_raise(actor=gaining_colleague, device_id=device_id))
                finally:
                    connection.close()  # the thread's own connection

            thread = threading.Thread(target=single_raise)
            thread.start()
            thread.join()
        return real_refusal(device, device_id, supplier)

    monkeypatch.setattr(bulk_raise, "device_refusal", concurrent_raise_first)

    # Committed, the upload is processed at once by the (eager) task.
    made = upload(gaining_user, "raise", csv_bytes("device_id", *(d.device_id for d in devices)))

    done = process(made)
    rows = results(done)
    assert [rows[line].result for line in (2, 3, 4)] == ["accepted", "refused", "accepted"]
    assert rows[3].reason_code == "already_open"
    assert raced[0].reference in rows[3].message
    assert Incident.objects.filter(device=devices[1]).count() == 1
    assert (done.accepted_rows, done.refused_rows) == (2, 1)


# --- Emails: one digest per Supplier ------------------------------------------------------------


def test_a_batch_sends_one_digest_to_each_installing_supplier_and_no_email_per_request(
    gaining_user,
    installing_supplier,
    other_supplier,
    django_capture_on_commit_callbacks,
    mailoutbox,
):
    devices = _devices(3, installing_supplier) + _devices(2, other_supplier)
    made = upload(gaining_user, "raise", csv_bytes("device_id", *(d.device_id for d in devices)))

    with django_capture_on_commit_callbacks(execute=True):
        process(made)

    assert sorted(m.to[0] for m in mailoutbox) == sorted(
        [*installing_supplier.contact_emails, *other_supplier.contact_emails]
    )
    assert set(Notification.objects.values_list("template", flat=True)) == {
        "bulk_requests_assigned"
    }
    to_installing = next(m for m in mailoutbox if m.to[0] in installing_supplier.contact_emails)
    assert to_installing.subject == (
        "[SSI] Gaining Energy raised 3 Requests for Install Code for your Devices"
    )
    assert "3 requests await your answer" in to_installing.body
    assert "http://testserver/incidents/assigned/?status=awaiting_installer" in to_installing.body
    assert set(Notification.objects.values_list("audience", flat=True)) == {
        installing_supplier.audience,
        other_supplier.audience,
    }


def test_requests_without_an_installer_send_one_digest_to_the_helpdesk(
    gaining_user, settings, django_capture_on_commit_callbacks, mailoutbox
):
    orphans = [DeviceFactory(installing_supplier=None) for _ in range(2)]
    made = upload(gaining_user, "raise", csv_bytes("device_id", *(d.device_id for d in orphans)))

    with django_capture_on_commit_callbacks(execute=True):
        process(made)

    assert [m.to for m in mailoutbox] == [[a] for a in settings.HELPDESK_EMAILS]
    assert "2 requests from a bulk upload by Gaining Energy" in mailoutbox[0].subject


def test_a_batch_with_no_request_raised_sends_no_email(
    gaining_user, django_capture_on_commit_callbacks, mailoutbox
):
    made = upload(gaining_user, "raise", csv_bytes("device_id", UNKNOWN))

    with django_capture_on_commit_callbacks(execute=True):
        process(made)

    assert mailoutbox == []


def test_a_batch_processed_twice_sends_its_digests_once(
    gaining_user, device, django_capture_on_commit_callbacks, mailoutbox
):
    made = upload(gaining_user, "raise", csv_bytes("device_id", device.device_id))

    with django_capture_on_commit_callbacks(execute=True):
        process(made)
        process(made)

    assert len(mailoutbox) == len(device.installing_supplier.contact_emails)


# --- Cost ---------------------------------------------------------------------------------------


def _upload_of(actor, installer, rows: int):
    devices = _devices(rows, installer)
    return upload(actor, "raise", csv_bytes("device_id", *(d.device_id for d in devices)))


def test_the_queries_of_a_chunk_do_not_grow_with_its_rows(
    gaining_user, installing_supplier, django_assert_max_num_queries
):
    ten = _upload_of(gaining_user, installing_supplier, 10)
    with CaptureQueriesContext(connection) as queries:
        process(ten)
    hundred = _upload_of(gaining_user, installing_supplier, 100)

    with django_assert_max_num_queries(len(queries)):
        process(hundred)

    assert (ten.accepted_rows, hundred.accepted_rows) == (10, 100)


# Queries a chunk of a bulk raise costs, whatever its size (the database's own: SQLite reads
# back the keys an INSERT gave; PostgreSQL reserves them first and streams with COPY, which
# is not counted): lock and check the upload, the Devices, registrations when the check is on,
# the rate limit's tally, open requests, lodged codes, the calendar, the keys, webhooks, the
# inserts, the tally, the counters, and the savepoint. Lower it when a query goes.
RAISE_CHUNK_QUERIES = {"postgresql": 14, "sqlite": 19}


def test_each_chunk_of_a_bulk_raise_costs_the_same_few_queries(gaining_user, installing_supplier):
    def queries_of(rows: int) -> int:
        made = _upload_of(gaining_user, installing_supplier, rows)
        with CaptureQueriesContext(connection) as queries:
            process(made, chunk_size=10)
        assert made.accepted_rows == rows
        return len(queries)

    two_chunks, three_chunks = queries_of(20), queries_of(30)

    assert three_chunks - two_chunks == RAISE_CHUNK_QUERIES[connection.vendor]
