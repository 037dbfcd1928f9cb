"""Bulk runs on PostgreSQL: the chunks are written by a thread of their own while the run parses
the next, and still each chunk is written once, in file order, and a run that dies resumes
exactly."""

import threading
from unittest import mock

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections

from conftest import INSTALL_CODE
from incidents.models import BulkRow, BulkStatus, EventKind, Incident, IncidentEvent
from incidents.services import incident_raise
from incidents.services.bulk import jobs
from incidents.services.bulk.answering import AnswerRows
from incidents.services.bulk.jobs import bulk_upload_process
from incidents.services.bulk.raising import RaiseRows
from tests.factories import DeviceFactory
from tests.support.bulk import ANSWER_HEADER, NOW, csv_bytes, process, results, upload

pytestmark = [
    pytest.mark.postgres("a chunk writer on a connection of its own, outside any transaction"),
    pytest.mark.django_db(transaction=True),
]


def _queued(actor, kind: str, data: bytes):
    """An upload left queued: its (eager) task is not run on commit, the test runs it."""
    with mock.patch.object(jobs, "bulk_upload_publish"):
        return upload(actor, kind, data)


def _raise_file(actor, installer, rows: int):
    devices = [DeviceFactory(installing_supplier=installer) for _ in range(rows)]
    return _queued(actor, "raise", csv_bytes("device_id", *(d.device_id for d in devices)))


def _applied_by(monkeypatch, handler) -> list[str]:
    """The threads that applied each chunk, in order."""
    real_apply = handler.apply
    threads = []

    def apply(self, parsed, *, now):
        threads.append(threading.current_thread().name)
        return real_apply(self, parsed, now=now)

    monkeypatch.setattr(handler, "apply", apply)
    return threads


def _exact(made, rows: int) -> None:
    """Every line once, in file order, every request once, the counters right."""
    assert (made.status, made.processed_rows, made.accepted_rows, made.refused_rows) == (
        BulkStatus.DONE,
        rows,
        rows,
        0,
    )
    lines = list(BulkRow.objects.filter(upload=made).order_by("pk").values_list("line", flat=True))
    assert lines == list(range(2, rows + 2))
    assert Incident.objects.count() == rows


def test_the_chunks_are_written_in_file_order_by_a_thread_of_their_own(
    gaining_user, installing_supplier, monkeypatch
):
    made = _raise_file(gaining_user, installing_supplier, 7)
    threads = _applied_by(monkeypatch, RaiseRows)

    done = process(made, chunk_size=2)

    assert [name.rsplit("-", 1)[0] for name in threads] == ["bulk-chunk-writer"] * 4
    _exact(done, 7)


def test_through_a_pool_too_small_to_lend_both_writers_a_connection_the_chunks_go_in_turn(
    gaining_user, installing_supplier, monkeypatch
):
    # A pool of one connection (SSI_DB_POOL_MAX_SIZE=1) would keep the writers waiting for it
    # (the pool of two is served end to end in tests/integration/test_db_pool.py).
    made = _raise_file(gaining_user, installing_supplier, 5)
    threads = _applied_by(monkeypatch, RaiseRows)
    small = property(lambda self: mock.Mock(max_size=1))
    monkeypatch.setattr(type(connections[DEFAULT_DB_ALIAS]), "pool", small)

    done = process(made, chunk_size=2)

    assert threads == [threading.current_thread().name] * 3
    _exact(done, 5)


def test_a_run_whose_writer_dies_mid_file_is_resumed_exactly(
    gaining_user, installing_supplier, monkeypatch
):
    made = _raise_file(gaining_user, installing_supplier, 9)
    real_apply = RaiseRows.apply
    calls = []

    def dies_on_the_third_chunk(self, parsed, *, now):
        calls.append(len(parsed))
        if len(calls) == 3:
            raise RuntimeError("worker lost")
        return real_apply(self, parsed, now=now)

    monkeypatch.setattr(RaiseRows, "apply", dies_on_the_third_chunk)
    with pytest.raises(RuntimeError, match="worker lost"):
        process(made, chunk_size=2)
    made.refresh_from_db()
    assert (made.status, made.processed_rows, Incident.objects.count()) == (
        BulkStatus.PROCESSING,
        4,
        4,
    )
    assert BulkRow.objects.filter(upload=made).count() == 4

    resumed = process(made, chunk_size=2)

    _exact(resumed, 9)
    assert resumed.attempts == 2


def test_a_run_that_fails_while_parsing_keeps_the_chunks_it_handed_over(
    gaining_user, installing_supplier, monkeypatch
):
    made = _raise_file(gaining_user, installing_supplier, 6)
    real_parse = RaiseRows.parse
    parsed = []

    def fails_on_the_fifth_row(self, row):
        parsed.append(row.line)
        if len(parsed) == 5:
            raise RuntimeError("worker lost")
        return real_parse(self, row)

    monkeypatch.setattr(RaiseRows, "parse", fails_on_the_fifth_row)
    with pytest.raises(RuntimeError, match="worker lost"):
        process(made, chunk_size=2)
    made.refresh_from_db()
    assert (made.processed_rows, Incident.objects.count()) == (4, 4)

    monkeypatch.setattr(RaiseRows, "parse", real_parse)
    _exact(process(made, chunk_size=2), 6)


def test_two_runs_on_one_upload_write_each_chunk_once(
    gaining_user, installing_supplier, monkeypatch
):
    made = _raise_file(gaining_user, installing_supplier, 20)
    real_apply = RaiseRows.apply
    outcomes = []
    second = []

    def second_run():
        try:
            outcomes.append(bulk_upload_process(upload_id=made.pk, continuation=True, now=NOW))
        except Exception as exc:  # noqa: BLE001 (the assertion below shows it)
            outcomes.append(exc)
        finally:
            connection.close()

    def start_a_second_run_on_the_second_chunk(self, parsed, *, now):
        if not second and BulkRow.objects.filter(upload=made).count() == 2:
            # A duplicate task starts while this chunk holds the upload's lock.
            second.append(threading.Thread(target=second_run))
            second[0].start()
        return real_apply(self, parsed, now=now)

    monkeypatch.setattr(RaiseRows, "apply", start_a_second_run_on_the_second_chunk)

    outcomes.append(bulk_upload_process(upload_id=made.pk, chunk_size=2, now=NOW))
    second[0].join()

    assert outcomes.count("done") == 1
    assert set(outcomes) <= {"done", "superseded", "nothing"}
    made.refresh_from_db()
    _exact(made, 20)


def test_a_single_raise_that_wins_the_race_in_a_later_chunk_leaves_only_its_row_refused(
    gaining_user, gaining_colleague, installing_supplier, monkeypatch
):
    import incidents.services.bulk.raising as bulk_raise

    devices = [DeviceFactory(installing_supplier=installing_supplier) for _ in range(6)]
    real_refusal = bulk_raise.device_refusal
    raced = []

    def concurrent_raise_first(device, device_id, supplier):
        if device_id == devices[3].device_id and not raced:
            # Another user's single raise commits after the chunk looked for open requests.
            def single_raise():
                try:
                    raced.append(incident_raise(actor=gaining_colleague, device_id=device_id))
                finally:
                    connection.close()

            thread = threading.Thread(target=single_raise)
            thread.start()
            thread.join()
        return real_refusal(device, device_id, supplier)

    monkeypatch.setattr(bulk_raise, "device_refusal", concurrent_raise_first)
    made = _queued(gaining_user, "raise", csv_bytes("device_id", *(d.device_id for d in devices)))

    done = process(made, chunk_size=2)

    rows = results(done)
    assert [rows[line].result for line in range(2, 8)] == [
        "accepted",
        "accepted",
        "accepted",
        "refused",
        "accepted",
        "accepted",
    ]
    assert rows[5].reason_code == "already_open"
    assert raced[0].reference in rows[5].message
    assert Incident.objects.filter(device=devices[3]).count() == 1
    assert (done.processed_rows, done.accepted_rows, done.refused_rows) == (6, 5, 1)


def test_a_run_out_of_time_writes_what_it_handed_over_then_continues(
    gaining_user, installing_supplier
):
    made = _raise_file(gaining_user, installing_supplier, 5)

    # The continuation is published after commit and runs at once (eager in tests).
    outcome = bulk_upload_process(upload_id=made.pk, chunk_size=2, time_budget=0, now=NOW)

    assert outcome == "continued"
    made.refresh_from_db()
    _exact(made, 5)
    assert made.attempts == 1


def test_a_request_named_in_two_chunks_is_answered_once(
    gaining_user, installing_user, installing_supplier, monkeypatch
):
    device = DeviceFactory(
        installing_supplier=installing_supplier, registered=gaining_user.supplier
    )
    incident = incident_raise(actor=gaining_user, device_id=device.device_id, now=NOW)
    threads = _applied_by(monkeypatch, AnswerRows)
    data = csv_bytes(
        ANSWER_HEADER,
        f"{incident.reference},{INSTALL_CODE}",
        f"{device.device_id},{INSTALL_CODE}",
    )

    done = process(_queued(installing_user, "answer", data), chunk_size=1)

    rows = results(done)
    assert [name.rsplit("-", 1)[0] for name in threads] == ["bulk-chunk-writer"] * 2
    assert (rows[2].result, rows[3].reason_code) == ("accepted", "duplicate_in_file")
    assert IncidentEvent.objects.filter(kind=EventKind.CODE_PROVIDED).count() == 1


def test_a_chunk_that_read_the_tally_before_the_chunk_before_committed_is_done_again(
    settings, gaining_user, gaining_colleague, installing_supplier, monkeypatch
):
    import incidents.services.bulk.raising as bulk_raise

    settings.SSI_RAISE_LIMIT_PER_SUPPLIER = "8/day"
    made = _raise_file(gaining_user, installing_supplier, 6)
    for _ in range(3):  # a colleague raises three while the file waits: five places left
        device = DeviceFactory(installing_supplier=installing_supplier)
        incident_raise(actor=gaining_colleague, device_id=device.device_id, now=NOW)
    real_allowance = bulk_raise.supplier_allowance
    reads = []

    def third_read_misses_the_chunk_before(supplier_id, *, now):
        reads.append(real_allowance(supplier_id, now=now))
        # As if the second chunk's two raises were not yet committed.
        return reads[-1] + 2 if len(reads) == 3 else reads[-1]

    monkeypatch.setattr(bulk_raise, "supplier_allowance", third_read_misses_the_chunk_before)

    done = process(made, chunk_size=2)

    rows = results(done)
    assert [rows[line].reason_code for line in range(2, 8)] == [""] * 5 + ["rate_limited"]
    # The third chunk read the tally again, in turn, once the second had committed.
    assert (len(reads), reads[-1]) == (4, 1)
    assert Incident.objects.count() == 8
    assert (done.accepted_rows, done.refused_rows) == (5, 1)


def test_a_single_raise_committed_just_before_the_chunks_insert_leaves_only_its_row_refused(
    gaining_user, gaining_colleague, installing_supplier, monkeypatch
):
    import incidents.services.bulk.raising as bulk_raise

    devices = [DeviceFactory(installing_supplier=installing_supplier) for _ in range(3)]
    real_take = bulk_raise.lodged_codes_take
    raced = []

    def concurrent_raise_first(chunk_devices):
        if not raced:
            # After the chunk looked for open requests, before its COPY of the incidents.
            def single_raise():
                try:
                    raced.append(
                        incident_raise(actor=gaining_colleague, device_id=devices[1].device_id)
                    )
                finally:
                    connection.close()

            thread = threading.Thread(target=single_raise)
            thread.start()
            thread.join()
        return real_take(chunk_devices)

    monkeypatch.setattr(bulk_raise, "lodged_codes_take", concurrent_raise_first)
    made = _queued(gaining_user, "raise", csv_bytes("device_id", *(d.device_id for d in devices)))

    done = process(made)

    rows = results(done)
    assert [rows[line].result for line in (2, 3, 4)] == ["accepted", "refused", "accepted"]
    assert rows[3].reason_code == "already_open"
    assert raced[0].reference in rows[3].message
    assert Incident.objects.filter(device=devices[1]).count() == 1
