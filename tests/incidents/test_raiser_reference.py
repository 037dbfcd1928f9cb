"""The raising Supplier's own reference from a bulk file: kept on the request, shown to that
Supplier alone, and found by the search box of its list."""

import importlib
import re

import pytest
from django.apps import apps
from django.urls import reverse

from incidents.models import Incident
from tests.factories import DeviceFactory
from tests.support.bulk import RAISE_HEADER, run

pytestmark = pytest.mark.django_db

REFERENCE = re.compile(r">(INC\d{7})</a>")


@pytest.fixture
def bulk_raised(gaining_user, device):
    """A request raised from a bulk file with the reference JOB-1042."""
    run(gaining_user, "raise", RAISE_HEADER, f"{device.device_id},JOB-1042")
    return Incident.objects.get()


def _detail(client, incident) -> str:
    return client.get(reverse("incidents:detail", args=[incident.public_id])).content.decode()


def _found(client, list_name: str, q: str) -> list[str]:
    page = client.get(reverse(f"incidents:{list_name}"), {"q": q}).content.decode()
    return REFERENCE.findall(page)


def test_a_bulk_raise_keeps_each_rows_reference_on_its_request(gaining_user, installing_supplier):
    devices = [DeviceFactory(installing_supplier=installing_supplier) for _ in range(2)]

    run(gaining_user, "raise", RAISE_HEADER, f"{devices[0].device_id},JOB-1", devices[1].device_id)

    assert dict(Incident.objects.values_list("device__device_id", "raiser_reference")) == {
        devices[0].device_id: "JOB-1",
        devices[1].device_id: "",
    }


def test_the_raiser_sees_its_reference_on_the_request_page(client, gaining_user, bulk_raised):
    client.force_login(gaining_user)

    page = _detail(client, bulk_raised)

    assert (
        '<dt class="col-sm-4">Your reference</dt>'
        '<dd class="col-sm-8" id="your-reference">JOB-1042</dd>'
    ) in page


def test_the_installing_supplier_never_sees_the_raisers_reference(
    client, installing_user, bulk_raised
):
    client.force_login(installing_user)

    page = _detail(client, bulk_raised)

    assert "JOB-1042" not in page and "Your reference" not in page


def test_a_request_without_a_reference_shows_no_reference_line(client, gaining_user, incident):
    client.force_login(gaining_user)

    assert "Your reference" not in _detail(client, incident)


def test_the_raised_list_search_finds_a_request_by_its_reference(
    client, gaining_user, installing_supplier, bulk_raised
):
    other = DeviceFactory(installing_supplier=installing_supplier)
    run(gaining_user, "raise", RAISE_HEADER, f"{other.device_id},JOB-7")
    client.force_login(gaining_user)

    assert _found(client, "raised", "JOB-1042") == [bulk_raised.reference]


def test_the_search_by_reference_is_exact(client, gaining_user, bulk_raised):
    client.force_login(gaining_user)

    assert _found(client, "raised", "JOB-104") == []


def test_the_assigned_list_search_does_not_find_the_raisers_reference(
    client, installing_user, bulk_raised
):
    client.force_login(installing_user)

    assert _found(client, "assigned", "JOB-1042") == []


def test_a_search_by_reference_takes_the_lists_fixed_number_of_queries(
    client, gaining_user, bulk_raised, django_assert_num_queries
):
    from tests.incidents.test_list_performance import LIST_QUERIES

    client.force_login(gaining_user)

    with django_assert_num_queries(LIST_QUERIES):
        assert _found(client, "raised", "JOB-1042") == [bulk_raised.reference]


def test_the_migration_gives_requests_raised_in_bulk_before_it_their_rows_reference(
    gaining_user, bulk_raised
):
    migration = importlib.import_module("incidents.migrations.0009_incident_raiser_reference")
    Incident.objects.update(raiser_reference="")

    migration.references_from_bulk_rows(apps, None)

    bulk_raised.refresh_from_db()
    assert bulk_raised.raiser_reference == "JOB-1042"
