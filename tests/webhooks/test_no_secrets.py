"""An install code planted through the real flows (answered, revealed, reported failed, answered
again, closed) is in no delivery: not its payload, its body, its headers, nor any log line of
the way. Nor are the words of a note or of a reason, nor the signing secret."""

import json
import logging

import pytest

from conftest import INSTALL_CODE, INSTALL_CODE_WITH_CRC
from incidents.services import (
    incident_add_note,
    incident_answer,
    incident_close,
    incident_report_code_failed,
    incident_reveal_code,
)
from inventory.identifiers import format_install_code
from webhooks.models import WebhookDelivery

NOTE = "Gate code 4417, dog on site"
REASON = "Commissioning refused at the hub on Tuesday"


def _forms() -> list[str]:
    code = bytes.fromhex(INSTALL_CODE)
    grouped = format_install_code(code)
    spaced = " ".join(INSTALL_CODE_WITH_CRC[i : i + 4] for i in range(0, 36, 4))
    texts = [INSTALL_CODE, INSTALL_CODE_WITH_CRC, grouped, spaced]
    return [*texts, *(t.lower() for t in texts)]


@pytest.fixture
def flow(
    incident,
    gaining_user,
    installing_user,
    raiser_hook,
    installer_hook,
    receiver,
    outbox,
    caplog,
):
    caplog.set_level(logging.DEBUG)
    with outbox.committing():
        incident_answer(
            actor=installing_user, incident=incident, install_code=INSTALL_CODE_WITH_CRC
        )
        incident_reveal_code(actor=gaining_user, incident=incident)
        incident_reveal_code(actor=installing_user, incident=incident)
        incident_add_note(actor=gaining_user, incident=incident, text=NOTE)
        incident_report_code_failed(actor=gaining_user, incident=incident, reason=REASON)
        incident_answer(actor=installing_user, incident=incident, install_code=INSTALL_CODE)
        incident_close(actor=gaining_user, incident=incident, outcome="code_worked")
    return receiver


def _haystack(receiver, caplog) -> list[tuple[str, str]]:
    pieces = [(f"payload {d.pk}", json.dumps(d.payload)) for d in WebhookDelivery.objects.all()]
    pieces += [(f"error {d.pk}", d.last_error) for d in WebhookDelivery.objects.all()]
    for n, received in enumerate(receiver.received):
        pieces.append((f"body {n}", received.body.decode()))
        pieces.append((f"headers {n}", json.dumps(received.headers)))
    pieces += [(f"log {r.name}", r.getMessage()) for r in caplog.records]
    return pieces


def test_no_delivery_or_log_line_holds_the_install_code(flow, caplog):
    haystack = _haystack(flow, caplog)

    assert len(flow.accepted()) == WebhookDelivery.objects.count() == 6
    found = [(where, form) for where, text in haystack for form in _forms() if form in text]
    assert found == []


def test_no_delivery_holds_the_words_of_a_note_or_a_reason(flow, caplog):
    haystack = _haystack(flow, caplog)

    for words in (NOTE, REASON, "Gate code", "Commissioning refused"):
        assert [where for where, text in haystack if words in text and "log" not in where] == []


def test_no_delivery_or_log_line_holds_a_signing_secret(flow, caplog, raiser_hook, installer_hook):
    haystack = _haystack(flow, caplog)

    for _, secret in (raiser_hook, installer_hook):
        bare = secret.removeprefix("whsec_")
        assert [where for where, text in haystack if bare in text] == []
