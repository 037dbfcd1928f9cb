"""What the page of a processed upload shows: the refused rows, paged, each with its line, its
Device and its reason in words (codes stay in the results file), and a banner that counts."""

import csv
import html
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from conftest import INSTALL_CODE
from incidents.views import bulk as views_bulk
from tests.support.bulk import ANSWER_HEADER, RAISE_HEADER, csv_bytes, process, upload
from tests.support.mail import leaks_install_code
from tests.test_html import assert_valid_page

pytestmark = pytest.mark.django_db

ROW = re.compile(
    r'<tr><td class="text-end">(\d+)</td><td class="font-monospace text-nowrap">([^<]*)</td>'
    r"<td>([^<]*)</td></tr>"
)


def _page(client, made, query: str = "") -> str:
    url = reverse("incidents:bulk_detail", args=[made.public_id]) + query
    return client.get(url).content.decode()


def _refused(page: str) -> list[tuple[int, str, str]]:
    return [(int(line), key, html.unescape(why)) for line, key, why in ROW.findall(page)]


@pytest.fixture
def mixed(gaining_user, device):
    """A raise file of one good row and three refused: not a Device ID, a repeat, too long."""
    return process(
        upload(
            gaining_user,
            "raise",
            csv_bytes(
                RAISE_HEADER,
                f"{device.device_id},JOB-1",
                "00-DB-12-34-56-78-90-AG,JOB-2",
                f"{device.device_id},JOB-3",
                "00DB12,JOB-4",
            ),
        )
    )


@pytest.fixture
def many_refused(gaining_user, monkeypatch):
    """Seven refused rows, three to a page."""
    monkeypatch.setattr(views_bulk, "REFUSED_PAGE_SIZE", 3)
    rows = [f"00-DB-12-34-56-78-90-{n:02X}G" for n in range(7)]
    return process(upload(gaining_user, "raise", csv_bytes("device_id", *rows)))


def test_the_page_lists_each_refused_row_with_its_line_device_and_reason(
    client, gaining_user, mixed, device
):
    client.force_login(gaining_user)

    page = _page(client, mixed)

    assert _refused(page) == [
        (
            3,
            "00-DB-12-34-56-78-90-AG",
            "A Device ID contains only the hex digits 0-9 and A-F; 'G' is not one.",
        ),
        (
            4,
            device.device_id,
            f"Device {device.device_id} is also on line 2 of this file; only line 2 is used.",
        ),
        (
            5,
            "00DB12",
            "A Device ID has 16 hex digits (8 pairs, e.g. 00-DB-12-34-56-78-90-A0); this one "
            "has 6.",
        ),
    ]
    assert "<caption>The 3 refused rows, in file order</caption>" in page
    assert_valid_page(page)


def test_the_reasons_are_counted_in_words_and_their_codes_stay_in_the_results_file(
    client, gaining_user, mixed
):
    client.force_login(gaining_user)

    page = _page(client, mixed)

    assert "<tr><td>The row is not in the right format</td><td " in page
    assert "<tr><td>Repeats an earlier row of the file</td><td " in page
    assert "bad_format" not in page and "duplicate_in_file" not in page


def test_one_refused_row_is_called_the_refused_row(client, gaining_user, device):
    made = process(upload(gaining_user, "raise", csv_bytes("device_id", "zz")))
    client.force_login(gaining_user)

    assert "<caption>The refused row, in file order</caption>" in _page(client, made)


def test_refused_rows_come_a_page_at_a_time_with_links_between_pages(
    client, gaining_user, many_refused
):
    client.force_login(gaining_user)

    first, second = _page(client, many_refused), _page(client, many_refused, "?page=2")

    assert [line for line, _, _ in _refused(first)] == [2, 3, 4]
    assert [line for line, _, _ in _refused(second)] == [5, 6, 7]
    assert "<caption>Refused rows 4 to 6 of 7, in file order</caption>" in second
    assert 'href="?page=2#refused-title">Next refused rows</a>' in first
    assert 'href="?page=1#refused-title">Previous refused rows</a>' in second
    assert "Previous refused rows" not in first
    assert_valid_page(second)


@pytest.mark.parametrize(("query", "lines"), [("?page=x", [2, 3, 4]), ("?page=-4", [2, 3, 4])])
def test_a_page_number_that_is_not_one_shows_the_first_page(
    client, gaining_user, many_refused, query, lines
):
    client.force_login(gaining_user)

    assert [line for line, _, _ in _refused(_page(client, many_refused, query))] == lines


def test_a_page_past_the_end_shows_the_last_page(client, gaining_user, many_refused):
    client.force_login(gaining_user)

    page = _page(client, many_refused, "?page=99")

    assert [line for line, _, _ in _refused(page)] == [8]
    assert "Next refused rows" not in page


def test_the_refused_rows_of_an_answer_file_never_show_an_install_code(
    client, installing_user, incident
):
    made = process(
        upload(
            installing_user,
            "answer",
            csv_bytes(
                ANSWER_HEADER,
                f"{INSTALL_CODE},{incident.reference}",
                f"{incident.reference},{INSTALL_CODE}0000",
            ),
        )
    )
    client.force_login(installing_user)

    page = _page(client, made)

    assert [line for line, _, _ in _refused(page)] == [2, 3]
    assert not leaks_install_code(page, INSTALL_CODE)


def test_a_page_of_an_upload_with_no_refused_row_has_no_list(client, gaining_user, device):
    made = process(upload(gaining_user, "raise", csv_bytes("device_id", device.device_id)))
    client.force_login(gaining_user)

    page = _page(client, made)

    assert 'id="refused-rows"' not in page and 'id="refusal-reasons"' not in page


# --- The banner after an upload ---------------------------------------------------------------


def test_the_banner_of_a_file_processed_at_once_does_not_say_it_is_being_processed(
    client, gaining_user, device, django_capture_on_commit_callbacks
):
    client.force_login(gaining_user)
    data = csv_bytes(RAISE_HEADER, device.device_id, "zz")

    # The task runs at commit, before the page it redirects to is read (as in the demo).
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("incidents:bulk_raise"), {"file": SimpleUploadedFile("jobs.csv", data)}
        )

    page = client.get(response["Location"]).content.decode()
    assert '<dd class="col-sm-9" id="bulk-status">Done</dd>' in page
    assert "jobs.csv uploaded: 2 rows." in page
    assert "being processed" not in page


def test_the_banner_of_a_file_of_one_row_says_one_row(client, gaining_user, device):
    client.force_login(gaining_user)

    response = client.post(
        reverse("incidents:bulk_raise"),
        {"file": SimpleUploadedFile("one.csv", csv_bytes("device_id", device.device_id))},
        follow=True,
    )

    assert "one.csv uploaded: 1 row." in response.content.decode()


# --- The worklist, filled in, is an answer file -------------------------------------------------


def _filled_worklist(client, code_for) -> bytes:
    """The worklist as downloaded, with ``code_for(reference)`` written in its install_code
    column and nothing else changed: the same header, columns, order and byte-order mark."""
    body = b"".join(client.get(reverse("incidents:worklist_csv")).streaming_content).decode()
    rows = list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))
    code_column = rows[0].index("install_code")
    for row in rows[1:]:
        row[code_column] = code_for(row[0])
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return ("\ufeff" + out.getvalue()).encode()


def test_the_worklist_with_its_codes_filled_in_is_accepted_as_an_answer_file(
    client, installing_user, incident, django_capture_on_commit_callbacks
):
    client.force_login(installing_user)
    data = _filled_worklist(client, lambda reference: INSTALL_CODE)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("incidents:bulk_answer"), {"file": SimpleUploadedFile("worklist.csv", data)}
        )

    page = client.get(response["Location"]).content.decode()
    assert '<strong data-bulk="accepted" id="bulk-accepted">1</strong>' in page
    incident.refresh_from_db()
    assert incident.status == "code_provided"


def test_a_worklist_row_left_without_a_code_is_refused_asking_for_it(
    client, installing_user, incident
):
    client.force_login(installing_user)
    data = _filled_worklist(client, lambda reference: "")

    made = process(upload(installing_user, "answer", data))

    row = made.rows.get()
    assert (row.line, row.device_id, row.reason_code, row.message) == (
        2,
        incident.reference,
        "bad_install_code",
        "Enter the install code.",
    )
