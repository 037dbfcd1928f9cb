"""An install code planted through the real flows shows nowhere but on the reveal page: not in
emails, logs, task arguments, error pages, CSV exports, admin pages, URLs, nor any database
column outside the sealed ones. It is also typed where it does not belong (a note, a reason, a
Device ID, a search, a reassignment): the refused pages do not repeat it. Users without the
role to raise or to answer try to reveal it, and are refused without it."""

import json
import logging
import secrets

import pytest
from celery.app.task import Task
from django.apps import apps
from django.contrib import admin
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.urls import reverse

from inventory.identifiers import crc_suffix, format_install_code
from tests.factories import DeviceFactory, UserFactory
from tests.security.test_url_matrix import MISSING_UUID

SEALED_COLUMNS = {"install_code_sealed", "code_sealed", "payload_sealed"}


def _forms(code: bytes) -> list[str | bytes]:
    """Every way the code could be written down."""
    hex_upper = code.hex().upper()
    with_crc = hex_upper + crc_suffix(code).hex().upper()
    grouped = format_install_code(code)
    texts = [hex_upper, with_crc, grouped, " ".join(with_crc[i : i + 4] for i in range(0, 36, 4))]
    return [*texts, *(t.lower() for t in texts), code]


class Haystack:
    """Everything gathered from the flow, each piece labelled by where it came from."""

    def __init__(self):
        self.pieces: list[tuple[str, str | bytes]] = []

    def add(self, where: str, content) -> None:
        if isinstance(content, bytes | str):
            self.pieces.append((where, content))
        else:
            self.pieces.append((where, json.dumps(content, default=repr)))

    def findings(self, code: bytes) -> list[str]:
        found = []
        for where, content in self.pieces:
            for form in _forms(code):
                if isinstance(form, bytes) and isinstance(content, bytes) and form in content:
                    found.append(f"{where}: raw bytes")
                elif isinstance(form, str):
                    text = (
                        content.decode("utf-8", "replace")
                        if isinstance(content, bytes)
                        else content
                    )
                    if form in text:
                        found.append(f"{where}: {form!r}")
        return found


@pytest.fixture
def task_calls(monkeypatch):
    """The arguments of every task published (they still run, eagerly)."""
    calls = []
    original = Task.apply_async

    def recording(self, args=None, kwargs=None, **options):
        calls.append((self.name, args, kwargs))
        return original(self, args, kwargs, **options)

    monkeypatch.setattr(Task, "apply_async", recording)
    return calls


@pytest.fixture
def second_device(installing_supplier):
    return DeviceFactory(
        device_id="00-DB-12-34-56-78-90-B1", installing_supplier=installing_supplier
    )


@pytest.fixture
def third_device(installing_supplier):
    return DeviceFactory(
        device_id="00-DB-12-34-56-78-90-B2", installing_supplier=installing_supplier
    )


def _csv(header: str, row: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("codes.csv", f"{header}\r\n{row}\r\n".encode(), "text/csv")


def _database_text(haystack: Haystack) -> None:
    for model in apps.get_models():
        columns = [
            f.attname
            for f in model._meta.concrete_fields
            if f.name not in SEALED_COLUMNS
            and isinstance(
                f, models.CharField | models.TextField | models.JSONField | models.BinaryField
            )
        ]
        if not columns:
            continue
        for row in model.objects.values_list(*columns):
            for column, value in zip(columns, row, strict=True):
                if value is None:
                    continue
                if isinstance(value, memoryview):
                    value = bytes(value)
                haystack.add(
                    f"db {model._meta.label}.{column}",
                    value if isinstance(value, bytes | str) else value,
                )


def test_an_install_code_shows_only_on_the_reveal_page(
    client,
    caplog,
    task_calls,
    django_capture_on_commit_callbacks,
    incident,
    gaining_user,
    installing_user,
    helpdesk_user,
    second_device,
    third_device,
):
    from incidents.services import incident_raise

    caplog.set_level(logging.DEBUG)
    code = secrets.token_bytes(16)
    typed = code.hex().upper() + crc_suffix(code).hex().upper()
    haystack = Haystack()
    second = incident_raise(actor=gaining_user, device_id=second_device.device_id)

    def visit(method: str, url: str, data=None, *, allowed: bool = False):
        haystack.add("url", url)
        with django_capture_on_commit_callbacks(execute=True):
            response = getattr(client, method)(url, data or {})
        body = b"".join(response.streaming_content) if response.streaming else response.content
        if not allowed:
            haystack.add(f"{method.upper()} {url} -> {response.status_code}", body)
        return response, body

    detail = reverse("incidents:detail", args=[incident.public_id])
    grouped = " ".join(typed[i : i + 4] for i in range(0, 36, 4))
    # The helpdesk, as superuser, writes the code into a reassignment's reason: refused.
    helpdesk_user.is_superuser = True
    helpdesk_user.save(update_fields=["is_superuser"])
    client.force_login(helpdesk_user)
    visit(
        "post",
        reverse("admin:incidents_incident_reassign", args=[incident.pk]),
        {"supplier": installing_user.supplier_id, "reason": f"Code {typed}"},
    )
    # Codes typed where they do not belong, by each side: every one refused.
    client.force_login(installing_user)
    visit(
        "post",
        reverse("incidents:not_installed", args=[incident.public_id]),
        {"reason": f"Not ours; the label says {grouped}"},
    )
    visit("post", reverse("incidents:note", args=[incident.public_id]), {"text": typed.lower()})
    visit("get", reverse("incidents:assigned"), {"q": typed})
    client.force_login(gaining_user)
    visit("post", reverse("incidents:raise"), {"device_id": typed})
    visit("post", reverse("incidents:note", args=[incident.public_id]), {"text": f"Is it {typed}?"})
    visit("get", reverse("incidents:raised"), {"q": grouped})
    # The installing Supplier answers, lodges the code for a Device in advance, and answers a
    # second request by file; a bad answer shows the form error page.
    client.force_login(installing_user)
    visit(
        "post", reverse("incidents:answer", args=[second.public_id]), {"install_code": typed[:-1]}
    )
    visit("post", reverse("incidents:answer", args=[incident.public_id]), {"install_code": typed})
    visit(
        "post",
        reverse("incidents:bulk_lodge"),
        {"file": _csv("device_id,install_code", f"{third_device.device_id},{typed}")},
    )
    visit(
        "post",
        reverse("incidents:bulk_answer"),
        {"file": _csv("device_id_or_reference,install_code", f"{second.reference},{typed}")},
    )
    visit(
        "post",
        reverse("incidents:close", args=[incident.public_id]),
        {"outcome": "no_longer_needed"},
    )
    visit("get", reverse("incidents:detail", args=[MISSING_UUID]))
    visit("get", reverse("incidents:worklist_csv"))
    visit("get", reverse("incidents:compliance_csv"))
    from incidents.models import BulkUpload

    for upload in BulkUpload.objects.all():
        visit("get", reverse("incidents:bulk_results", args=[upload.public_id]))
        visit("get", reverse("incidents:bulk_detail", args=[upload.public_id]))
    # Users of either Supplier without the role to raise or to answer try to reveal it.
    for supplier_id, name in (
        (gaining_user.supplier_id, "gainnorole"),
        (installing_user.supplier_id, "instnorole"),
    ):
        client.force_login(
            UserFactory(username=name, supplier_id=supplier_id, can_raise=False, can_answer=False)
        )
        refused, _ = visit("post", reverse("incidents:reveal", args=[incident.public_id]))
        assert refused.status_code == 403
        visit("get", detail)
    # The raising Supplier reveals it (the one place it may show), reports that it failed with
    # the code in the reason (refused), then closes the request.
    client.force_login(gaining_user)
    revealed, body = visit(
        "post", reverse("incidents:reveal", args=[incident.public_id]), allowed=True
    )
    assert format_install_code(code).encode() in body
    refused, _ = visit(
        "post",
        reverse("incidents:code_failed", args=[incident.public_id]),
        {"reason": f"{grouped} was rejected"},
    )
    assert refused.status_code == 400
    visit("get", detail)
    visit("post", reverse("incidents:close", args=[incident.public_id]), {"outcome": "code_worked"})
    visit("get", detail)
    visit("get", reverse("notifications:sent_emails"))
    # The helpdesk reads every admin page of the portal's models.
    client.force_login(helpdesk_user)
    visit("get", reverse("incidents:compliance_all_csv"))
    visit("post", reverse("incidents:reveal", args=[incident.public_id]))
    for model in admin.site._registry:
        if model._meta.app_label not in ("accounts", "incidents", "inventory", "notifications"):
            continue
        info = (model._meta.app_label, model._meta.model_name)
        visit("get", reverse("admin:{}_{}_changelist".format(*info)))
        for pk in model.objects.values_list("pk", flat=True)[:20]:
            visit("get", reverse("admin:{}_{}_change".format(*info), args=[pk]))

    for message in mail.outbox:
        haystack.add(f"email to {message.to}", message.subject)
        haystack.add(f"email to {message.to}", message.body)
        for alternative, _mime in getattr(message, "alternatives", []):
            haystack.add(f"email html to {message.to}", alternative)
    for record in caplog.records:
        haystack.add(f"log {record.name}", record.getMessage())
        haystack.add(f"log args {record.name}", repr(record.args))
    for name, args, kwargs in task_calls:
        haystack.add(f"task {name}", [args, kwargs])
    _database_text(haystack)

    from incidents.models import LodgedCode

    second.refresh_from_db()
    assert second.has_install_code, "the bulk answer did not go through"
    assert LodgedCode.objects.exists(), "the bulk lodge did not go through"
    assert mail.outbox, "the flow sent no email: nothing was checked"
    assert task_calls, "the flow queued no task: nothing was checked"
    assert haystack.findings(code) == []
