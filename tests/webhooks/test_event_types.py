"""Each kind of incident event sends its webhook event type to the Supplier(s) the table in
incidents.services.webhooks names, on every path: one at a time, lodged codes, bulk uploads,
the deadline sweeps and the portal's own closing. A note sends nothing."""

import datetime as dt

import pytest

from incidents.models import IncidentEvent
from incidents.services import (
    incident_add_note,
    incident_answer,
    incident_answer_not_installed,
    incident_close,
    incident_escalate_overdue,
    incident_raise,
    incident_reassign,
    incident_report_code_failed,
    incident_reveal_code,
    incidents_remind_due,
)
from incidents.services.smi_sync import incidents_sync_with_smi
from inventory.models import Device, SMIStatus
from tests.factories import DeviceFactory
from tests.support.bulk import ANSWER_HEADER, LODGE_HEADER, RAISE_HEADER, run
from tests.support.webhooks import make_endpoint
from webhooks.models import WebhookDelivery, WebhookEventType

from .conftest import sent_to

CODE = "83FED3407A939723A5C639B26916D505C3B5"


@pytest.fixture
def hooks(gaining_supplier, installing_supplier, other_supplier):
    """Every Supplier subscribed to every event type."""
    for supplier in (gaining_supplier, installing_supplier, other_supplier):
        make_endpoint(supplier, url=f"https://hooks.example.com/{supplier.mpid}")


@pytest.fixture
def told(hooks, gaining_supplier, installing_supplier, other_supplier):
    """What each Supplier was sent by ``action`` (raiser, installer, other)."""

    def run_action(action):
        WebhookDelivery.objects.all().delete()
        action()
        return tuple(sent_to(s) for s in (gaining_supplier, installing_supplier, other_supplier))

    return run_action


def _answered(incident, installing_user):
    return incident_answer(actor=installing_user, incident=incident, install_code=CODE)


def test_a_raise_tells_the_assigned_supplier(told, gaining_user, device):
    raised = told(lambda: incident_raise(actor=gaining_user, device_id=device.device_id))

    assert raised == ([], ["request.raised"], [])


def test_a_raise_sent_to_the_helpdesk_tells_no_supplier(told, gaining_user):
    device = DeviceFactory(installing_supplier=None)

    assert told(lambda: incident_raise(actor=gaining_user, device_id=device.device_id)) == (
        [],
        [],
        [],
    )


def test_an_answer_tells_the_raiser(told, incident, installing_user):
    assert told(lambda: _answered(incident, installing_user)) == (["request.answered"], [], [])


def test_not_installed_tells_the_raiser(told, incident, installing_user):
    action = lambda: incident_answer_not_installed(actor=installing_user, incident=incident)  # noqa: E731

    assert told(action) == (["request.disclaimed"], [], [])


def test_a_reveal_by_the_raiser_tells_the_supplier_that_gave_the_code(
    told, incident, installing_user, gaining_user
):
    _answered(incident, installing_user)

    action = lambda: incident_reveal_code(actor=gaining_user, incident=incident)  # noqa: E731

    assert told(action) == ([], ["request.code_revealed"], [])


def test_a_reveal_by_the_supplier_that_gave_the_code_tells_the_raiser(
    told, incident, installing_user
):
    _answered(incident, installing_user)

    action = lambda: incident_reveal_code(actor=installing_user, incident=incident)  # noqa: E731

    assert told(action) == (["request.code_revealed"], [], [])


def test_a_code_that_failed_tells_the_supplier_that_gave_it(
    told, incident, installing_user, gaining_user
):
    _answered(incident, installing_user)

    action = lambda: incident_report_code_failed(  # noqa: E731
        actor=gaining_user, incident=incident, reason="The hub rejected it."
    )

    assert told(action) == ([], ["request.code_failed"], [])


def test_a_reassignment_tells_the_new_assignee_and_the_raiser(
    told, incident, helpdesk_user, other_supplier
):
    action = lambda: incident_reassign(  # noqa: E731
        actor=helpdesk_user, incident=incident, supplier=other_supplier, reason="Records."
    )

    assert told(action) == (["request.reassigned"], [], ["request.reassigned"])


def test_a_close_by_the_raiser_tells_the_assigned_supplier(
    told, incident, installing_user, gaining_user
):
    _answered(incident, installing_user)

    action = lambda: incident_close(  # noqa: E731
        actor=gaining_user, incident=incident, outcome="code_worked"
    )

    assert told(action) == ([], ["request.closed"], [])


def test_a_close_by_the_portal_tells_both_suppliers(told, incident):
    Device.objects.filter(pk=incident.device_id).update(
        smi_status=SMIStatus.COMMISSIONED, status_effective_date=dt.date(2026, 4, 10)
    )

    assert told(incidents_sync_with_smi) == (["request.closed"], ["request.closed"], [])


def test_the_reminder_sweep_tells_the_assigned_supplier(told, incident):
    action = lambda: incidents_remind_due(now=incident.due_at - dt.timedelta(hours=1))  # noqa: E731

    assert told(action) == ([], ["request.reminded"], [])


def test_the_escalation_sweep_tells_both_suppliers(told, incident):
    action = lambda: incident_escalate_overdue(now=incident.due_at + dt.timedelta(seconds=1))  # noqa: E731

    assert told(action) == (["request.breached"], ["request.breached"], [])


def test_a_note_sends_no_webhook(told, incident, installing_user):
    action = lambda: incident_add_note(actor=installing_user, incident=incident, text="Booked.")  # noqa: E731

    assert told(action) == ([], [], [])


def test_a_bulk_raise_tells_the_assignee_of_each_request_and_the_uploader_it_finished(
    told, gaining_user, installing_supplier
):
    devices = [DeviceFactory(installing_supplier=installing_supplier) for _ in range(3)]

    action = lambda: run(gaining_user, "raise", RAISE_HEADER, *(d.device_id for d in devices))  # noqa: E731

    assert told(action) == (["bulk_job.finished"], ["request.raised"] * 3, [])


def test_a_bulk_answer_tells_the_raiser_and_the_uploader_it_finished(
    told, incident, installing_user
):
    action = lambda: run(  # noqa: E731
        installing_user, "answer", ANSWER_HEADER, f"{incident.device.device_id},{CODE}"
    )

    assert told(action) == (["request.answered"], ["bulk_job.finished"], [])


def test_a_raise_answered_from_a_lodged_code_tells_both(
    told, gaining_user, installing_user, installing_supplier
):
    device = DeviceFactory(installing_supplier=installing_supplier)
    run(installing_user, "lodge", LODGE_HEADER, f"{device.device_id},{CODE}")

    raised = told(lambda: incident_raise(actor=gaining_user, device_id=device.device_id))

    assert raised == (["request.answered"], ["request.raised"], [])


def test_an_endpoint_gets_only_the_event_types_it_chose(
    gaining_supplier, installing_supplier, incident, installing_user, gaining_user
):
    make_endpoint(gaining_supplier, event_types=["request.closed"])
    _answered(incident, installing_user)
    incident_close(actor=gaining_user, incident=incident, outcome="code_worked")

    assert sent_to(gaining_supplier) == []


def test_every_event_type_is_sent_by_some_event():
    from incidents.services.webhooks import WEBHOOKS

    sent = {event_type for event_type, _ in WEBHOOKS.values()} | {"bulk_job.finished"}
    assert sent == set(WebhookEventType.values)
    assert IncidentEvent.Kind.NOTE not in WEBHOOKS


def test_the_payload_is_thin_with_links_to_the_api_and_the_page(
    hooks, incident, installing_user, gaining_supplier
):
    event = None
    _answered(incident, installing_user)
    event = IncidentEvent.objects.get(incident=incident, kind="code_provided")
    [delivery] = WebhookDelivery.objects.filter(endpoint__supplier=gaining_supplier)

    assert delivery.source == f"incident-event:{event.pk}"
    assert delivery.payload == {
        "type": "request.answered",
        "timestamp": event.created_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        "data": {
            "reference": incident.reference,
            "id": str(incident.public_id),
            "status": "code_provided",
            "event_id": event.pk,
            "occurred_at": event.created_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
            "due_at": incident.due_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
            "links": {
                "self": f"http://testserver/api/v1/requests/{incident.public_id}/",
                "page": f"http://testserver/incidents/{incident.public_id}/",
            },
        },
    }
