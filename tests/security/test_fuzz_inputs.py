"""Malformed input never makes a 500: Device IDs, install codes, notes, login usernames, query
strings of the paginated pages, CSV files of any bytes and SMI extracts are refused clearly,
and a refused input writes nothing. Run on both databases; PostgreSQL is the stricter (NUL
characters, column lengths, bigint range)."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incidents.models import BulkRow, BulkStatus, BulkUpload, Incident, IncidentEvent
from inventory.identifiers import parse_install_code
from inventory.models import Device
from inventory.services import SmiLoadError, smi_load_csv
from notifications.models import Notification
from tests.support.bulk import ANSWER_HEADER, LODGE_HEADER, RAISE_HEADER

FUZZ = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
WRITTEN = (Incident, IncidentEvent, Notification, BulkRow)
HEADERS = {"bulk_raise": RAISE_HEADER, "bulk_answer": ANSWER_HEADER, "bulk_lodge": LODGE_HEADER}


def _counts(*models) -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in models}


def _not_an_install_code(value: str) -> bool:
    try:
        parse_install_code(value)
    except Exception:  # noqa: BLE001 - any refusal makes it a malformed code
        return True
    return False


# Text a form field may receive: printable, control characters (NUL included), separators,
# long runs.
form_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=120)
# What a query string may carry: any text, digits far past bigint, signs and exponents.
query_text = st.one_of(
    form_text,
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.from_regex(r"[0-9]{19,40}|-?[0-9]+e[0-9]{1,4}", fullmatch=True),
)


@FUZZ
@given(device_id=form_text)
def test_any_device_id_the_inventory_does_not_hold_is_refused_with_a_message(
    device_id, client, gaining_user
):
    client.force_login(gaining_user)
    before = _counts(*WRITTEN)

    response = client.post(reverse("incidents:raise"), {"device_id": device_id})

    assert response.status_code == 400
    assert b"invalid-feedback" in response.content or b"alert" in response.content
    assert _counts(*WRITTEN) == before


@FUZZ
@given(install_code=form_text.filter(_not_an_install_code))
def test_a_malformed_install_code_is_refused_with_a_message(
    install_code, client, installing_user, incident
):
    client.force_login(installing_user)
    before = _counts(*WRITTEN)

    response = client.post(
        reverse("incidents:answer", args=[incident.public_id]), {"install_code": install_code}
    )

    assert response.status_code == 400
    assert _counts(*WRITTEN) == before
    incident.refresh_from_db()
    assert not incident.has_install_code


@FUZZ
@given(username=st.one_of(form_text, st.text(min_size=150, max_size=400)), password=form_text)
def test_any_login_is_refused_or_accepted_without_a_500(username, password, client, db):
    response = client.post(reverse("login"), {"username": username, "password": password})

    assert response.status_code in (200, 429)
    assert "_auth_user_id" not in client.session


@FUZZ
@given(text=st.one_of(form_text, st.text(min_size=1990, max_size=2100)))
def test_any_note_is_added_or_refused_with_a_message(text, client, gaining_user, incident):
    client.force_login(gaining_user)

    response = client.post(reverse("incidents:note", args=[incident.public_id]), {"text": text})

    assert response.status_code in (302, 400)
    if response.status_code == 400:
        assert b"invalid-feedback" in response.content


PAGED = ["incidents:raised", "incidents:assigned", "incidents:bulk_history"]
PAGED += ["notifications:sent_emails"]


@pytest.mark.parametrize("name", PAGED)
@settings(parent=FUZZ, max_examples=40)
@given(
    params=st.dictionaries(
        st.sampled_from(["page", "cursor", "q", "status", "overdue"]), query_text, max_size=5
    )
)
def test_any_query_string_of_a_paginated_page_shows_a_page_or_is_refused(
    name, params, client, gaining_user
):
    client.force_login(gaining_user)

    response = client.get(reverse(name), params)

    nul = any("\x00" in value for value in params.values())
    assert response.status_code == (400 if nul else 200)


def _file_contents():
    header_and_rows = st.tuples(st.sampled_from(list(HEADERS.values())), st.text(max_size=300))
    return st.one_of(
        st.binary(max_size=2000),
        st.text(max_size=500).map(lambda t: t.encode("utf-8")),
        header_and_rows.map(lambda hr: f"{hr[0]}\r\n{hr[1]}".encode("utf-8", "surrogatepass")),
    )


@pytest.mark.parametrize("view", list(HEADERS))
@FUZZ
@given(data=_file_contents())
def test_any_bytes_uploaded_as_a_csv_file_are_refused_or_processed_without_a_500(
    data, view, client, gaining_user, django_capture_on_commit_callbacks
):
    client.force_login(gaining_user)
    before = _counts(Incident, IncidentEvent, Notification, BulkRow)
    uploads_before = BulkUpload.objects.count()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse(f"incidents:{view}"), {"file": SimpleUploadedFile("f.csv", data)}
        )

    assert response.status_code in (302, 400)
    if response.status_code == 400:
        # Refused: a message on the page, a refused record at most, and nothing else written.
        assert b"invalid-feedback" in response.content
        for upload in BulkUpload.objects.order_by("pk")[uploads_before:]:
            assert upload.status == BulkStatus.REFUSED and upload.error
        assert _counts(Incident, IncidentEvent, Notification, BulkRow) == before
    else:
        # Accepted as a file: no Device exists, so every row is refused and no incident made.
        assert _counts(Incident, IncidentEvent, Notification) == {
            k: v for k, v in before.items() if k != "BulkRow"
        }


@FUZZ
@given(text=st.text(max_size=600))
def test_the_smi_loader_refuses_any_text_it_cannot_read_and_writes_nothing(text, db):
    devices = Device.objects.count()
    try:
        smi_load_csv(source=io.StringIO(text))
    except SmiLoadError as exc:
        assert str(exc)
        assert Device.objects.count() == devices


@FUZZ
@given(data=st.binary(max_size=1000))
def test_the_smi_loader_refuses_any_bytes_it_cannot_read_and_writes_nothing(data, db):
    devices = Device.objects.count()
    try:
        smi_load_csv(source=io.BytesIO(data))
    except SmiLoadError as exc:
        assert str(exc)
        assert Device.objects.count() == devices
