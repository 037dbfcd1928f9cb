"""Rate limits on raising: per user (one at a time through the form) and per Supplier (every
request, single or bulk), each over a sliding window, with a message saying when to retry."""

import datetime as dt
import subprocess
import sys

import pytest
from django.urls import reverse

from incidents.models import BulkStatus, Incident
from incidents.services import RateLimited, incident_raise
from ssi_portal.lib.rates import Rate, parse_rate
from tests.factories import DeviceFactory
from tests.support.bulk import NOW, RAISE_HEADER, csv_bytes, process, results, upload
from tests.test_html import assert_valid_page

pytestmark = pytest.mark.django_db


@pytest.fixture
def devices(installing_supplier):
    def make(n):
        return [DeviceFactory(installing_supplier=installing_supplier) for _ in range(n)]

    return make


def _raise_all(actor, devices, now=NOW):
    return [incident_raise(actor=actor, device_id=d.device_id, now=now) for d in devices]


# --- Rates ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("60/hour", Rate(60, 3600)),
        (" 200000/DAY ", Rate(200_000, 86_400)),
        ("5/minute", Rate(5, 60)),
        ("off", None),
        ("", None),
    ],
)
def test_a_rate_is_written_as_people_write_it(text, rate):
    assert parse_rate(text) == rate


@pytest.mark.parametrize("text", ["60", "60/fortnight", "0/hour", "-1/hour", "many/hour"])
def test_a_malformed_rate_is_refused_saying_how_to_write_one(text):
    with pytest.raises(ValueError, match="write N/period with N a whole number of at least 1"):
        parse_rate(text)


def test_the_portal_refuses_to_start_with_a_malformed_limit():
    env = {"SSI_RAISE_LIMIT_PER_USER": "lots", "DJANGO_SETTINGS_MODULE": "ssi_portal.settings.dev"}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={**__import__("os").environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode != 0
    assert "SSI_RAISE_LIMIT_PER_USER: 'lots' is not a rate" in result.stderr


def test_the_defaults_limit_each_user_and_each_supplier():
    from ssi_portal.settings import base

    assert parse_rate(base.SSI_RAISE_LIMIT_PER_USER) == Rate(60, 3600)
    assert parse_rate(base.SSI_RAISE_LIMIT_PER_SUPPLIER) == Rate(200_000, 86_400)


# --- Per user ------------------------------------------------------------------------------------


def test_a_user_at_the_limit_is_refused_saying_when_to_try_again(settings, gaining_user, devices):
    settings.SSI_RAISE_LIMIT_PER_USER = "3/hour"
    first, *_ = _raise_all(gaining_user, devices(3))
    [fourth] = devices(1)

    with pytest.raises(RateLimited) as caught:
        incident_raise(
            actor=gaining_user, device_id=fourth.device_id, now=NOW + dt.timedelta(minutes=5)
        )

    # NOW is 10:00 in London: the three raises leave the window at 11:00.
    assert caught.value.message == (
        "You have raised 3 requests in the last hour, the most one person may raise one at a "
        "time (3 per hour). You can raise the next one after 11:00; to raise many at once, "
        "upload a CSV file."
    )
    assert caught.value.retry_at == NOW + dt.timedelta(hours=1)
    assert Incident.objects.count() == 3


def test_the_window_slides_so_a_place_frees_up_an_hour_after_a_raise(
    settings, gaining_user, devices
):
    settings.SSI_RAISE_LIMIT_PER_USER = "2/hour"
    one, two, three = devices(3)
    incident_raise(actor=gaining_user, device_id=one.device_id, now=NOW)
    incident_raise(actor=gaining_user, device_id=two.device_id, now=NOW + dt.timedelta(minutes=30))

    with pytest.raises(RateLimited):
        incident_raise(
            actor=gaining_user, device_id=three.device_id, now=NOW + dt.timedelta(minutes=59)
        )
    incident_raise(
        actor=gaining_user, device_id=three.device_id, now=NOW + dt.timedelta(minutes=61)
    )


def test_a_colleague_has_a_limit_of_their_own(settings, gaining_user, gaining_colleague, devices):
    settings.SSI_RAISE_LIMIT_PER_USER = "1/hour"
    mine, theirs = devices(2)
    incident_raise(actor=gaining_user, device_id=mine.device_id, now=NOW)
    # The user has used up their own hour: the limit is on.
    with pytest.raises(RateLimited):
        incident_raise(actor=gaining_user, device_id=theirs.device_id, now=NOW)

    raised = incident_raise(actor=gaining_colleague, device_id=theirs.device_id, now=NOW)

    assert (raised.raised_by, raised.device) == (gaining_colleague, theirs)
    assert Incident.objects.filter(raised_by=gaining_colleague).count() == 1


def test_requests_raised_in_bulk_do_not_use_up_the_users_own_limit(settings, gaining_user, devices):
    settings.SSI_RAISE_LIMIT_PER_USER = "2/hour"
    *bulk, single = devices(5)
    made = process(
        upload(gaining_user, "raise", csv_bytes(RAISE_HEADER, *[d.device_id for d in bulk]))
    )
    assert made.accepted_rows == 4

    incident_raise(actor=gaining_user, device_id=single.device_id, now=NOW)


def test_the_raise_page_answers_429_with_the_limit_at_the_top(
    settings, client, gaining_user, devices
):
    settings.SSI_RAISE_LIMIT_PER_USER = "1/hour"
    first, second = devices(2)
    client.force_login(gaining_user)
    client.post(reverse("incidents:raise"), {"device_id": first.device_id})

    response = client.post(reverse("incidents:raise"), {"device_id": second.device_id})

    assert response.status_code == 429
    html = response.content.decode()
    assert "You have raised 1 request in the last hour" in html
    assert 'role="alert"' in html or "alert-danger" in html
    assert_valid_page(html)
    assert Incident.objects.count() == 1


# --- Per Supplier ---------------------------------------------------------------------------------


def test_a_supplier_at_its_limit_is_refused_whoever_of_its_users_raises(
    settings, gaining_user, gaining_colleague, devices
):
    settings.SSI_RAISE_LIMIT_PER_SUPPLIER = "2/day"
    one, two, three = devices(3)
    incident_raise(actor=gaining_user, device_id=one.device_id, now=NOW)
    incident_raise(actor=gaining_colleague, device_id=two.device_id, now=NOW)

    with pytest.raises(RateLimited) as caught:
        incident_raise(actor=gaining_colleague, device_id=three.device_id, now=NOW)

    # Counted in 24-minute intervals (a sixtieth of the day): the raises at 10:00 fall in the
    # one from 09:48 to 10:12, which leaves the window at 10:12 the next day.
    assert caught.value.message == (
        "Gaining Energy has raised 2 requests in the last 24 hours, the most one Supplier may "
        "raise (2 per day). The next one can be raised after 10:12 on Thursday 2 April."
    )


def test_a_bulk_file_larger_than_what_is_left_is_refused_at_upload(settings, gaining_user, devices):
    settings.SSI_RAISE_LIMIT_PER_SUPPLIER = "5/day"
    [earlier] = devices(1)
    incident_raise(actor=gaining_user, device_id=earlier.device_id, now=NOW)
    rows = [d.device_id for d in devices(5)]

    made = upload(gaining_user, "raise", csv_bytes(RAISE_HEADER, *rows))

    assert made.status == BulkStatus.REFUSED
    assert made.error == (
        "Gaining Energy may raise 5 per day and can raise 4 more now; this file asks for 5. "
        "Split the file, or upload it once earlier requests have left the 24 hours window."
    )
    assert Incident.objects.count() == 1


def test_bulk_rows_past_the_limit_reached_meanwhile_are_refused_as_rate_limited(
    settings, gaining_user, gaining_colleague, devices
):
    settings.SSI_RAISE_LIMIT_PER_SUPPLIER = "4/day"
    file_devices = devices(3)
    made = upload(
        gaining_user, "raise", csv_bytes(RAISE_HEADER, *[d.device_id for d in file_devices])
    )
    # A colleague raises three while the file waits in the queue: one place is left.
    _raise_all(gaining_colleague, devices(3))

    process(made)

    rows = results(made)
    assert [rows[line].reason_code for line in (2, 3, 4)] == ["", "rate_limited", "rate_limited"]
    assert rows[3].message == (
        "Gaining Energy has reached its limit on raising requests (4 per day); this row was not "
        "raised. Upload the rows refused for this reason again later."
    )
    assert Incident.objects.count() == 4


def test_the_supplier_check_reads_its_tally_not_its_incidents(settings, gaining_user, devices):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from incidents.services.entitlement import supplier_allowance

    settings.SSI_RAISE_LIMIT_PER_SUPPLIER = "100/day"
    _raise_all(gaining_user, devices(3))

    with CaptureQueriesContext(connection) as queries:
        left = supplier_allowance(gaining_user.supplier_id, now=NOW)

    assert left == 97
    [query] = queries
    assert "incidents_raisetally" in query["sql"]
    assert "incidents_incident" not in query["sql"]


def test_a_supplier_limit_switched_on_later_sees_the_raises_before_it(
    settings, gaining_user, devices
):
    from incidents.services.entitlement import supplier_allowance

    _raise_all(gaining_user, devices(3))  # no Supplier limit set in the test settings

    settings.SSI_RAISE_LIMIT_PER_SUPPLIER = "5/day"
    assert supplier_allowance(gaining_user.supplier_id, now=NOW + dt.timedelta(hours=1)) == 2


def test_old_tally_rows_are_purged_and_recent_ones_kept(settings, gaining_user, devices):
    from incidents.models import RaiseTally
    from incidents.tasks import purge_raise_tallies

    settings.SSI_RAISE_LIMIT_PER_SUPPLIER = "100/day"
    old, recent = devices(2)
    incident_raise(actor=gaining_user, device_id=old.device_id, now=NOW - dt.timedelta(days=3))
    incident_raise(actor=gaining_user, device_id=recent.device_id, now=NOW)

    from incidents.services.entitlement import raise_tallies_purge

    assert raise_tallies_purge(now=NOW) == 1
    assert purge_raise_tallies.name in {
        entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }
    assert RaiseTally.objects.get().count == 1


def test_a_raise_refused_by_a_rate_limit_is_in_the_security_log(settings, gaining_user, devices):
    from accounts.models import SecurityEvent, SecurityEventKind

    settings.SSI_RAISE_LIMIT_PER_USER = "1/hour"
    first, second = devices(2)
    incident_raise(actor=gaining_user, device_id=first.device_id, now=NOW)

    with pytest.raises(RateLimited):
        incident_raise(actor=gaining_user, device_id=second.device_id, now=NOW)

    event = SecurityEvent.objects.get(kind=SecurityEventKind.RAISE_RATE_LIMITED)
    assert (event.actor, event.reference) == (gaining_user, f"device:{second.device_id}")
    assert event.detail.startswith("You have raised 1 request in the last hour")
