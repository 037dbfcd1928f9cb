"""Log lines: each with its request id, as JSON in production, and never holding a secret."""

import json
import logging
import sys

import pytest
from django.urls import reverse

from inventory.identifiers import crc_suffix, format_install_code
from notifications.models import Notification
from notifications.tasks import deliver_notification, requeue_stale_notifications
from ssi_portal.celery import REQUEST_ID_HEADER, app
from ssi_portal.lib.logs import (
    JsonLinesFormatter,
    RedactSecretsFilter,
    redact,
    request_id_accept,
    request_id_get,
    request_id_reset,
    request_id_set,
)
from tests.support.logs import portal_log
from tests.support.outbox import ASSIGNED_CONTEXT
from tests.support.worker import broker_pointed_at
from tests.test_production_settings import manage

pytestmark = pytest.mark.django_db


def _record(msg, *args, exc_info=None) -> logging.LogRecord:
    return logging.LogRecord("ssi.test", logging.WARNING, __file__, 1, msg, args, exc_info)


# --- The request id -------------------------------------------------------------------------


def test_every_response_names_its_request_id(client):
    response = client.get(reverse("healthz"))
    assert request_id_accept(response["X-Request-ID"]) == response["X-Request-ID"]


def test_two_requests_have_different_ids(client):
    assert (
        client.get(reverse("healthz"))["X-Request-ID"]
        != client.get(reverse("healthz"))["X-Request-ID"]
    )


def test_a_short_safe_incoming_request_id_is_kept(client):
    response = client.get(reverse("healthz"), headers={"X-Request-ID": "lb-42.a_B"})
    assert response["X-Request-ID"] == "lb-42.a_B"


@pytest.mark.parametrize(
    "incoming", ["", "x" * 65, "a b", "id\nforged line", "<script>", "é", '{"level":"x"}']
)
def test_an_unsafe_or_long_incoming_request_id_is_replaced(client, incoming):
    response = client.get(reverse("healthz"), headers={"X-Request-ID": incoming})
    assert response["X-Request-ID"] != incoming
    assert request_id_accept(response["X-Request-ID"]) == response["X-Request-ID"]


def test_the_log_lines_of_a_request_carry_its_id(client):
    with portal_log() as log:
        response = client.get("/no-such-page/", headers={"X-Request-ID": "trace-7"})
    assert response.status_code == 404
    [line] = [line for line in log.getvalue().splitlines() if "Not Found: /no-such-page/" in line]
    assert "[trace-7]" in line


def test_a_log_line_outside_any_request_has_no_request_id():
    with portal_log() as log:
        logging.getLogger("ssi.test").warning("outside")
    assert "[-] outside" in log.getvalue()


def test_a_task_run_eagerly_logs_under_the_id_of_the_request_it_runs_in():
    row = Notification.objects.create(
        source="incident-event:1",
        template="incident_assigned",
        recipient="installs@installing.example",
        context=ASSIGNED_CONTEXT,
    )
    token = request_id_set("req-1")
    try:
        with portal_log() as log:
            deliver_notification.delay(row.pk)
        assert request_id_get() == "req-1"
    finally:
        request_id_reset(token)
    assert f"[req-1] Notification {row.pk} sent" in log.getvalue()


def _published_headers() -> list[dict]:
    headers = []
    with app.connection_for_read() as connection:
        queue = connection.SimpleQueue(app.conf.task_default_queue, no_ack=True)
        try:
            while True:
                try:
                    headers.append(queue.get_nowait().headers)
                except queue.Empty:
                    return headers
        finally:
            queue.close()


def test_a_task_queued_in_a_request_carries_its_id_in_the_message_headers():
    with broker_pointed_at(app, "memory://"):
        token = request_id_set("req-2")
        try:
            requeue_stale_notifications.delay()
        finally:
            request_id_reset(token)
        [headers] = _published_headers()
    assert headers[REQUEST_ID_HEADER] == "req-2"


def test_tasks_queued_outside_any_request_each_get_an_id_of_their_own():
    """As beat queues them."""
    with broker_pointed_at(app, "memory://"):
        requeue_stale_notifications.delay()
        requeue_stale_notifications.delay()
        first, second = _published_headers()
    assert first[REQUEST_ID_HEADER] != second[REQUEST_ID_HEADER]
    assert request_id_accept(first[REQUEST_ID_HEADER]) == first[REQUEST_ID_HEADER]


# --- JSON lines -----------------------------------------------------------------------------


def test_a_json_line_holds_time_level_logger_message_and_request_id():
    record = _record("Notification %s sent", 12)
    record.request_id = "req-3"
    line = json.loads(JsonLinesFormatter().format(record))
    assert line == {
        "time": line["time"],
        "level": "WARNING",
        "logger": "ssi.test",
        "message": "Notification 12 sent",
        "request_id": "req-3",
    }
    assert line["time"].endswith("+00:00") and "T" in line["time"]


def test_a_json_line_holds_the_exception_text_on_one_line():
    try:
        raise ValueError("broken")
    except ValueError:
        record = _record("failed", exc_info=sys.exc_info())
    text = JsonLinesFormatter().format(record)
    assert "\n" not in text
    assert "ValueError: broken" in json.loads(text)["exception"]
    assert json.loads(text)["request_id"] == "-"


def test_production_writes_json_lines_to_stderr():
    result = manage(
        "shell",
        "-c",
        "import logging; logging.getLogger('ssi.check').warning('hello %s', 'operator')",
    )
    assert result.returncode == 0, result.stderr
    [line] = [json.loads(text) for text in result.stderr.splitlines() if '"ssi.check"' in text]
    assert (line["level"], line["logger"], line["message"], line["request_id"]) == (
        "WARNING",
        "ssi.check",
        "hello operator",
        "-",
    )


# --- Redaction ------------------------------------------------------------------------------


def _install_code_forms(code: bytes) -> list[str]:
    packed = code.hex().upper()
    with_crc = packed + crc_suffix(code).hex().upper()
    forms = [
        packed,
        with_crc,
        format_install_code(code),
        " ".join(with_crc[i : i + 4] for i in range(0, 36, 4)),
        "-".join(packed[i : i + 2] for i in range(0, 32, 2)),
        ":".join(with_crc[i : i + 2] for i in range(0, 36, 2)),
    ]
    return [*forms, *(form.lower() for form in forms)]


@pytest.mark.parametrize(
    "form", _install_code_forms(bytes.fromhex("83FED3400A1B2C3D4E5F60718293D505"))
)
def test_an_install_code_in_any_form_is_redacted(form):
    assert redact(f"code {form} given") == "code [redacted] given"


@pytest.mark.parametrize(
    "secret,text",
    [
        ("k3b9x0q2m7w1z8c4v6n5p0r2t9y1u3i7", "session k3b9x0q2m7w1z8c4v6n5p0r2t9y1u3i7 loaded"),
        (
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "signing with whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        ),
        ("eyJhbGciOi.J9.abc-_", "Authorization: Bearer eyJhbGciOi.J9.abc-_"),
        ("hunter2", "login password=hunter2 refused"),
        ("hunter2", '{"password": "hunter2"}'),
        ("s3cr3t", "secret: s3cr3t"),
    ],
)
def test_session_keys_tokens_and_passwords_are_redacted(secret, text):
    assert secret not in redact(text)
    assert "[redacted]" in redact(text)


@pytest.mark.parametrize(
    "text",
    [
        "Task incidents.tasks.sweep[0f8fad5b-d9cb-469f-a165-70867728950e] succeeded",
        "Device 00-DB-12-34-56-78-90-B1 registered",
        "Notification 12 sent (incident_assigned)",
    ],
)
def test_ids_an_operator_needs_are_left_alone(text):
    assert redact(text) == text


def test_the_filter_redacts_arguments_and_exception_text():
    code = "83FED3400A1B2C3D4E5F60718293D505"
    try:
        raise ValueError(f"bad code {code}")
    except ValueError:
        record = _record("answer %s refused", code, exc_info=sys.exc_info())
    RedactSecretsFilter().filter(record)
    text = JsonLinesFormatter().format(record)
    assert code not in text
    assert json.loads(text)["message"] == "answer [redacted] refused"
    assert "ValueError: bad code [redacted]" in json.loads(text)["exception"]
