"""The bulk pages and downloads: who may open them, what they show, and CSV files that are safe
to open in a spreadsheet."""

import csv
import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import INSTALL_CODE
from incidents.models import BulkStatus, BulkUpload
from incidents.services import incident_answer, incident_raise
from incidents.views.bulk import PAGE_SIZE
from tests.factories import DeviceFactory, RegistrationFactory, SupplierFactory, UserFactory
from tests.support.bulk import RAISE_HEADER, csv_bytes, process, upload
from tests.support.mail import leaks_install_code
from tests.test_html import assert_valid_page

pytestmark = pytest.mark.django_db


def _file(data: bytes, name: str = "devices.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="text/csv")


def _csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    text = body.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


@pytest.fixture
def finished(gaining_user, device):
    return process(upload(gaining_user, "raise", csv_bytes(RAISE_HEADER, device.device_id, "zz")))


def _urls(upload: BulkUpload) -> list[str]:
    return [
        reverse("incidents:bulk_detail", args=[upload.public_id]),
        reverse("incidents:bulk_status", args=[upload.public_id]),
        reverse("incidents:bulk_results", args=[upload.public_id]),
    ]


PAGES = ["bulk_history", "bulk_raise", "bulk_answer", "bulk_lodge", "worklist_csv"]


# --- Access -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", PAGES)
def test_an_anonymous_visitor_is_sent_to_the_login_page(anonymous, name):
    response = anonymous.get(reverse(name.join(["incidents:", ""])))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_an_anonymous_visitor_cannot_open_an_upload(anonymous, finished):
    for url in _urls(finished):
        assert anonymous.get(url).status_code == 302


@pytest.mark.parametrize("name", PAGES)
def test_the_helpdesk_has_no_bulk_pages(client, helpdesk_user, name):
    client.force_login(helpdesk_user)

    assert client.get(reverse(f"incidents:{name}")).status_code == 403


def test_a_user_without_the_role_to_raise_cannot_upload_a_raise_file(client, gaining_user):
    gaining_user.can_raise = False
    gaining_user.save()
    client.force_login(gaining_user)

    assert client.get(reverse("incidents:bulk_raise")).status_code == 403
    response = client.post(reverse("incidents:bulk_raise"), {"file": _file(b"device_id\n")})
    assert response.status_code == 403
    assert client.get(reverse("incidents:bulk_history")).status_code == 200
    with pytest.raises(PermissionDenied):
        upload(gaining_user, "raise", csv_bytes(RAISE_HEADER, "00-DB-12-34-56-78-90-A0"))
    assert not BulkUpload.objects.exists()


@pytest.mark.parametrize("name", ["bulk_answer", "bulk_lodge"])
def test_a_user_without_the_role_to_answer_cannot_answer_or_lodge_by_file(
    client, installing_user, name
):
    installing_user.can_answer = False
    installing_user.save()
    client.force_login(installing_user)

    assert client.get(reverse(f"incidents:{name}")).status_code == 403


def test_another_suppliers_upload_is_not_found(client, other_supplier_user, finished):
    client.force_login(other_supplier_user)

    for url in _urls(finished):
        assert client.get(url).status_code == 404


def test_a_colleague_sees_the_upload_of_their_organisation(client, gaining_colleague, finished):
    client.force_login(gaining_colleague)

    for url in _urls(finished):
        assert client.get(url).status_code == 200


def test_an_unknown_upload_is_not_found(client, gaining_user):
    client.force_login(gaining_user)

    response = client.get("/bulk/00000000-0000-4000-8000-000000000000/")

    assert response.status_code == 404


# --- Upload pages -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "header"),
    [
        ("bulk_raise", "device_id,reference"),
        ("bulk_answer", "device_id_or_reference,install_code"),
        ("bulk_lodge", "device_id,install_code"),
    ],
)
def test_each_upload_page_shows_the_expected_header_and_a_sample_file(
    client, gaining_user, name, header
):
    client.force_login(gaining_user)

    response = client.get(reverse(f"incidents:{name}"))

    html = response.content.decode()
    assert f'<code id="expected-header">{header}</code>' in html
    assert 'enctype="multipart/form-data"' in html
    assert 'id="sample-link"' in html
    assert_valid_page(html)


@pytest.mark.parametrize("kind", ["raise", "answer", "lodge"])
def test_a_sample_file_has_the_header_of_its_kind(client, gaining_user, kind):
    client.force_login(gaining_user)

    rows = _csv(client.get(reverse("incidents:bulk_sample", args=[kind])))

    assert (
        ",".join(rows[0])
        == {
            "raise": "device_id,reference",
            "answer": "device_id_or_reference,install_code",
            "lodge": "device_id,install_code",
        }[kind]
    )
    assert len(rows) > 1


def test_an_uploaded_file_is_processed_and_its_page_shows_the_result(
    client, gaining_user, device, django_capture_on_commit_callbacks
):
    client.force_login(gaining_user)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("incidents:bulk_raise"),
            {"file": _file(csv_bytes(RAISE_HEADER, device.device_id, "zz"))},
        )

    made = BulkUpload.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("incidents:bulk_detail", args=[made.public_id])
    page = client.get(response["Location"]).content.decode()
    assert '<dd class="col-sm-9" id="bulk-status">Done</dd>' in page
    assert '<strong data-bulk="accepted" id="bulk-accepted">1</strong>' in page
    assert '<strong data-bulk="refused" id="bulk-refused">1</strong>' in page
    assert "<td>The row is not in the right format</td>" in page
    assert 'id="results-link"' in page
    assert "<script" not in page.split("</footer>")[0].split("<main")[1]
    assert_valid_page(page)


def test_a_queued_upload_shows_a_progress_bar_that_updates_without_inline_script(
    client, gaining_user, device
):
    client.force_login(gaining_user)
    made = upload(gaining_user, "raise", csv_bytes(RAISE_HEADER, device.device_id))

    page = client.get(reverse("incidents:bulk_detail", args=[made.public_id])).content.decode()

    assert '<progress id="bulk-progress"' in page
    assert 'max="1" value="0"' in page
    assert f'data-bulk-status-url="/bulk/{made.public_id}/status.json"' in page
    assert 'src="/static/js/bulk_progress.js"' in page
    assert "<script>" not in page
    assert_valid_page(page)


def test_the_status_endpoint_reports_progress_as_json(client, gaining_user, finished):
    client.force_login(gaining_user)

    response = client.get(reverse("incidents:bulk_status", args=[finished.public_id]))

    assert response.json() == {
        "status": "done",
        "status_label": "Done",
        "running": False,
        "total": 2,
        "processed": 2,
        "accepted": 1,
        "refused": 1,
        "percent": 100,
    }
    assert "no-cache" in response["Cache-Control"]


def test_a_refused_file_is_shown_on_the_form_with_its_message_and_kept_in_the_history(
    client, gaining_user
):
    client.force_login(gaining_user)

    response = client.post(
        reverse("incidents:bulk_raise"), {"file": _file(csv_bytes("devcie_id", "x"))}
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert "data-error-summary" in html and 'href="#id_file"' in html
    assert "Line 1 must be the header device_id,reference" in html
    assert_valid_page(html)
    made = BulkUpload.objects.get()
    assert made.status == BulkStatus.REFUSED
    page = client.get(reverse("incidents:bulk_detail", args=[made.public_id])).content.decode()
    assert "The file was refused; nothing in it was processed" in page
    assert_valid_page(page)


def test_uploading_the_same_file_again_says_when_it_was_uploaded_before(
    client, gaining_user, device
):
    data = csv_bytes(RAISE_HEADER, device.device_id)
    process(upload(gaining_user, "raise", data))  # NOW: Wednesday 1 April 2026, 10:00 in London
    client.force_login(gaining_user)

    response = client.post(reverse("incidents:bulk_raise"), {"file": _file(data)}, follow=True)

    assert "The same file was uploaded on 01 April 2026 at 10:00" in response.content.decode()


def test_posting_without_a_file_asks_for_one(client, gaining_user):
    client.force_login(gaining_user)

    response = client.post(reverse("incidents:bulk_answer"), {})

    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert not BulkUpload.objects.exists()


# --- History ------------------------------------------------------------------------------------


def test_the_history_lists_the_organisations_uploads_newest_first(
    client, gaining_user, gaining_colleague, other_supplier_user
):
    first = upload(gaining_user, "raise", b"")
    second = upload(gaining_colleague, "raise", csv_bytes("devcie_id", "x"), filename="b.csv")
    upload(other_supplier_user, "raise", b"", filename="theirs.csv")
    client.force_login(gaining_user)

    html = client.get(reverse("incidents:bulk_history")).content.decode()

    assert html.index(second.filename) < html.index(first.filename)
    assert "theirs.csv" not in html
    assert_valid_page(html)


def test_the_history_pages_without_counting_every_upload(client, gaining_user):
    for n in range(PAGE_SIZE + 1):
        upload(gaining_user, "raise", b"", filename=f"f{n:02d}.csv")
    client.force_login(gaining_user)

    with CaptureQueriesContext(connection) as queries:
        first = client.get(reverse("incidents:bulk_history")).content.decode()
    second = client.get(reverse("incidents:bulk_history") + "?page=2").content.decode()

    assert not any("COUNT(" in q["sql"].upper() for q in queries)
    assert "Older uploads" in first and "Older uploads" not in second
    assert "f00.csv" in second and "f00.csv" not in first


@pytest.mark.parametrize("page", ["99999999999999999999", "9" * 400, "7"])
def test_a_history_page_past_the_end_shows_the_oldest_uploads(client, gaining_user, page):
    for n in range(PAGE_SIZE + 1):
        upload(gaining_user, "raise", b"", filename=f"f{n:02d}.csv")
    client.force_login(gaining_user)

    response = client.get(reverse("incidents:bulk_history"), {"page": page})

    assert response.status_code == 200
    html = response.content.decode()
    assert "f00.csv" in html and "Newer uploads" in html and "Older uploads" not in html


@pytest.mark.parametrize("page", ["-1", "0", "abc"])
def test_a_history_page_that_is_not_a_positive_number_shows_the_newest_uploads(
    client, gaining_user, page
):
    for n in range(PAGE_SIZE + 1):
        upload(gaining_user, "raise", b"", filename=f"f{n:02d}.csv")
    client.force_login(gaining_user)

    html = client.get(reverse("incidents:bulk_history"), {"page": page}).content.decode()

    assert "f00.csv" not in html and "Older uploads" in html and "Newer uploads" not in html


# --- Downloads ----------------------------------------------------------------------------------


def test_the_results_file_has_a_line_per_row_with_reason_codes_and_references(
    client, gaining_user, finished
):
    client.force_login(gaining_user)

    response = client.get(reverse("incidents:bulk_results", args=[finished.public_id]))

    rows = _csv(response)
    assert isinstance(response, StreamingHttpResponse)
    assert rows[0] == [
        "line",
        "device_id",
        "reference",
        "result",
        "reason_code",
        "message",
        "incident",
    ]
    assert rows[1][:5] == ["2", "00-DB-12-34-56-78-90-A0", "", "accepted", ""]
    assert rows[1][6].startswith("INC")
    assert rows[2][:5] == ["3", "zz", "", "refused", "bad_format"]


def test_the_results_file_cannot_run_formulas_in_a_spreadsheet(client, gaining_user, device):
    made = process(
        upload(
            gaining_user,
            "raise",
            csv_bytes(
                RAISE_HEADER,
                f'{device.device_id},"=HYPERLINK(""http://evil.example"",""x"")"',
                "@SUM(A1),+1",
            ),
        )
    )
    client.force_login(gaining_user)

    rows = _csv(client.get(reverse("incidents:bulk_results", args=[made.public_id])))

    assert rows[1][2] == '\'=HYPERLINK("http://evil.example","x")'
    assert rows[2][1:3] == ["'@SUM(A1)", "'+1"]


def test_the_results_of_an_answer_file_never_hold_an_install_code(
    client, installing_user, incident
):
    made = process(
        upload(
            installing_user,
            "answer",
            csv_bytes(
                "device_id_or_reference,install_code",
                f"{incident.reference},{INSTALL_CODE}",
                f"{INSTALL_CODE},{INSTALL_CODE}0000",
            ),
        )
    )
    client.force_login(installing_user)

    response = client.get(reverse("incidents:bulk_results", args=[made.public_id]))

    body = b"".join(response.streaming_content).decode()
    assert body.count("\n") == 3  # the header and the two rows
    assert not leaks_install_code(body, INSTALL_CODE)


def test_the_worklist_lists_the_requests_awaiting_our_answer(
    client, installing_user, gaining_user, installing_supplier, incident
):
    answered = incident_raise(
        actor=gaining_user,
        device_id=DeviceFactory(installing_supplier=installing_supplier).device_id,
    )
    incident_answer(actor=installing_user, incident=answered, install_code=INSTALL_CODE)
    incident_raise(actor=gaining_user, device_id=DeviceFactory().device_id)  # someone else's
    client.force_login(installing_user)

    response = client.get(reverse("incidents:worklist_csv"))

    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Disposition"].startswith('attachment; filename="worklist-')
    rows = _csv(response)
    assert rows[0] == [
        "reference",
        "device_id",
        "device_type",
        "raised_by",
        "raised_at",
        "due",
        "install_code",
    ]
    assert [r[:4] for r in rows[1:]] == [
        [incident.reference, incident.device.device_id, "ESME", "Gaining Energy"]
    ]
    assert [r[6] for r in rows[1:]] == [""]


def test_the_worklist_cannot_run_formulas_in_a_spreadsheet(client, installing_user, device):
    evil = SupplierFactory(name="=cmd|' /C calc'!A0", mpid="EVIL")
    RegistrationFactory(supplier=evil, effective_from=dt.date(2021, 1, 1))
    incident_raise(actor=UserFactory(supplier=evil), device_id=device.device_id)
    client.force_login(installing_user)

    rows = _csv(client.get(reverse("incidents:worklist_csv")))

    assert rows[1][3] == "'=cmd|' /C calc'!A0"


def test_the_assigned_list_links_to_the_worklist_download(client, installing_user):
    client.force_login(installing_user)

    html = client.get(reverse("incidents:assigned")).content.decode()

    assert f'href="{reverse("incidents:worklist_csv")}"' in html
