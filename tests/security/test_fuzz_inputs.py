"""Malformed input never makes a 500: Device IDs, install codes, notes, login usernames, query
strings of the paginated pages, CSV files of any bytes and SMI extracts are refused clearly,
and a refused input writes nothing. Run on both databases; PostgreSQL is the stricter (NUL
characters, column lengths, bigint range)."""

import codecs
import csv
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from incidents.models import BulkRow, BulkStatus, BulkUpload, Incident, IncidentEvent
from inventory.identifiers import parse_install_code
from inventory.models import Device
from inventory.services import SmiLoadError, smi_load_csv
from notifications.models import Notification
from tests.support.bulk import ANSWER_HEADER, LODGE_HEADER, RAISE_HEADER
from tests.support.smi_files import (
    COLUMNS,
    KNOWN_IDS,
    SUPPLIER_USER_ID,
    fields_named,
    meaning_of,
    smi_files,
)

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


# --- SMI extracts ------------------------------------------------------------------------------
# Each file is checked against what it means (tests/support/smi_files.py): accepted, the
# inventory holds exactly the Devices it describes and the report rejects exactly its broken
# rows, naming their lines and fields; refused, the error names the line or the header's
# columns at fault, and nothing was written.

_DEVICE_FIELDS = (
    "device_id",
    "device_type",
    "smi_status",
    "status_effective_date",
    "manufacturer",
    "model",
    "mpxn",
    "comms_hub_id",
    "installing_supplier_id",
)


@pytest.fixture
def inventory(db):
    """Two Devices already in the inventory, and the one Supplier a file may name."""
    from tests.factories import DeviceFactory, SupplierFactory

    supplier = SupplierFactory(user_id=SUPPLIER_USER_ID)
    DeviceFactory(device_id=KNOWN_IDS[0], installing_supplier=supplier)
    DeviceFactory(device_id=KNOWN_IDS[1], installing_supplier=None)
    return {SUPPLIER_USER_ID: supplier.pk}


def _devices() -> dict[str, dict]:
    return {row["device_id"]: row for row in Device.objects.values(*_DEVICE_FIELDS).order_by("pk")}


def _check_load(source, text: str, lines: int, fault: str | None, suppliers) -> None:
    """Load ``source`` (``text`` decoded, ``lines`` physical lines) and check the outcome.

    ``fault`` is the start of the refusal a broken file must get (``"Line 7 is not valid
    CSV"``), or None for a file that may load."""
    before = _devices()
    try:
        report = smi_load_csv(source=source)
    except SmiLoadError as exc:
        event(f"refused: {str(exc)[:24]}")
        assert _devices() == before, "a refused file wrote to the inventory"
        _assert_names_where(str(exc), text, lines)
        if fault is not None:
            assert str(exc).startswith(fault), str(exc)
        return
    assert fault is None, f"accepted a file that must be refused: {fault}"
    if isinstance(source, io.BytesIO):
        assert text == source.getvalue().removeprefix(codecs.BOM_UTF8).decode(), "not UTF-8"
    meaning = meaning_of(text, suppliers)
    event(f"accepted, {bool(meaning.devices)=}, {bool(meaning.rejects)=}")
    assert _devices() == before | meaning.devices
    assert (report.rows_read, report.rejected) == (meaning.rows_read, len(meaning.rejects))
    assert report.created == len(meaning.devices.keys() - before.keys())
    assert report.updated + report.unchanged == len(meaning.devices.keys() & before.keys())
    assert [(r.line, r.device_id) for r in report.rejects] == [
        (r.line, r.device_id) for r in meaning.rejects
    ]
    for got, wanted in zip(report.rejects, meaning.rejects, strict=True):
        assert fields_named(got.reason) == wanted.fields, (got, wanted)
        if wanted.repeat_of is not None:
            assert f"already appears on line {wanted.repeat_of};" in got.reason


def _assert_names_where(message: str, text: str, lines: int) -> None:
    """A refusal names the line at fault, or what is wrong with the header."""
    if at := re.match(r"Line (\d+) is not valid (CSV|UTF-8)", message):
        assert 1 <= int(at[1]) <= lines, message
        return
    # The first line as a CSV reader takes it (BOM removed): the header, or nothing.
    first = next(csv.reader(io.StringIO(text.removeprefix("\ufeff"))), [])
    if message.startswith("The file is empty: its first line must be the header. "):
        assert not text.removeprefix("\ufeff"), message  # no first line at all
        return
    if message.startswith("Line 1 is blank: it must be the header. "):
        assert first == [], message
        return
    problems = re.match(r"The header is wrong: (.*)\. The header names exactly these", message)
    assert problems, f"the refusal names neither a line nor the header: {message}"
    header = [cell.strip().lower() for cell in first]
    named_missing = re.search(r"missing columns? ([a-z_, ]+?)(?:;|$)", problems[1])
    missing = [name for name in COLUMNS if name not in header]
    assert (named_missing[1].split(", ") if named_missing else []) == missing, message
    wrong = [c for c in header if c not in COLUMNS or header.count(c) > 1]
    assert bool(wrong) == ("unexpected column" in problems[1] or "repeated column" in problems[1])


def _text_and_fault(draw_from):
    """(text, the start of the refusal it must get or None) for a built file."""
    return draw_from.map(
        lambda built: (built[0], None if built[1] is None else f"Line {built[1]} is not valid CSV")
    )


@FUZZ
@given(data=st.one_of(st.text(max_size=600).map(lambda t: (t, None)), _text_and_fault(smi_files())))
def test_the_smi_loader_refuses_any_text_it_cannot_read_and_writes_nothing(data, inventory):
    text, fault = data
    lines = text.count("\n") + 1
    _check_load(io.StringIO(text), text, lines, fault, inventory)


@st.composite
def _bytes_files(draw) -> tuple[bytes, str | None]:
    """A built file as UTF-8 (with or without BOM), perhaps with a byte that is not UTF-8 at
    the start of one of its lines."""
    text, open_at = draw(smi_files())
    data = draw(st.sampled_from([b"", codecs.BOM_UTF8])) + text.lstrip("\ufeff").encode()
    fault = None if open_at is None else f"Line {open_at} is not valid CSV"
    if open_at is None and draw(st.booleans()):
        lines = data.split(b"\n")
        at = draw(st.integers(0, len(lines) - 1))
        lines[at] = b"\xff" + lines[at]
        data = b"\n".join(lines)
        fault = f"Line {at + 1} is not valid UTF-8 (byte 0xFF"
    return data, fault


@FUZZ
@given(data=st.one_of(st.binary(max_size=1000).map(lambda b: (b, None)), _bytes_files()))
def test_the_smi_loader_refuses_any_bytes_it_cannot_read_and_writes_nothing(data, inventory):
    raw, fault = data
    # What a refusal of the header is checked against: where bytes are not UTF-8, the loader
    # must name their line unless the header is wrong before it.
    text = raw.removeprefix(codecs.BOM_UTF8).decode("utf-8", errors="replace")
    _check_load(io.BytesIO(raw), text, raw.count(b"\n") + 1, fault, inventory)
