"""Bulk answer: each row validated and answered like a single answer; one digest per raiser."""

import datetime as dt
import html

import pytest
from django.urls import reverse

from conftest import INSTALL_CODE, INSTALL_CODE_WITH_CRC
from incidents.models import (
    Assignment,
    AssignmentOutcome,
    BulkOutcome,
    BulkRow,
    EventKind,
    Incident,
    IncidentEvent,
    IncidentStatus,
)
from incidents.services import incident_answer, incident_close, incident_raise, incident_reveal_code
from notifications.models import Notification
from tests.factories import DeviceFactory
from tests.support.bulk import (
    ANSWER_HEADER,
    NOW,
    csv_bytes,
    only_result,
    process,
    results,
    run,
    upload,
)
from tests.support.mail import leaks_install_code

pytestmark = pytest.mark.django_db

LATER = NOW + dt.timedelta(days=1)
# Another valid code (no CRC) for a second request.
OTHER_CODE = "00112233445566778899AABBCCDDEEFF"
# Cells of the install_code column and the words that refuse them, in a bulk row and on the
# answer form alike.
BAD_CODES = [
    (
        f"{INSTALL_CODE}0000",
        "The last 4 digits (0000) are not the CRC of the first 32 (expected C3B5): check the "
        "code for a typing error.",
    ),
    (
        f"{INSTALL_CODE[:-1]}G",
        "An install code contains only the hex digits 0-9 and A-F; 'G' is not one.",
    ),
    ("", "Enter the install code."),
    (
        INSTALL_CODE[:8],
        "An install code has 32 hex digits, or 36 when its 4-digit CRC is included; this one "
        "has 8.",
    ),
    (
        "0" * 32,
        "This install code is all zeros (sixteen 00 bytes), a placeholder and not a real code: "
        "copy the code from the Device's label.",
    ),
    (
        f"{INSTALL_CODE[:16]}\t{INSTALL_CODE[16:]}",
        "Only spaces, hyphens and colons may separate the groups of an install code; a tab is "
        "not allowed.",
    ),
    (
        f'"{INSTALL_CODE[:16]}\n{INSTALL_CODE[16:]}"',
        "Only spaces, hyphens and colons may separate the groups of an install code; a line "
        "break is not allowed.",
    ),
    (
        f"{INSTALL_CODE[:16]}\u00a0{INSTALL_CODE[16:]}",
        "Only spaces, hyphens and colons may separate the groups of an install code; a no-break "
        "space is not allowed.",
    ),
]
BAD_CODE_IDS = [
    "wrong CRC",
    "not hex",
    "empty",
    "too short",
    "placeholder",
    "tab",
    "line break",
    "no-break space",
]


@pytest.fixture
def raised(gaining_user, device):
    """A request awaiting the installing Supplier's answer, raised at NOW."""
    return incident_raise(actor=gaining_user, device_id=device.device_id, now=NOW)


def _answer(actor, *rows, now=LATER):
    return run(actor, "answer", ANSWER_HEADER, *rows, now=now)


def _raise_for(actor, installer, now=NOW) -> Incident:
    return incident_raise(
        actor=actor,
        device_id=DeviceFactory(installing_supplier=installer, registered=actor.supplier).device_id,
        now=now,
    )


# --- Answered -----------------------------------------------------------------------------------


def test_a_row_naming_a_device_answers_its_open_request_with_the_code(installing_user, raised):
    made = _answer(installing_user, f"{raised.device.device_id},{INSTALL_CODE_WITH_CRC}")

    raised.refresh_from_db()
    assert raised.status == IncidentStatus.CODE_PROVIDED
    assert (raised.code_provided_by, raised.code_provided_at) == (installing_user.supplier, LATER)
    row = only_result(made)
    assert (row.result, row.outcome, row.incident) == (
        "accepted",
        BulkOutcome.CODE_PROVIDED,
        raised,
    )
    assert row.message == "Install code provided within the deadline."


def test_the_code_given_in_bulk_is_sealed_and_revealed_like_a_single_answer(
    gaining_user, installing_user, raised
):
    _answer(installing_user, f"{raised.reference},{INSTALL_CODE}")

    raised.refresh_from_db()
    assert INSTALL_CODE.encode() not in bytes(raised.install_code_sealed)
    assert incident_reveal_code(actor=gaining_user, incident=raised) == bytes.fromhex(INSTALL_CODE)


def test_a_bulk_answer_writes_the_event_and_ends_the_clock_like_a_single_answer(
    installing_user, raised
):
    _answer(installing_user, f"{raised.reference},{INSTALL_CODE}")

    event = IncidentEvent.objects.filter(incident=raised).latest("id")
    assert (event.kind, event.actor, event.actor_supplier) == (
        EventKind.CODE_PROVIDED,
        installing_user,
        installing_user.supplier,
    )
    assert (event.from_status, event.to_status) == (
        IncidentStatus.AWAITING_INSTALLER,
        IncidentStatus.CODE_PROVIDED,
    )
    assignment = Assignment.objects.get(incident=raised)
    assert (assignment.ended_at, assignment.outcome) == (LATER, AssignmentOutcome.CODE_PROVIDED)
    assert (assignment.answered_late, assignment.answer_working_days) == (False, 1)


def test_an_answer_after_the_deadline_is_recorded_late(installing_user, raised):
    _answer(installing_user, f"{raised.reference},{INSTALL_CODE}", now=NOW + dt.timedelta(days=30))

    assert Assignment.objects.get(incident=raised).answered_late is True
    assert only_result(BulkRow.objects.get().upload).message == (
        "Install code provided late, after the deadline."
    )


def test_a_row_may_name_the_request_by_its_reference(installing_user, raised):
    made = _answer(installing_user, f"{raised.reference.lower()},{INSTALL_CODE}")

    row = only_result(made)
    assert (row.result, row.device_id, row.incident) == ("accepted", raised.reference, raised)


@pytest.mark.parametrize("written", ["NOT_INSTALLED", "not installed", "Not_Installed"])
def test_not_installed_sends_the_request_to_the_helpdesk_with_its_clock_paused(
    installing_user, raised, written
):
    made = _answer(installing_user, f"{raised.reference},{written}")

    raised.refresh_from_db()
    assert (raised.status, raised.assigned_supplier, raised.due_at) == (
        IncidentStatus.WITH_HELPDESK,
        None,
        None,
    )
    assert only_result(made).outcome == BulkOutcome.NOT_INSTALLED
    event = IncidentEvent.objects.filter(incident=raised).latest("id")
    assert event.kind == EventKind.NOT_INSTALLED
    assert event.message.startswith("Installing Power says it did not install this Device.")
    assert Assignment.objects.get(incident=raised).outcome == AssignmentOutcome.NOT_INSTALLED


# --- Refused ------------------------------------------------------------------------------------


def test_a_code_with_a_wrong_crc_is_refused_as_bad_install_code(installing_user, raised):
    row = only_result(_answer(installing_user, f"{raised.reference},{INSTALL_CODE}0000"))

    assert row.reason_code == "bad_install_code"
    assert "are not the CRC of the first 32 (expected C3B5)" in row.message
    raised.refresh_from_db()
    assert raised.status == IncidentStatus.AWAITING_INSTALLER


def test_a_code_of_the_wrong_length_is_refused_as_bad_install_code(installing_user, raised):
    row = only_result(_answer(installing_user, f"{raised.reference},83FED340"))

    assert row.reason_code == "bad_install_code"
    assert "this one has 8" in row.message


def test_a_first_column_that_is_neither_a_device_nor_a_reference_is_refused_and_not_kept(
    installing_user, raised
):
    # The columns swapped: the code sits where the Device ID should be.
    row = only_result(_answer(installing_user, f"{INSTALL_CODE},{raised.device.device_id}"))

    assert row.reason_code == "bad_format"
    assert row.device_id == ""
    assert not leaks_install_code(row.message, INSTALL_CODE)


def test_a_request_assigned_to_another_supplier_is_refused_like_a_missing_one(
    gaining_user, installing_user, other_supplier
):
    theirs = _raise_for(gaining_user, other_supplier)

    made = _answer(
        installing_user, f"{theirs.reference},{INSTALL_CODE}", "INC9999999,NOT_INSTALLED"
    )

    rows = results(made)
    assert rows[2].reason_code == rows[3].reason_code == "not_assigned_to_you"
    assert rows[2].message == f"{theirs.reference} is not a request assigned to Installing Power."
    assert rows[3].message == "INC9999999 is not a request assigned to Installing Power."
    assert rows[2].incident is None
    theirs.refresh_from_db()
    assert theirs.status == IncidentStatus.AWAITING_INSTALLER


def test_a_device_without_an_open_request_assigned_to_us_is_refused(installing_user, device):
    row = only_result(_answer(installing_user, f"{device.device_id},{INSTALL_CODE}"))

    assert row.reason_code == "not_assigned_to_you"
    assert row.message == (
        f"Device {device.device_id} has no open request assigned to Installing Power."
    )


def test_a_request_already_answered_is_refused_as_not_awaiting_an_answer(installing_user, raised):
    incident_answer(actor=installing_user, incident=raised, install_code=INSTALL_CODE)

    row = only_result(_answer(installing_user, f"{raised.reference},{OTHER_CODE}"))

    assert row.reason_code == "not_awaiting_answer"
    assert row.message == (
        f"{raised.reference} is install code provided; only a request awaiting your answer "
        "can be answered."
    )
    assert incident_reveal_code(actor=installing_user, incident=raised) == bytes.fromhex(
        INSTALL_CODE
    )


def test_a_closed_request_is_refused_as_not_awaiting_an_answer(
    gaining_user, installing_user, raised
):
    incident_close(actor=gaining_user, incident=raised, outcome="no_longer_needed")

    row = only_result(_answer(installing_user, f"{raised.reference},{INSTALL_CODE}"))

    assert row.reason_code == "not_awaiting_answer"
    assert "is closed" in row.message


def test_a_request_named_twice_is_answered_once(installing_user, raised):
    made = _answer(
        installing_user,
        f"{raised.reference},{INSTALL_CODE}",
        f"{raised.device.device_id},{OTHER_CODE}",
    )

    rows = results(made)
    assert (rows[2].result, rows[3].reason_code) == ("accepted", "duplicate_in_file")
    assert rows[3].message == (
        f"{raised.reference} is also answered on line 2 of this file; only line 2 is used."
    )
    assert IncidentEvent.objects.filter(kind=EventKind.CODE_PROVIDED).count() == 1


def test_the_same_reference_twice_is_refused_as_a_duplicate(installing_user, raised):
    made = _answer(
        installing_user, f"{raised.reference},{INSTALL_CODE}", f"{raised.reference},{OTHER_CODE}"
    )

    assert results(made)[3].reason_code == "duplicate_in_file"
    assert results(made)[3].message == (
        f"Request {raised.reference} is also on line 2 of this file; only line 2 is used."
    )


def test_each_row_with_a_bad_code_gives_its_own_reason_even_for_the_same_request(
    installing_user, raised
):
    made = _answer(installing_user, *(f"{raised.reference},{cell}" for cell, _ in BAD_CODES))

    assert [(row.reason_code, row.message) for row in results(made).values()] == [
        ("bad_install_code", message) for _, message in BAD_CODES
    ]


def test_a_good_row_after_bad_rows_for_the_same_request_answers_it(installing_user, raised):
    made = _answer(
        installing_user,
        f"{raised.device.device_id},{INSTALL_CODE}0000",
        f"{raised.device.device_id},",
        f"{raised.device.device_id},{INSTALL_CODE_WITH_CRC}",
    )

    rows = results(made)
    assert [rows[line].reason_code for line in (2, 3)] == ["bad_install_code"] * 2
    assert (rows[4].result, rows[4].outcome) == ("accepted", BulkOutcome.CODE_PROVIDED)
    raised.refresh_from_db()
    assert raised.status == IncidentStatus.CODE_PROVIDED


def test_a_resumed_file_judges_a_row_after_a_bad_one_for_the_same_request_on_its_own(
    installing_user, raised
):
    made = upload(
        installing_user,
        "answer",
        csv_bytes(
            ANSWER_HEADER,
            f"{raised.reference},{INSTALL_CODE}0000",
            f"{raised.reference},{INSTALL_CODE}",
        ),
    )

    # The run stops after the first row (its time is up) and the continuation resumes.
    process(made, chunk_size=1, time_budget=0, now=LATER)
    process(made, continuation=True, now=LATER)

    rows = results(made)
    assert (rows[2].reason_code, rows[3].result) == ("bad_install_code", "accepted")


@pytest.mark.parametrize(("cell", "message"), BAD_CODES, ids=BAD_CODE_IDS)
def test_the_answer_form_refuses_each_bad_code_in_the_words_of_the_bulk_row(
    client, installing_user, raised, cell, message
):
    client.force_login(installing_user)

    response = client.post(
        reverse("incidents:answer", args=[raised.public_id]),
        # The form's field drops white space around a code, as the CSV reader does.
        {"install_code": cell.strip('"')},
    )

    assert response.status_code == 400
    assert message in html.unescape(response.content.decode())


def test_no_row_result_holds_an_install_code(installing_user, raised):
    made = _answer(
        installing_user,
        f"{raised.reference},{INSTALL_CODE_WITH_CRC}",
        f"{INSTALL_CODE},{INSTALL_CODE}",
        f"{raised.device.device_id},{INSTALL_CODE}0000",
    )

    for row in BulkRow.objects.filter(upload=made):
        assert not leaks_install_code(
            f"{row.device_id} {row.reference} {row.message}", INSTALL_CODE
        )
    assert made.payload_sealed is None


# --- Emails -------------------------------------------------------------------------------------


def test_each_raiser_gets_one_digest_and_no_email_per_request(
    gaining_user,
    gaining_colleague,
    other_supplier_user,
    installing_user,
    installing_supplier,
    django_capture_on_commit_callbacks,
    mailoutbox,
):
    mine = [_raise_for(gaining_user, installing_supplier) for _ in range(2)]
    colleagues = _raise_for(gaining_colleague, installing_supplier)
    others = _raise_for(other_supplier_user, installing_supplier)
    rows = [f"{i.reference},{INSTALL_CODE}" for i in [*mine, colleagues]]
    rows.append(f"{others.reference},NOT_INSTALLED")
    made = upload(installing_user, "answer", csv_bytes(ANSWER_HEADER, *rows))
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        process(made, now=LATER)

    to_raisers = [m for m in mailoutbox if m.to[0] != "helpdesk@dcc.example"]
    assert sorted(m.to[0] for m in to_raisers) == [
        "colleague@gaining.example",
        "raiser@gaining.example",
        "someone@third.example",
    ]
    gaining_digest = next(m for m in to_raisers if m.to[0] == "raiser@gaining.example")
    assert gaining_digest.subject == (
        "[SSI] Installing Power answered 3 of your Requests for Install Code"
    )
    assert "3 with the install code" in gaining_digest.body
    third = next(m for m in to_raisers if m.to[0] == "someone@third.example")
    assert '1 "not installed by us"' in third.body
    assert set(
        Notification.objects.filter(source__startswith="bulk-upload:").values_list(
            "template", flat=True
        )
    ) == {"bulk_codes_provided", "bulk_helpdesk"}
    assert not Notification.objects.filter(template="incident_code_provided").exists()


def test_not_installed_answers_send_one_digest_to_the_helpdesk(
    installing_user,
    gaining_user,
    installing_supplier,
    django_capture_on_commit_callbacks,
    mailoutbox,
):
    incidents = [_raise_for(gaining_user, installing_supplier) for _ in range(3)]
    made = upload(
        installing_user,
        "answer",
        csv_bytes(ANSWER_HEADER, *(f"{i.reference},NOT_INSTALLED" for i in incidents)),
    )
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        process(made, now=LATER)

    helpdesk = [m for m in mailoutbox if m.to == ["helpdesk@dcc.example"]]
    assert len(helpdesk) == 1
    assert "3 requests from a bulk upload by Installing Power" in helpdesk[0].subject


def test_no_email_of_a_bulk_answer_contains_an_install_code(
    installing_user, raised, django_capture_on_commit_callbacks, mailoutbox
):
    made = upload(
        installing_user, "answer", csv_bytes(ANSWER_HEADER, f"{raised.reference},{INSTALL_CODE}")
    )

    with django_capture_on_commit_callbacks(execute=True):
        process(made, now=LATER)

    assert mailoutbox
    for message in mailoutbox:
        html = "".join(str(alt[0]) for alt in message.alternatives)
        assert not leaks_install_code(f"{message.subject}\n{message.body}\n{html}", INSTALL_CODE)


# --- Cost ---------------------------------------------------------------------------------------


def _answer_file_for(gaining_user, installer, installing_user, rows: int):
    incidents = [_raise_for(gaining_user, installer) for _ in range(rows)]
    lines = [
        f"{i.reference if n % 2 else i.device.device_id},"
        + ("NOT_INSTALLED" if n % 5 == 0 else INSTALL_CODE)
        for n, i in enumerate(incidents)
    ]
    return upload(installing_user, "answer", csv_bytes(ANSWER_HEADER, *lines))


def test_the_queries_of_a_chunk_do_not_grow_with_its_rows(
    gaining_user, installing_supplier, installing_user, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ten = _answer_file_for(gaining_user, installing_supplier, installing_user, 10)
    with CaptureQueriesContext(connection) as queries:
        process(ten, now=LATER)
    hundred = _answer_file_for(gaining_user, installing_supplier, installing_user, 100)

    with django_assert_max_num_queries(len(queries)):
        process(hundred, now=LATER)

    assert (ten.accepted_rows, hundred.accepted_rows) == (10, 100)


# Queries a chunk of a bulk answer costs, whatever its size: lock and check the upload, the
# Devices named, their open requests, the requests locked, the calendar, the codes' UPDATE,
# the "not installed" UPDATE, the clocks' UPDATEs (one per kind of answer), webhooks, the
# events, the results, the counters, and the savepoint. Lower it when a query goes.
ANSWER_CHUNK_QUERIES = {"postgresql": 15, "sqlite": 17}


def test_each_chunk_of_a_bulk_answer_costs_the_same_few_queries(
    gaining_user, installing_supplier, installing_user
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_of(rows: int) -> int:
        made = _answer_file_for(gaining_user, installing_supplier, installing_user, rows)
        with CaptureQueriesContext(connection) as queries:
            process(made, now=LATER, chunk_size=10)
        assert made.accepted_rows == rows
        return len(queries)

    two_chunks, three_chunks = queries_of(20), queries_of(30)

    assert three_chunks - two_chunks == ANSWER_CHUNK_QUERIES[connection.vendor]
