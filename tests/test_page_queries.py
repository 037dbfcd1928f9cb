"""What the pages the benchmark measures (bench/http_load.py) ask of the database, signed in
as production signs in: a second factor verified, the session saved at most once a minute.

Each count is pinned: a page that stays O(1) in queries stays so, and the tax every request
pays before its own work (the session read with its user and their second factors, one query;
no device read, no session written inside the minute) is counted in each.
"""

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY

from tests.accounts.helpers import enrolled
from tests.factories import DeviceFactory

pytestmark = pytest.mark.django_db

# The session, read with its user, their Supplier and the ids of their confirmed second
# factors: every request.
TAX = 1
# A raise's own queries, savepoint and release included (see its test).
RAISE_QUERIES = {"postgresql": 6, "sqlite": 11}


@pytest.fixture(autouse=True)
def as_in_production(settings, clock):
    settings.SSI_MFA_REQUIRED = True
    settings.SSI_RAISE_LIMIT_PER_USER = "60/hour"
    settings.SSI_RAISE_LIMIT_PER_SUPPLIER = "200000/day"


@pytest.fixture
def clock():
    import time_machine

    from tests.accounts.helpers import START

    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def verified_client(user) -> Client:
    """Signed in, the session verified by the user's authenticator (as the code step leaves
    it), and a few seconds on: inside the minute in which the session is not written again."""
    device, _ = enrolled(user)
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def test_the_benchmarks_floor(settings, gaining_user, device, clock, django_assert_num_queries):
    settings.ROOT_URLCONF = "bench.http_urls"
    client = verified_client(gaining_user)
    clock.shift(5)

    with django_assert_num_queries(TAX + 1):  # the Device
        response = client.get("/bench/floor/", {"id": device.device_id})

    assert response.status_code == 200 and response.json()["found"]


def test_the_home_page(gaining_user, incident, clock, django_assert_num_queries):
    client = verified_client(gaining_user)
    clock.shift(5)

    # the figures (one query); the Supplier's name comes with the session's user
    with django_assert_num_queries(TAX + 1):
        assert client.get(reverse("incidents:home")).status_code == 200


def test_the_worklist_first_page(installing_user, incident, clock, django_assert_num_queries):
    client = verified_client(installing_user)
    clock.shift(5)

    # the page of incidents (Device and Suppliers joined in); no count; the Supplier's name
    # comes with the session's user
    with django_assert_num_queries(TAX + 1):
        assert client.get(reverse("incidents:assigned")).status_code == 200


def test_the_incident_page(gaining_user, incident, clock, django_assert_num_queries):
    client = verified_client(gaining_user)
    clock.shift(5)

    # the incident (Device and Suppliers joined in, with the non-working days of its
    # deadline), the timeline; the user's Supplier comes with the session's user
    with django_assert_num_queries(TAX + 2):
        assert client.get(reverse("incidents:detail", args=[incident.public_id])).status_code == 200


def test_raising_one_request_through_the_form(
    gaining_user, gaining_supplier, installing_supplier, clock, django_assert_num_queries
):
    device = DeviceFactory(installing_supplier=installing_supplier)  # its meter point ours
    client = verified_client(gaining_user)
    clock.shift(5)

    # The raiser's Supplier with both rate limits' windows, the Device with its installing
    # Supplier, the installer's contact addresses, the registration of its meter point and
    # the non-working days of the calendar;
    # then in one transaction (a savepoint here, a test being a transaction itself; no
    # savepoint of its own: an insert refused as already open rolls it back whole) the
    # insert, the clock, a code lodged in advance, the webhook endpoints, the event, its
    # email in the outbox, the Supplier's tally: on PostgreSQL in two statements (the insert
    # with whether a code was lodged and whether an endpoint hears of it; the rest), else
    # one each.
    with django_assert_num_queries(TAX + RAISE_QUERIES[connection.vendor]):
        response = client.post(reverse("incidents:raise"), {"device_id": device.device_id})

    assert response.status_code == 302


def test_the_helpdesks_change_list_of_incidents(
    helpdesk_user, incident, clock, django_assert_num_queries
):
    helpdesk_user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_incident", "change_incident"])
    )
    client = verified_client(helpdesk_user)
    clock.shift(5)

    # the user's permissions (their own and their groups', one query), the Suppliers of both
    # Supplier filters (one query), the count (on PostgreSQL with the table's row estimate, in
    # one query), the page
    with django_assert_num_queries(TAX + 4):
        assert client.get(reverse("admin:incidents_incident_changelist")).status_code == 200
