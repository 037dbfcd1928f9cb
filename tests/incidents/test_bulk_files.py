"""Bulk upload files: what is refused whole, with what message, and what is accepted."""

import pytest

from conftest import INSTALL_CODE
from incidents.models import BulkRow, BulkStatus, BulkUpload, Incident
from tests.support.bulk import (
    ANSWER_HEADER,
    RAISE_HEADER,
    csv_bytes,
    process,
    results,
    upload,
)

pytestmark = pytest.mark.django_db

DEVICE = "00-DB-12-34-56-78-90-A0"


def _refusal(actor, data: bytes, kind: str = "raise") -> str:
    made = upload(actor, kind, data)
    assert made.status == BulkStatus.REFUSED
    return made.error


# --- Refused whole ------------------------------------------------------------------------------


def test_an_empty_file_is_refused(gaining_user):
    assert _refusal(gaining_user, b"") == "The file is empty."


def test_a_file_with_a_header_and_no_rows_is_refused(gaining_user):
    assert "no rows" in _refusal(gaining_user, csv_bytes(RAISE_HEADER, ",,"))


@pytest.mark.parametrize(
    ("content", "names"),
    [
        (b"PK\x03\x04\x14\x00\x06\x00rest-of-a-workbook", "Excel workbook (.xlsx)"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1old", "Excel 97-2003 workbook (.xls)"),
        (b"%PDF-1.7\n%binary", "PDF document"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file"),
    ],
)
def test_a_file_that_is_not_csv_is_refused_naming_what_it_is(gaining_user, content, names):
    error = _refusal(gaining_user, content)

    assert names in error
    assert "CSV UTF-8" in error


def test_text_with_control_characters_is_refused_as_not_csv(gaining_user):
    error = _refusal(gaining_user, b"device_id\r\n\x01\x02\x03\r\n")

    assert "not a CSV text file" in error
    assert "line 2" in error


def test_a_windows_1252_file_is_refused_naming_the_line_and_the_fix(gaining_user):
    data = "device_id,reference\r\n00DB1234567890A0,Café\r\n".encode("cp1252")

    error = _refusal(gaining_user, data)

    assert "not UTF-8" in error
    assert "byte 0xE9 on line 2" in error
    assert "CSV UTF-8 (Comma delimited)" in error


def test_a_utf16_file_is_refused(gaining_user):
    data = "device_id\r\n00DB1234567890A0\r\n".encode("utf-16")

    assert "UTF-16" in _refusal(gaining_user, data)


def test_a_misspelt_header_is_refused_naming_the_expected_and_the_found_header(gaining_user):
    error = _refusal(gaining_user, csv_bytes("devcie_id", DEVICE))

    assert error == (
        "Line 1 must be the header device_id,reference (or device_id alone); found devcie_id."
    )


def test_a_file_without_its_header_is_refused(gaining_user):
    error = _refusal(gaining_user, csv_bytes(DEVICE, "00-DB-12-34-56-78-90-A1"))

    assert error.startswith("Line 1 must be the header device_id,reference")
    assert f"found {DEVICE}." in error


def test_an_answer_file_without_its_header_never_repeats_its_install_code(installing_user):
    data = csv_bytes(f"{DEVICE},83FED3407A939723A5C639B26916D505", "x,y")

    error = _refusal(installing_user, data, "answer")

    assert "it holds data, not the column names" in error
    assert "83FED340" not in error


def test_the_header_of_another_kind_of_file_is_refused_with_a_hint(gaining_user):
    error = _refusal(gaining_user, csv_bytes(ANSWER_HEADER, f"{DEVICE},NOT_INSTALLED"))

    assert "That is the header of a bulk answer file." in error


WORKLIST_HEADER = "reference,device_id,device_type,raised_by,raised_at,due,install_code"


def test_an_answer_file_may_be_the_worklist_with_its_codes_filled_in(installing_user, incident):
    row = (
        f"{incident.reference},{incident.device.device_id},ESME,Gaining Energy,"
        f"2026-04-01 10:00,2026-04-10 23:59,{INSTALL_CODE}"
    )

    made = process(upload(installing_user, "answer", csv_bytes(WORKLIST_HEADER, row)))

    assert (made.status, made.accepted_rows, made.refused_rows) == (BulkStatus.DONE, 1, 0)


def test_an_answer_file_may_name_its_columns_in_any_order_beside_columns_of_its_own(
    installing_user, incident
):
    data = csv_bytes(
        "Install_Code;Notes;Device_ID", f"{INSTALL_CODE};from the van;{incident.device.device_id}"
    )

    made = process(upload(installing_user, "answer", data))

    assert results(made)[2].incident == incident
    assert made.accepted_rows == 1


def test_a_worklist_row_is_named_by_its_reference_when_the_device_id_is_cleared(
    installing_user, incident
):
    made = process(
        upload(
            installing_user,
            "answer",
            csv_bytes(WORKLIST_HEADER, f"{incident.reference},,,,,,{INSTALL_CODE}"),
        )
    )

    assert results(made)[2].device_id == incident.reference
    assert made.accepted_rows == 1


def test_a_worklist_without_an_install_code_column_is_refused_saying_what_it_needs(
    installing_user,
):
    error = _refusal(
        installing_user, csv_bytes("reference,device_id,due", f"INC0000001,{DEVICE},x"), "answer"
    )

    assert error == (
        "Line 1 must be the header device_id_or_reference,install_code, or name an install_code "
        "column and a reference or device_id column, as the worklist does (other columns are "
        "ignored); found reference,device_id,due."
    )


def test_an_answer_file_with_two_install_code_columns_is_refused(installing_user):
    data = csv_bytes("reference,install_code,install_code", "INC0000001,x,y")

    assert _refusal(installing_user, data, "answer").startswith("Line 1 must be the header")


def test_a_file_over_a_limit_of_one_row_says_one_row(gaining_user, settings):
    settings.SSI_BULK_MAX_ROWS = 1

    error = _refusal(gaining_user, csv_bytes("device_id", DEVICE, "00-DB-12-34-56-78-90-A1"))

    assert error.startswith("The file has 2 rows; the limit is 1 row a file.")


def test_a_file_with_too_many_rows_is_refused_with_the_limit(gaining_user, settings):
    settings.SSI_BULK_MAX_ROWS = 3
    rows = [f"00DB12345678{n:04X}" for n in range(1, 5)]

    error = _refusal(gaining_user, csv_bytes("device_id", *rows))

    assert error == (
        "The file has 4 rows; the limit is 3 rows a file. Split it into smaller files and "
        "upload each."
    )


def test_a_file_at_the_row_limit_is_accepted(gaining_user, settings):
    settings.SSI_BULK_MAX_ROWS = 3
    rows = [f"00DB12345678{n:04X}" for n in range(1, 4)]

    made = upload(gaining_user, "raise", csv_bytes("device_id", *rows))

    assert made.status == BulkStatus.QUEUED
    assert made.total_rows == 3


def test_a_file_over_the_size_limit_is_refused_without_reading_it_all(gaining_user, settings):
    settings.SSI_BULK_MAX_BYTES = 1024

    error = _refusal(gaining_user, csv_bytes("device_id", *[DEVICE] * 100))

    assert "larger than" in error and "Split it" in error


UNCLOSED = (
    "is not valid CSV: a quoted cell opens on this line and is never closed: add its closing "
    "quotation mark."
)


def test_a_quote_left_open_is_refused_naming_the_line_where_it_opens(gaining_user):
    error = _refusal(
        gaining_user,
        csv_bytes(RAISE_HEADER, f"{DEVICE},JOB 1", f'{DEVICE},"JOB 2', f"{DEVICE},JOB 3", ","),
    )

    assert error == f"Line 3 {UNCLOSED}"


def test_a_quote_left_open_is_reported_where_it_opens_though_a_later_quote_ends_the_cell(
    gaining_user,
):
    # The csv module gives up on line 5, where the quotation mark of "JOB 4" ends the cell
    # that line 3 opened.
    rows = (f"{DEVICE},JOB 1", f'{DEVICE},"JOB 2', f"{DEVICE},JOB 3", f'{DEVICE},"JOB 4"')

    assert _refusal(gaining_user, csv_bytes(RAISE_HEADER, *rows)) == (
        "Line 3 is not valid CSV: a quoted cell opens on this line and is not closed on it (the "
        "next quotation mark, on line 5, is followed by more text): add its closing quotation "
        "mark."
    )


def test_text_after_a_closing_quote_is_refused_naming_its_line(gaining_user):
    error = _refusal(gaining_user, csv_bytes(RAISE_HEADER, f"{DEVICE},a", f'{DEVICE},"JOB" 2'))

    assert error == (
        "Line 3 is not valid CSV: the quoted cell that opens on this line has text after its "
        "closing quotation mark: put the whole cell in quotes, and double each quotation mark "
        'inside it ("").'
    )


def test_an_open_quote_after_a_cell_spanning_two_lines_is_reported_on_its_own_line(
    gaining_user,
):
    data = csv_bytes(RAISE_HEADER, f'"{DEVICE}","JOB\nnotes","more', "x,y")

    assert _refusal(gaining_user, data) == f"Line 3 {UNCLOSED}"


def test_rows_count_physical_lines_across_blank_lines_and_cells_spanning_lines(
    gaining_user, device
):
    data = csv_bytes(RAISE_HEADER, "", f'{device.device_id},"JOB\nsecond line"', ",", "zz,X")

    made = process(upload(gaining_user, "raise", data))

    rows = results(made)
    assert sorted(rows) == [3, 6]
    assert rows[6].message.startswith("A Device ID contains only the hex digits")


def test_lines_ended_by_carriage_returns_alone_are_counted_as_lines(gaining_user):
    data = csv_bytes("device_id", DEVICE, "00-DB-\x01", newline="\r")

    assert "line 3 holds the control character U+0001" in _refusal(gaining_user, data)


def test_a_byte_that_is_not_utf8_is_reported_on_its_line_whatever_the_line_ends(gaining_user):
    data = b"device_id\r" + DEVICE.encode() + b"\r00DB1234567890A\xe9\r"

    assert "byte 0xE9 on line 3" in _refusal(gaining_user, data)


def test_a_refused_file_is_kept_in_the_history_without_rows_or_content(gaining_user):
    made = upload(gaining_user, "raise", csv_bytes("devcie_id", DEVICE), filename="Mine.csv")

    stored = BulkUpload.objects.get()
    assert stored.pk == made.pk
    assert (stored.status, stored.filename, stored.size) == (BulkStatus.REFUSED, "Mine.csv", 36)
    assert stored.payload_sealed is None
    assert stored.finished_at is not None
    assert not BulkRow.objects.exists()


def test_processing_a_refused_file_does_nothing(gaining_user, device):
    made = upload(gaining_user, "raise", csv_bytes("devcie_id", device.device_id))

    assert process(made).status == BulkStatus.REFUSED
    assert not Incident.objects.exists()


# --- Accepted -----------------------------------------------------------------------------------


def test_a_utf8_file_with_a_byte_order_mark_is_accepted(gaining_user, device):
    made = process(upload(gaining_user, "raise", csv_bytes(RAISE_HEADER, DEVICE, bom=True)))

    assert made.status == BulkStatus.DONE
    assert made.accepted_rows == 1


def test_an_excel_file_with_semicolons_and_quotes_is_accepted(gaining_user, device):
    data = csv_bytes("Device_ID; Reference ", f'"{DEVICE}";"Job; urgent"', bom=True)

    made = process(upload(gaining_user, "raise", data))

    row = results(made)[2]
    assert (row.result, row.reference) == ("accepted", "Job; urgent")


def test_the_header_is_read_without_regard_to_case_spaces_or_trailing_empty_columns(
    gaining_user, device
):
    made = upload(gaining_user, "raise", csv_bytes(" DEVICE_ID ,Reference,,", f"{DEVICE},,,"))

    assert made.status == BulkStatus.QUEUED


def test_a_raise_file_may_have_the_device_id_column_alone(gaining_user, device):
    made = process(upload(gaining_user, "raise", csv_bytes("device_id", DEVICE, newline="\n")))

    assert made.accepted_rows == 1


def test_blank_lines_are_skipped_and_rows_keep_their_line_in_the_file(gaining_user, device):
    data = csv_bytes("device_id", "", "zz", ",", DEVICE)

    made = process(upload(gaining_user, "raise", data))

    assert made.total_rows == 2
    assert sorted(results(made)) == [3, 5]


def test_an_accepted_file_is_stored_sealed_until_processed(gaining_user, device):
    data = csv_bytes(RAISE_HEADER, DEVICE)

    made = upload(gaining_user, "raise", data)

    stored = BulkUpload.objects.get(pk=made.pk)
    assert stored.status == BulkStatus.QUEUED
    assert DEVICE.encode() not in bytes(stored.payload_sealed)
    assert len(stored.content_sha256) == 64
    assert process(made).payload_sealed is None
