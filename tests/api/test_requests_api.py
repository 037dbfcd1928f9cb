"""Devices and Requests through the API: the pages' services and access helper, their reason
codes and words; a foreign request exactly like a missing one; every action recorded as the
page's is, answers, closes and reveals under the client's name in the security log."""

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from accounts.models import SecurityEvent, SecurityEventKind
from api.models import IdempotencyKey
from conftest import INSTALL_CODE, INSTALL_CODE_WITH_CRC
from incidents.models import EventKind, Incident, IncidentStatus
from incidents.services import incident_raise, incident_reassign
from tests.factories import DeviceFactory

from .conftest import caller

pytestmark = pytest.mark.django_db
REQUESTS = "/api/v1/requests/"


def url(incident_or_id, action="") -> str:
    public_id = getattr(incident_or_id, "public_id", incident_or_id)
    return f"{REQUESTS}{public_id}/{action + '/' if action else ''}"


def raised(api, device_id, **headers):
    response = api.post(REQUESTS, {"device_id": device_id}, headers=headers)
    assert response.status_code == 201, response.content
    return response


def problem(response, status, code):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == code, body
    return body


# --- The device preview -------------------------------------------------------------------------


def test_preview_says_a_raise_would_be_assigned_and_raises_nothing(gaining_api, device):
    response = gaining_api.get(f"/api/v1/devices/{device.device_id.replace('-', '')}/")
    assert response.status_code == 200
    assert response.json() == {
        "device_id": device.device_id,
        "eligible": True,
        "code": "",
        "message": f"A request for Device {device.device_id} would be assigned to the "
        "installing Supplier, Installing Power.",
        "assigned_to": "Installing Power",
        "warning": "",
    }
    assert not Incident.objects.exists()


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda inst: "00-DB-FF-FF-FF-FF-FF-01", "not_in_smi"),
        (
            lambda inst: DeviceFactory(installing_supplier=inst, smi_status="Commissioned"),
            "ineligible_status",
        ),
        (
            lambda inst: DeviceFactory(installing_supplier=inst, device_type="CHF"),
            "ineligible_type",
        ),
        (lambda inst: "00-DB-12", "bad_format"),
    ],
)
def test_preview_gives_the_raise_s_refusal(gaining_api, installing_supplier, make, code):
    made = make(installing_supplier)
    device_id = getattr(made, "device_id", made)
    preview = gaining_api.get(f"/api/v1/devices/{device_id}/").json()
    raise_ = gaining_api.post(REQUESTS, {"device_id": device_id}).json()
    assert preview["eligible"] is False
    assert preview["code"] == raise_["code"] == code
    assert preview["message"] == raise_["detail"]


def test_preview_never_echoes_an_install_code(gaining_api):
    response = gaining_api.get(f"/api/v1/devices/{INSTALL_CODE}/")
    body = response.json()
    assert body["code"] == "contains_code" and body["device_id"] == ""
    assert INSTALL_CODE not in response.content.decode()


def test_preview_tells_an_open_request_only_to_the_registered_supplier(
    gaining_api, other_api, incident
):
    mine = gaining_api.get(f"/api/v1/devices/{incident.device.device_id}/").json()
    assert mine["code"] == "already_open" and incident.reference in mine["message"]
    theirs = other_api.get(f"/api/v1/devices/{incident.device.device_id}/").json()
    assert theirs["code"] == "not_registered"
    assert incident.reference not in theirs["message"]


def test_preview_of_the_installer_s_own_device(installing_api, device):
    assert installing_api.get(f"/api/v1/devices/{device.device_id}/").json()["code"] == (
        "own_device"
    )


def test_preview_needs_the_raise_scope(gaining_supplier, device):
    reader = caller(gaining_supplier, name="Reader", scopes=["read"])
    problem(reader.get(f"/api/v1/devices/{device.device_id}/"), 403, "insufficient_scope")


# --- Raising ------------------------------------------------------------------------------------


def test_raise_answers_the_request_with_its_location(gaining_api, device):
    response = raised(gaining_api, device.device_id)
    incident = Incident.objects.get()
    assert response["Location"] == url(incident)
    body = response.json()
    assert body["id"] == str(incident.public_id)
    assert body["reference"] == incident.reference
    assert body["status"] == IncidentStatus.AWAITING_INSTALLER
    assert body["side"] == "raised"
    assert body["assigned_supplier"] == "Installing Power"
    assert body["deadline"].startswith("the end of ")
    assert body["actions"] == ["close", "note"]
    assert [e["kind"] for e in body["timeline"]] == [EventKind.RAISED]
    assert body["timeline"][0]["actor"] == "Gaining back office"
    assert incident.raised_by == gaining_api.api_client.user


def test_a_refused_raise_names_the_field_and_writes_nothing(gaining_api, installing_supplier):
    done = DeviceFactory(installing_supplier=installing_supplier, smi_status="Commissioned")
    body = problem(
        gaining_api.post(REQUESTS, {"device_id": done.device_id}), 422, "ineligible_status"
    )
    assert body["errors"] == [
        {"field": "device_id", "code": "ineligible_status", "detail": body["detail"]}
    ]
    assert not Incident.objects.exists()


def test_a_raise_retried_with_its_key_raises_once(gaining_api, device):
    key = str(uuid.uuid4())
    first = raised(gaining_api, device.device_id, HTTP_IDEMPOTENCY_KEY=key)
    again = gaining_api.post(
        REQUESTS, {"device_id": device.device_id}, headers={"HTTP_IDEMPOTENCY_KEY": key}
    )
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json() and again["Location"] == first["Location"]
    assert Incident.objects.count() == 1
    # Without the key, the retry is a second raise: refused as already open.
    problem(gaining_api.post(REQUESTS, {"device_id": device.device_id}), 422, "already_open")


def test_a_client_s_raises_count_against_the_user_limit(gaining_api, installing_supplier, settings):
    settings.SSI_RAISE_LIMIT_PER_USER = "1/hour"
    raised(gaining_api, DeviceFactory(installing_supplier=installing_supplier).device_id)
    second = DeviceFactory(installing_supplier=installing_supplier).device_id
    body = problem(gaining_api.post(REQUESTS, {"device_id": second}), 429, "rate_limited")
    assert "Retry-After" in gaining_api.post(REQUESTS, {"device_id": second}).headers
    assert body["detail"]
    assert Incident.objects.count() == 1
    event = SecurityEvent.objects.filter(kind=SecurityEventKind.RAISE_RATE_LIMITED).first()
    assert event.username == "Gaining back office (API client)"


def test_a_raise_body_must_name_the_device(gaining_api):
    body = problem(gaining_api.post(REQUESTS, {}), 422, "invalid")
    assert body["errors"][0]["field"] == "device_id"


# --- Reading ------------------------------------------------------------------------------------


def test_a_foreign_request_answers_exactly_as_a_missing_one(other_api, incident):
    foreign = other_api.get(url(incident))
    missing = other_api.get(url(uuid.uuid4()))
    assert foreign.status_code == missing.status_code == 404
    strip = lambda body: {k: v for k, v in body.items() if k not in ("instance", "request_id")}  # noqa: E731
    assert strip(foreign.json()) == strip(missing.json())
    for action in ("answer", "reveal", "close", "notes", "code-failed", "not-installed"):
        response = other_api.post(url(incident, action), {"text": "x", "reason": "x"})
        assert response.status_code == 404, action


def test_each_side_reads_the_request_with_its_own_actions(gaining_api, installing_api, incident):
    mine = gaining_api.get(url(incident)).json()
    theirs = installing_api.get(url(incident)).json()
    assert (mine["side"], theirs["side"]) == ("raised", "assigned")
    assert mine["actions"] == ["close", "note"]
    assert theirs["actions"] == ["answer", "not_installed", "note"]


def test_actions_are_only_those_the_token_s_scopes_allow(installing_supplier, incident):
    reader = caller(installing_supplier, name="Reader", scopes=["read"])
    assert reader.get(url(incident)).json()["actions"] == []
    problem(
        reader.post(url(incident, "answer"), {"install_code": INSTALL_CODE}),
        403,
        "insufficient_scope",
    )


# --- Lists --------------------------------------------------------------------------------------


@pytest.fixture
def five_raised(gaining_user, installing_supplier):
    start = timezone.now() - dt.timedelta(hours=5)
    made = []
    for n in range(5):
        device = DeviceFactory(installing_supplier=installing_supplier)
        made.append(
            incident_raise(
                actor=gaining_user, device_id=device.device_id, now=start + dt.timedelta(hours=n)
            )
        )
    return made


def _all_pages(api, **query):
    seen, link = [], REQUESTS
    params = dict(query)
    while link:
        body = api.get(link, params).json()
        seen += [row["reference"] for row in body["results"]]
        link, params = body["next"], None
    return seen


def test_list_each_side_newest_first_page_by_page(
    gaining_api, installing_api, other_api, five_raised
):
    newest_first = [i.reference for i in reversed(five_raised)]
    assert _all_pages(gaining_api, side="raised", page_size=2) == newest_first
    assert _all_pages(installing_api, side="assigned", page_size=2) == newest_first
    assert _all_pages(gaining_api, side="assigned") == []
    assert _all_pages(other_api) == []


def test_list_follows_changes_in_the_order_they_were_made(
    gaining_api, installing_user, five_raised
):
    from incidents.services import incident_add_note

    since = timezone.now() - dt.timedelta(minutes=1)
    incident_add_note(actor=installing_user, incident=five_raised[3], text="Booked a visit.")
    incident_add_note(actor=installing_user, incident=five_raised[0], text="Second visit.")
    changed = _all_pages(gaining_api, order="updated", updated_since=since.isoformat(), page_size=1)
    assert changed == [five_raised[3].reference, five_raised[0].reference]


def test_list_filters_by_status_and_deadline(gaining_api, installing_user, five_raised):
    from incidents.services import incident_answer

    incident_answer(actor=installing_user, incident=five_raised[1], install_code=INSTALL_CODE)
    answered = _all_pages(gaining_api, status="code_provided")
    assert answered == [five_raised[1].reference]
    assert len(_all_pages(gaining_api, status="open")) == 5
    everything_due = _all_pages(
        gaining_api, due_before=(timezone.now() + dt.timedelta(days=30)).isoformat()
    )
    assert five_raised[1].reference not in everything_due and len(everything_due) == 4
    assert _all_pages(gaining_api, due_before=timezone.now().isoformat()) == []


def test_list_rows_carry_no_code_and_link_to_the_request(gaining_api, installing_user, five_raised):
    from incidents.services import incident_answer

    incident_answer(actor=installing_user, incident=five_raised[4], install_code=INSTALL_CODE)
    response = gaining_api.get(REQUESTS, {"page_size": 1})
    assert INSTALL_CODE not in response.content.decode().replace(" ", "").upper()
    row = response.json()["results"][0]
    assert row["url"] == url(five_raised[4]) and row["status"] == "code_provided"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"side": "theirs"}, "side"),
        ({"status": "lost"}, "status"),
        ({"due_before": "tomorrow"}, "due_before"),
        ({"page_size": "5000"}, "page_size"),
        ({"order": "random"}, "order"),
    ],
)
def test_a_bad_list_parameter_is_named(gaining_api, query, field):
    body = problem(gaining_api.get(REQUESTS, query), 422, "invalid")
    assert [e["field"] for e in body["errors"]] == [field]


# --- Answering ----------------------------------------------------------------------------------


def test_the_installer_answers_and_the_security_log_names_the_client(installing_api, incident):
    response = installing_api.post(url(incident, "answer"), {"install_code": INSTALL_CODE_WITH_CRC})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "code_provided" and body["has_install_code"] is True
    assert INSTALL_CODE not in response.content.decode()
    event = SecurityEvent.objects.get(kind=SecurityEventKind.API_ANSWERED)
    assert event.username == "Installing asset system (API client)"
    assert event.reference == incident.reference


def test_an_answer_refused_for_the_raiser_and_twice(gaining_api, installing_api, incident):
    problem(
        gaining_api.post(url(incident, "answer"), {"install_code": INSTALL_CODE}),
        403,
        "not_answerer",
    )
    installing_api.post(url(incident, "answer"), {"install_code": INSTALL_CODE})
    body = problem(
        installing_api.post(url(incident, "answer"), {"install_code": INSTALL_CODE}),
        409,
        "invalid_transition",
    )
    assert body["detail"].startswith(f"{incident.reference} was already answered with the install")
    assert body["detail"].endswith("Nothing was changed.")


def test_a_bad_code_is_refused_naming_the_field(installing_api, incident):
    body = problem(
        installing_api.post(
            url(incident, "answer"), {"install_code": INSTALL_CODE[:-1] + "0" + "ABCD"}
        ),
        422,
        "bad_install_code",
    )
    assert body["errors"][0]["field"] == "install_code"
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.AWAITING_INSTALLER


def test_not_installed_leaves_the_request_read_only_to_the_installer(
    installing_api, helpdesk_user, other_supplier, incident
):
    response = installing_api.post(url(incident, "not-installed"), {"reason": "Not our site."})
    assert response.status_code == 200, response.content
    assert response.json()["side"] == "disclaimed" and response.json()["actions"] == []
    incident_reassign(
        actor=helpdesk_user,
        incident=Incident.objects.get(),
        supplier=other_supplier,
        reason="Found the installer.",
    )
    body = installing_api.get(url(incident)).json()
    assert body["assigned_supplier"] == "Another Supplier"
    assert body["timeline"][-1]["kind"] == EventKind.NOT_INSTALLED
    assert body["due_at"] is None and body["actions"] == []
    rows = installing_api.get(REQUESTS, {"side": "disclaimed"}).json()["results"]
    assert [r["assigned_supplier"] for r in rows] == ["Another Supplier"]
    assert "Third Party Gas" not in installing_api.get(url(incident)).content.decode()


# --- Revealing ----------------------------------------------------------------------------------


def test_the_raiser_reveals_and_each_reveal_is_recorded(gaining_api, answered_incident):
    key = {"HTTP_IDEMPOTENCY_KEY": "reveal-1"}
    first = gaining_api.post(url(answered_incident, "reveal"), headers=key)
    assert first.status_code == 200, first.content
    assert first.json() == {
        "reference": answered_incident.reference,
        "install_code": INSTALL_CODE,
        "crc": INSTALL_CODE_WITH_CRC[-4:],
    }
    assert "no-store" in first["Cache-Control"]
    again = gaining_api.post(url(answered_incident, "reveal"), headers=key)
    assert again.status_code == 200 and not again.has_header("Idempotent-Replayed")
    assert not IdempotencyKey.objects.exists()  # the answer is a credential: never stored
    reveals = answered_incident.events.filter(kind=EventKind.CODE_REVEALED)
    assert reveals.count() == 2
    logged = SecurityEvent.objects.filter(kind=SecurityEventKind.CODE_REVEALED)
    assert {e.username for e in logged} == {"Gaining back office (API client)"}


def test_reveal_needs_the_scope_and_the_right_supplier(
    gaining_supplier, other_api, installing_api, answered_incident
):
    no_reveal = caller(gaining_supplier, name="No reveal", scopes=["read", "raise"])
    problem(no_reveal.post(url(answered_incident, "reveal")), 403, "insufficient_scope")
    assert other_api.post(url(answered_incident, "reveal")).status_code == 404
    # The Supplier that provided the code may read it back.
    assert (
        installing_api.post(url(answered_incident, "reveal")).json()["install_code"] == INSTALL_CODE
    )


def test_no_code_to_reveal(gaining_api, incident):
    problem(gaining_api.post(url(incident, "reveal")), 403, "not_revealer")


# --- Following up, closing and notes ------------------------------------------------------------


def test_code_failed_returns_the_request_with_a_fresh_deadline(gaining_api, answered_incident):
    problem(gaining_api.post(url(answered_incident, "code-failed"), {}), 422, "invalid")
    response = gaining_api.post(
        url(answered_incident, "code-failed"), {"reason": "HAN join failed."}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "awaiting_installer" and body["has_install_code"] is False
    assert body["timeline"][-1]["kind"] == EventKind.CODE_FAILED


def test_only_the_raiser_closes_and_the_log_names_the_client(gaining_api, installing_api, incident):
    problem(
        installing_api.post(url(incident, "close"), {"outcome": "no_longer_needed"}),
        403,
        "not_raiser",
    )
    body = problem(
        gaining_api.post(url(incident, "close"), {"outcome": "code_worked"}), 422, "bad_outcome"
    )
    assert body["errors"][0]["field"] == "outcome"
    response = gaining_api.post(url(incident, "close"), {"outcome": "no_longer_needed"})
    assert response.status_code == 200 and response.json()["status"] == "closed"
    assert response.json()["close_outcome"] == "no_longer_needed"
    event = SecurityEvent.objects.get(kind=SecurityEventKind.API_CLOSED)
    assert event.username == "Gaining back office (API client)"
    assert event.detail == "Closed: no longer needed."
    problem(
        gaining_api.post(url(incident, "close"), {"outcome": "no_longer_needed"}),
        409,
        "invalid_transition",
    )


def test_notes_from_both_sides_and_never_a_code(gaining_api, installing_api, incident):
    response = installing_api.post(url(incident, "notes"), {"text": "Visit booked."})
    assert response.status_code == 201, response.content
    assert response.json()["event"]["message"] == "Visit booked."
    assert response.json()["event"]["organisation"] == "Installing Power"
    assert gaining_api.post(url(incident, "notes"), {"text": "Thanks."}).status_code == 201
    refused = gaining_api.post(url(incident, "notes"), {"text": f"code {INSTALL_CODE}"})
    body = problem(refused, 422, "contains_code")
    assert INSTALL_CODE not in refused.content.decode()
    assert body["errors"][0]["field"] == "text"
    assert incident.events.filter(kind=EventKind.NOTE).count() == 2
    gaining_api.post(url(incident, "close"), {"outcome": "no_longer_needed"})
    problem(gaining_api.post(url(incident, "notes"), {"text": "Late."}), 409, "closed")


@pytest.mark.postgres("concurrent transactions waiting on one Idempotency-Key")
@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_of_one_raise_raise_once_and_answer_alike(gaining_supplier, device):
    import threading

    from django.db import connection

    assert connection.vendor == "postgresql"
    api = caller(gaining_supplier)
    start = threading.Barrier(4)
    answers = []

    def retry():
        try:
            start.wait()
            answers.append(
                api.post(
                    REQUESTS,
                    {"device_id": device.device_id},
                    headers={"HTTP_IDEMPOTENCY_KEY": "raise-once"},
                )
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=retry) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [a.status_code for a in answers] == [201] * 4
    assert len({a.content for a in answers}) == 1
    assert sum(a.has_header("Idempotent-Replayed") for a in answers) == 3
    assert Incident.objects.count() == 1
