"""Bulk jobs through the API: the pages' files, checks, limits and words; scopes by the kind of
file; progress and paged results of the client's own jobs only; JSON lines as good as CSV."""

import io
import json
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import MULTIPART_CONTENT

from conftest import INSTALL_CODE_WITH_CRC
from incidents.models import BulkStatus, BulkUpload, Incident
from incidents.services.bulk.jobs import bulk_upload_create
from incidents.tasks import process_bulk_upload
from tests.factories import DeviceFactory
from tests.support.bulk import RAISE_HEADER, csv_bytes

from .conftest import caller

pytestmark = pytest.mark.django_db
JOBS = "/api/v1/bulk-jobs/"
MISSING = "00-DB-FF-FF-FF-FF-FF-01"


def submit(api, kind, data: bytes, *, as_="csv", headers=None, name=None):
    """Send a file: ``as_`` multipart, csv (text/csv body) or jsonl (JSON lines body)."""
    if as_ == "multipart":
        upload = SimpleUploadedFile(name or "file.csv", data)
        return api.post(
            JOBS, {"kind": kind, "file": upload}, headers=headers, content_type=MULTIPART_CONTENT
        )
    content_type = "text/csv" if as_ == "csv" else "application/x-ndjson"
    return api.post(f"{JOBS}?kind={kind}", data, headers=headers, content_type=content_type)


def json_lines(*rows, blank_first=False) -> bytes:
    # A blank first line puts each row on the line it has in the CSV, under its header.
    lines = [json.dumps(row) if isinstance(row, dict) else row for row in rows]
    return ("\n" if blank_first else "").encode() + "\n".join(lines).encode() + b"\n"


def processed(api, django_capture_on_commit_callbacks, kind, data, **kwargs):
    """Submit and let the task run (eagerly, as its commit is simulated); the job after."""
    with django_capture_on_commit_callbacks(execute=True):
        response = submit(api, kind, data, **kwargs)
    assert response.status_code == 202, response.content
    return api.get(response["Location"]).json()


def results_of(api, job_id, **query):
    return api.get(f"{JOBS}{job_id}/results/", query)


@pytest.fixture
def devices(installing_supplier):
    return [DeviceFactory(installing_supplier=installing_supplier) for _ in range(3)]


# --- Submitting ---------------------------------------------------------------------------------


def test_a_raise_file_in_a_form_is_queued_with_its_location(gaining_api, devices):
    data = csv_bytes(RAISE_HEADER, f"{devices[0].device_id},JOB-1", f"{devices[1].device_id},")

    response = submit(gaining_api, "raise", data, as_="multipart", name="jobs.csv")

    assert response.status_code == 202
    body = response.json()
    upload = BulkUpload.objects.get()
    assert body["id"] == str(upload.public_id) and body["kind"] == "raise"
    assert response["Location"] == f"{JOBS}{upload.public_id}/"
    assert body["status"] == "queued" and body["filename"] == "jobs.csv"
    assert body["rows"] == {"total": 2, "processed": 0, "succeeded": 0, "failed": 0}
    assert upload.uploaded_by == gaining_api.api_client.user


def test_a_raise_file_sent_as_the_body_is_queued(gaining_api, devices):
    response = submit(gaining_api, "raise", csv_bytes("device_id", devices[0].device_id))

    assert response.status_code == 202
    assert BulkUpload.objects.get().status == BulkStatus.QUEUED


def test_a_file_sent_as_the_body_may_be_larger_than_a_form_field(gaining_api, devices, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 50  # the limit is the upload's, not a field's
    data = csv_bytes(RAISE_HEADER, *(f"{d.device_id},JOB-{n}" for n, d in enumerate(devices)))

    assert submit(gaining_api, "raise", data).status_code == 202


@pytest.mark.parametrize("as_", ["csv", "jsonl", "multipart"])
def test_a_retried_submit_with_the_same_key_makes_one_job(gaining_api, devices, as_):
    data = csv_bytes("device_id", devices[0].device_id)
    if as_ == "jsonl":
        data = json_lines({"device_id": devices[0].device_id})
    key = {"HTTP_IDEMPOTENCY_KEY": str(uuid.uuid4())}

    first = submit(gaining_api, "raise", data, as_=as_, headers=key)
    again = submit(gaining_api, "raise", data, as_=as_, headers=key)

    assert first.status_code == again.status_code == 202
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json() and again["Location"] == first["Location"]
    assert BulkUpload.objects.count() == 1


# --- Scopes and kinds ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "scopes", "needed"),
    [("raise", ["read", "answer"], "raise"), ("answer", ["read", "raise"], "answer")],
)
def test_each_kind_of_file_needs_the_scope_of_its_action(gaining_supplier, kind, scopes, needed):
    api = caller(gaining_supplier, scopes=scopes)

    response = submit(api, kind, csv_bytes(RAISE_HEADER, f"{MISSING},"))

    assert response.status_code == 403
    assert response.json()["code"] == "insufficient_scope"
    assert f"needs the {needed} scope" in response.json()["detail"]
    assert not BulkUpload.objects.exists()


def test_a_lodge_file_needs_the_answer_scope(installing_supplier):
    api = caller(installing_supplier, scopes=["read", "raise"])

    response = submit(api, "lodge", b"device_id,install_code\r\n", as_="multipart")

    assert response.status_code == 403
    assert "needs the answer scope" in response.json()["detail"]


def test_a_read_only_token_may_submit_no_kind_of_file(gaining_supplier):
    api = caller(gaining_supplier, scopes=["read"])

    response = submit(api, "colour", b"device_id\r\n")

    assert response.status_code == 403
    assert "needs the raise or the answer scope" in response.json()["detail"]


@pytest.mark.parametrize("as_", ["csv", "multipart"])
def test_a_file_without_its_kind_is_refused_naming_the_kind(gaining_api, as_):
    response = submit(gaining_api, "", csv_bytes(RAISE_HEADER, f"{MISSING},"), as_=as_)

    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == "kind"
    assert error["detail"] == "Choose the kind of file: raise, answer or lodge."


def test_a_form_without_its_file_is_refused_naming_the_file(gaining_api):
    response = gaining_api.post(JOBS, {"kind": "raise"}, content_type=MULTIPART_CONTENT)

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "file"


def test_a_body_of_another_type_is_refused_as_unsupported(gaining_api):
    response = gaining_api.post(f"{JOBS}?kind=raise", {"device_id": MISSING})

    assert response.status_code == 415
    assert response["Content-Type"] == "application/problem+json"


# --- Files refused whole, in the pages' words ---------------------------------------------------


def page_refusal(actor, kind, data, **kwargs) -> str:
    """What the upload page says of the same file."""
    upload = bulk_upload_create(
        actor=actor, kind=kind, file=io.BytesIO(data), filename="same.csv", **kwargs
    )
    assert upload.status == BulkStatus.REFUSED
    return upload.error


def assert_refused(response, code: str, message: str):
    assert response.status_code == 422, response.content
    body = response.json()
    assert (body["code"], body["detail"]) == (code, message)
    assert body["errors"] == [{"field": "file", "code": code, "detail": message}]


def test_a_file_with_a_wrong_header_is_refused_as_the_page_refuses_it(gaining_api, gaining_user):
    data = csv_bytes("colour,size", "red,large")

    response = submit(gaining_api, "raise", data)

    assert_refused(response, "bad_file", page_refusal(gaining_user, "raise", data))
    assert "found colour,size" in response.json()["detail"]


def test_a_file_over_the_size_limit_is_refused_with_the_pages_words(
    gaining_api, gaining_user, settings
):
    settings.SSI_BULK_MAX_BYTES = 40
    data = csv_bytes(RAISE_HEADER, *(f"{MISSING},JOB-{n}" for n in range(5)))

    response = submit(gaining_api, "raise", data, as_="multipart")

    assert_refused(response, "file_too_large", page_refusal(gaining_user, "raise", data))


def test_a_file_over_the_row_limit_is_refused_with_the_pages_words(
    gaining_api, gaining_user, settings
):
    settings.SSI_BULK_MAX_ROWS = 2
    data = json_lines(*({"device_id": MISSING} for _ in range(3)))

    response = submit(gaining_api, "raise", data, as_="jsonl")

    refusal = page_refusal(gaining_user, "raise", data, file_format="jsonl")
    assert_refused(response, "too_many_rows", refusal)
    assert refusal.startswith("The file has 3 rows; the limit is 2 rows a file.")


def test_a_file_over_the_suppliers_raise_limit_is_refused_with_the_pages_words(
    gaining_api, gaining_user, devices, settings
):
    settings.SSI_RAISE_LIMIT_PER_SUPPLIER = "2/hour"
    data = csv_bytes("device_id", *(d.device_id for d in devices))

    response = submit(gaining_api, "raise", data)

    assert_refused(response, "over_supplier_limit", page_refusal(gaining_user, "raise", data))


def test_json_lines_that_are_not_objects_are_refused_whole(gaining_api):
    response = submit(gaining_api, "raise", b"device_id\n00-DB-12-34-56-78-90-A0\n", as_="jsonl")

    assert response.status_code == 422
    assert response.json()["detail"].startswith(
        "This is not a JSON lines file: line 1 is not a JSON object."
    )


# --- Rows: the same results from CSV and from JSON lines ----------------------------------------


@pytest.mark.parametrize("file_format", ["csv", "jsonl"])
def test_a_csv_and_its_json_lines_give_the_same_results_row_by_row(
    gaining_api, devices, django_capture_on_commit_callbacks, file_format
):
    first, second = devices[0].device_id, devices[1].device_id
    rows = [(first, "JOB-1"), ("not-a-device", ""), (MISSING, "JOB-3"), (first, ""), (second, "")]
    if file_format == "csv":
        data = csv_bytes(RAISE_HEADER, *(f"{d},{r}" for d, r in rows))
    else:
        data = json_lines(*({"device_id": d, "reference": r} for d, r in rows), blank_first=True)

    job = processed(gaining_api, django_capture_on_commit_callbacks, "raise", data, as_=file_format)
    found = results_of(gaining_api, job["id"]).json()["results"]

    assert job["status"] == "finished"
    assert job["rows"] == {"total": 5, "processed": 5, "succeeded": 2, "failed": 3}
    assert job["started_at"] and job["finished_at"]
    made = {i.device.device_id: i.reference for i in Incident.objects.select_related("device")}
    assert [(r["line"], r["result"], r["outcome"] or r["reason_code"]) for r in found] == [
        (2, "accepted", "raised"),
        (3, "refused", "bad_format"),
        (4, "refused", "not_in_smi"),
        (5, "refused", "duplicate_in_file"),
        (6, "accepted", "raised"),
    ]
    assert [r["request"] for r in found] == [made[first], "", "", "", made[second]]
    assert found[0]["own_reference"] == "JOB-1"
    assert found[2]["message"] == f"Device {MISSING} is not in the Smart Metering Inventory."
    assert found[3]["message"] == (
        f"Device {first} is also on line 2 of this file; only line 2 is used."
    )


def test_json_lines_that_cannot_be_read_are_refused_each_saying_which_field_and_why(
    installing_api, device, django_capture_on_commit_callbacks
):
    data = json_lines(
        {"device_id": device.device_id, "install_code": INSTALL_CODE_WITH_CRC},
        '{"device_id": "00-DB-12-34-56-78-90-A1", ',
        '["00-DB-12-34-56-78-90-A1"]',
        {"device_id": device.device_id, "install_code": 42},
        {"device_id": device.device_id, "colour": "red"},
        {"device_id": "x" * 300, "install_code": INSTALL_CODE_WITH_CRC},
    )

    job = processed(installing_api, django_capture_on_commit_callbacks, "lodge", data, as_="jsonl")
    found = results_of(installing_api, job["id"]).json()["results"]

    assert [(r["line"], r["result"], r["reason_code"]) for r in found] == [
        (1, "accepted", ""),
        *((line, "refused", "bad_format") for line in range(2, 7)),
    ]
    assert [r["message"] for r in found[1:]] == [
        "Line 2 is not valid JSON: Expecting property name enclosed in double quotes (column 42).",
        'Line 3 must be a JSON object, such as {"device_id": "\u2026", '
        '"install_code": "\u2026"}; it is an array.',
        "Line 4: install_code must be a string, not a number.",
        'Line 5 has a field a lodged install codes file does not take ("colour"); its fields '
        "are device_id and install_code.",
        "Line 6: device_id is longer than 256 characters.",
    ]


# --- Progress and results -----------------------------------------------------------------------


def test_a_job_of_another_supplier_is_exactly_a_missing_one(
    gaining_api, other_api, devices, django_capture_on_commit_callbacks
):
    job = processed(
        gaining_api, django_capture_on_commit_callbacks, "raise", csv_bytes("device_id", MISSING)
    )
    missing = uuid.uuid4()

    for suffix in ("", "results/"):
        foreign = other_api.get(f"{JOBS}{job['id']}/{suffix}")
        absent = other_api.get(f"{JOBS}{missing}/{suffix}")
        assert foreign.status_code == absent.status_code == 404
        strip = ("instance", "request_id")
        assert {k: v for k, v in foreign.json().items() if k not in strip} == {
            k: v for k, v in absent.json().items() if k not in strip
        }


def test_results_come_page_by_page_following_next(gaining_api, django_capture_on_commit_callbacks):
    data = csv_bytes("device_id", *(f"00-DB-FF-FF-FF-FF-FF-{n:02X}" for n in range(1, 6)))
    job = processed(gaining_api, django_capture_on_commit_callbacks, "raise", data)

    lines, page = [], results_of(gaining_api, job["id"], page_size=2).json()
    while True:
        lines += [r["line"] for r in page["results"]]
        if page["next"] is None:
            break
        page = gaining_api.get(page["next"]).json()

    assert lines == [2, 3, 4, 5, 6]


@pytest.mark.parametrize(("name", "value"), [("page_size", 1001), ("after", -1)])
def test_a_results_page_out_of_bounds_is_refused_naming_the_parameter(
    gaining_api, devices, name, value
):
    job = submit(gaining_api, "raise", csv_bytes("device_id", MISSING)).json()

    response = results_of(gaining_api, job["id"], **{name: value})

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == name


def test_the_results_of_an_answer_file_never_hold_an_install_code(
    installing_api, incident, django_capture_on_commit_callbacks
):
    data = csv_bytes(
        "device_id_or_reference,install_code",
        f"{incident.reference},{INSTALL_CODE_WITH_CRC}",
        f"{INSTALL_CODE_WITH_CRC},{INSTALL_CODE_WITH_CRC}",
    )
    job = processed(installing_api, django_capture_on_commit_callbacks, "answer", data)

    response = results_of(installing_api, job["id"])

    assert [r["outcome"] or r["reason_code"] for r in response.json()["results"]] == [
        "code_provided",
        "bad_format",
    ]
    assert response.json()["results"][0]["request"] == incident.reference
    assert INSTALL_CODE_WITH_CRC[:16] not in response.content.decode().upper()


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_job_is_processed_by_a_real_worker_and_reaches_finished_with_its_results(
    celery_worker, gaining_supplier, installing_supplier
):
    api = caller(gaining_supplier)
    device = DeviceFactory(installing_supplier=installing_supplier)
    data = csv_bytes(RAISE_HEADER, f"{device.device_id},JOB-9", f"{MISSING},")

    response = submit(api, "raise", data, headers={"HTTP_IDEMPOTENCY_KEY": "worker-1"})

    assert response.status_code == 202
    [(_, outcome, state)] = celery_worker.tasks.wait_for(process_bulk_upload.name, 1)
    assert (outcome, state) == ("done", "SUCCESS")
    job = api.get(response["Location"]).json()
    assert job["status"] == "finished"
    assert job["rows"] == {"total": 2, "processed": 2, "succeeded": 1, "failed": 1}
    found = results_of(api, job["id"]).json()["results"]
    reference = Incident.objects.get(device=device).reference
    assert [(r["line"], r["request"], r["reason_code"]) for r in found] == [
        (2, reference, ""),
        (3, "", "not_in_smi"),
    ]
