"""The planted-code search through the API and webhooks: an install code given, lodged and
filed by the installing Supplier's back office, typed where it does not belong by both (a note,
a reason, a Device ID, a raise), shows only in the answer to a reveal. Not in any other
answer (problem details included), webhook delivered to a real receiver, log line, task
argument, security-log row or database column outside the sealed ones."""

import json
import logging
import secrets

import pytest

from inventory.identifiers import crc_suffix
from tests.api.conftest import caller
from tests.factories import DeviceFactory
from tests.security.test_install_code_never_leaks import (  # noqa: F401 (task_calls: a fixture)
    Haystack,
    _database_text,
    task_calls,
)
from tests.support.webhooks import Receiver, make_endpoint

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver():
    started = Receiver().start()
    yield started
    started.stop()


def test_an_install_code_shows_only_in_the_answer_to_a_reveal(
    caplog,
    task_calls,  # noqa: F811
    django_capture_on_commit_callbacks,
    receiver,
    incident,
    gaining_supplier,
    installing_supplier,
    settings,
):
    settings.SSI_API_RATE = "off"
    caplog.set_level(logging.DEBUG)
    code = secrets.token_bytes(16)
    typed = code.hex().upper() + crc_suffix(code).hex().upper()
    grouped = " ".join(typed[i : i + 4] for i in range(0, 36, 4))
    make_endpoint(gaining_supplier, url=receiver.url + "/gaining")
    make_endpoint(installing_supplier, url=receiver.url + "/installing")
    gaining = caller(gaining_supplier, name="Gaining CRM")
    installing = caller(installing_supplier, name="Installing assets")
    lodged_device = DeviceFactory(installing_supplier=installing_supplier)
    filed = DeviceFactory(installing_supplier=installing_supplier)
    haystack = Haystack()
    request_path = f"/api/v1/requests/{incident.public_id}/"

    def call(api, method, path, body=None, *, allowed=False, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            send = api.get if method == "get" else api.post
            response = send(path, body, **kwargs)
        haystack.add(f"{path} Location", response.get("Location", ""))
        if not allowed:
            haystack.add(f"{method.upper()} {path} -> {response.status_code}", response.content)
        return response

    # Typed where it does not belong, by both sides: each refused without repeating it.
    call(installing, "post", request_path + "notes/", {"text": f"code {typed.lower()}"})
    call(installing, "post", request_path + "not-installed/", {"reason": f"Label: {grouped}"})
    call(installing, "post", request_path + "answer/", {"install_code": typed[:-1]})
    call(gaining, "get", f"/api/v1/devices/{typed}/")
    call(gaining, "post", "/api/v1/requests/", {"device_id": grouped})
    call(gaining, "post", request_path + "notes/", {"text": f"Is it {typed}?"})
    call(gaining, "get", "/api/v1/requests/", {"cursor": typed})
    # The installing back office lodges it for another Device, files it for a raise to come,
    # and answers the request with it.
    call(
        installing,
        "post",
        "/api/v1/lodged-codes/",
        [{"device_id": lodged_device.device_id, "install_code": typed}],
    )
    job = call(
        installing,
        "post",
        "/api/v1/bulk-jobs/?kind=lodge",
        f"device_id,install_code\n{filed.device_id},{typed}\n".encode(),
        content_type="text/csv",
    )
    assert job.status_code == 202, job.content
    answered = call(installing, "post", request_path + "answer/", {"install_code": typed})
    assert answered.status_code == 200, answered.content
    # Everything either side may read afterwards.
    for api in (gaining, installing):
        call(api, "get", request_path)
        call(api, "get", "/api/v1/requests/")
        call(api, "get", "/api/v1/compliance/")
    call(installing, "get", job["Location"])
    call(installing, "get", job["Location"] + "results/")
    # The raiser reveals it (the one answer that holds it), reports that it failed with the
    # code in the reason (refused), then closes the request.
    revealed = call(gaining, "post", request_path + "reveal/", allowed=True)
    assert revealed.json()["install_code"] == code.hex().upper()
    refused = call(gaining, "post", request_path + "code-failed/", {"reason": f"{grouped} failed"})
    assert refused.status_code == 422
    call(gaining, "post", request_path + "close/", {"outcome": "code_worked"})
    call(gaining, "get", request_path)

    for received in receiver.received:
        haystack.add(f"webhook to {received.path}", received.body)
        haystack.add(f"webhook headers to {received.path}", json.dumps(received.headers))
    for record in caplog.records:
        haystack.add(f"log {record.name}", record.getMessage())
        haystack.add(f"log args {record.name}", repr(record.args))
    for name, args, kwargs in task_calls:
        haystack.add(f"task {name}", [args, kwargs])
    _database_text(haystack)

    from incidents.models import LodgedCode

    kinds = {json.loads(r.body)["type"] for r in receiver.accepted()}
    assert {"request.answered", "request.code_revealed", "request.closed"} <= kinds
    assert LodgedCode.objects.count() == 2, "the lodges did not go through"
    assert task_calls, "the flow queued no task: nothing was checked"
    assert haystack.findings(code) == []
