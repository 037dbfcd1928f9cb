"""Deliveries are written in the transaction of their event: rolled back with it, nothing at
all when no endpoint subscribes, and in a bounded number of queries on the bulk paths."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from incidents.services import incident_answer, incident_escalate_overdue, incident_raise
from tests.factories import DeviceFactory
from tests.support.bulk import RAISE_HEADER, csv_bytes, process, upload
from tests.support.webhooks import make_endpoint
from webhooks.models import WebhookDelivery

CODE = "83FED3407A939723A5C639B26916D505C3B5"


def test_a_rolled_back_transaction_leaves_no_delivery(
    incident, installing_user, gaining_supplier, django_capture_on_commit_callbacks
):
    make_endpoint(gaining_supplier)

    with (
        django_capture_on_commit_callbacks() as published,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        incident_answer(actor=installing_user, incident=incident, install_code=CODE)
        assert WebhookDelivery.objects.count() == 1
        raise RuntimeError("the page failed after the answer")

    assert WebhookDelivery.objects.count() == 0
    assert published == []
    incident.refresh_from_db()
    assert incident.status == "awaiting_installer"


def _event_queries(queries) -> list[str]:
    return [q["sql"] for q in queries if "webhooks_" in q["sql"]]


def test_nothing_is_written_when_no_endpoint_subscribes(
    incident, installing_user, gaining_supplier, django_capture_on_commit_callbacks
):
    make_endpoint(gaining_supplier, event_types=["request.closed"])  # not answers

    with (
        CaptureQueriesContext(connection) as queries,
        django_capture_on_commit_callbacks() as published,
    ):
        incident_answer(actor=installing_user, incident=incident, install_code=CODE)

    [read] = _event_queries(queries)
    assert read.lstrip().upper().startswith("SELECT")
    assert not WebhookDelivery.objects.exists()
    assert all("deliver_webhook" not in repr(c) for c in published)


def test_an_event_that_sends_no_webhook_asks_nothing_of_the_webhooks(
    incident, installing_user, gaining_supplier
):
    from incidents.services import incident_add_note

    make_endpoint(gaining_supplier)

    with CaptureQueriesContext(connection) as queries:
        incident_add_note(actor=installing_user, incident=incident, text="Visit booked.")

    assert _event_queries(queries) == []


def _bulk_raise(actor, installer, rows: int):
    devices = [DeviceFactory(installing_supplier=installer) for _ in range(rows)]
    return upload(actor, "raise", csv_bytes(RAISE_HEADER, *(d.device_id for d in devices)))


def test_a_bulk_raise_with_a_subscribed_endpoint_writes_its_deliveries_in_bounded_queries(
    gaining_user, installing_supplier, django_assert_max_num_queries
):
    make_endpoint(installing_supplier, event_types=["request.raised"])
    ten = _bulk_raise(gaining_user, installing_supplier, 10)
    with CaptureQueriesContext(connection) as queries:
        process(ten)
    hundred = _bulk_raise(gaining_user, installing_supplier, 100)

    with django_assert_max_num_queries(len(queries)):
        process(hundred)

    assert WebhookDelivery.objects.filter(event_type="request.raised").count() == 110
    # One query for the endpoints, one for the requests, one INSERT: per chunk.
    assert len(_event_queries(queries)) <= 3


def test_a_bulk_raise_without_any_endpoint_costs_two_queries_more_than_before(
    gaining_user, installing_supplier
):
    made = _bulk_raise(gaining_user, installing_supplier, 50)

    with CaptureQueriesContext(connection) as queries:
        process(made)

    # Is any endpoint subscribed, to the chunk's requests and to the job's end? No: no more.
    assert len(_event_queries(queries)) == 2


def test_a_sweep_of_many_breaches_writes_their_deliveries_in_bounded_queries(
    gaining_user, installing_supplier, gaining_supplier, django_assert_max_num_queries
):
    make_endpoint(gaining_supplier)
    make_endpoint(installing_supplier)
    incidents = [
        incident_raise(
            actor=gaining_user,
            device_id=DeviceFactory(installing_supplier=installing_supplier).device_id,
        )
        for _ in range(30)
    ]
    WebhookDelivery.objects.all().delete()
    late = max(i.due_at for i in incidents)

    with CaptureQueriesContext(connection) as queries:
        assert incident_escalate_overdue(now=late + late.resolution * 10**6) == 30

    assert WebhookDelivery.objects.filter(event_type="request.breached").count() == 60
    assert len(_event_queries(queries)) <= 3
