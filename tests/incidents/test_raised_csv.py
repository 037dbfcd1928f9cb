"""Downloading "Raised by us" as a CSV file: streamed, the list's filters, safe to open in a
spreadsheet, and never an install code."""

import csv
import datetime as dt
import io

import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse

from conftest import INSTALL_CODE, INSTALL_CODE_WITH_CRC
from incidents.services import incident_answer, incident_close, incident_raise
from tests.factories import DeviceFactory, SupplierFactory
from tests.support.mail import leaks_install_code

pytestmark = pytest.mark.django_db

RAISED = dt.datetime(2027, 2, 3, 10, 0, tzinfo=dt.UTC)  # due at the end of 10 February 2027
EXPORT = reverse("incidents:raised_csv")
HEADER = ["reference", "device_id", "device_type", "assigned_to", "status", "raised_at", "due"]


def _rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


@pytest.fixture
def ours(gaining_user, installing_user, installing_supplier):
    """Three requests raised by the gaining Supplier: awaiting, answered, closed."""
    made = [
        incident_raise(
            actor=gaining_user,
            device_id=DeviceFactory(installing_supplier=installing_supplier).device_id,
            now=RAISED + dt.timedelta(hours=n),
        )
        for n in range(3)
    ]
    incident_answer(actor=installing_user, incident=made[1], install_code=INSTALL_CODE_WITH_CRC)
    incident_close(actor=gaining_user, incident=made[2], outcome="no_longer_needed")
    return made


def test_the_download_lists_our_requests_newest_first_as_the_list_shows_them(
    client, gaining_user, ours
):
    client.force_login(gaining_user)

    response = client.get(EXPORT)

    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Disposition"].startswith('attachment; filename="raised-by-us-')
    rows = _rows(response)
    assert rows[0] == HEADER
    assert rows[1:] == [
        [ours[2].reference, ours[2].device.device_id, "ESME", "Installing Power", "Closed"]
        + ["2027-02-03 12:00", ""],
        [ours[1].reference, ours[1].device.device_id, "ESME", "Installing Power"]
        + ["Install code provided", "2027-02-03 11:00", ""],
        [ours[0].reference, ours[0].device.device_id, "ESME", "Installing Power"]
        + ["Awaiting installing Supplier", "2027-02-03 10:00", "2027-02-10 23:59"],
    ]


def test_the_download_keeps_the_lists_filters(client, gaining_user, ours):
    client.force_login(gaining_user)

    rows = _rows(client.get(EXPORT, {"status": "open"}))

    assert [row[0] for row in rows[1:]] == [ours[1].reference, ours[0].reference]


def test_the_download_leaves_out_requests_another_supplier_raised(
    client, gaining_user, installing_user, ours, other_supplier
):
    incident_raise(
        actor=installing_user,
        device_id=DeviceFactory(
            installing_supplier=other_supplier, registered=installing_user.supplier
        ).device_id,
    )
    client.force_login(gaining_user)

    rows = _rows(client.get(EXPORT))

    assert {row[0] for row in rows[1:]} == {incident.reference for incident in ours}


def test_the_download_never_holds_an_install_code(client, gaining_user, ours):
    client.force_login(gaining_user)

    body = b"".join(client.get(EXPORT).streaming_content).decode()

    assert not leaks_install_code(body, INSTALL_CODE)


def test_the_download_cannot_run_formulas_in_a_spreadsheet(client, gaining_user, device):
    from incidents.models import Incident

    incident = incident_raise(actor=gaining_user, device_id=device.device_id)
    evil = SupplierFactory(name='=HYPERLINK("http://evil.example")', mpid="EVIL")
    Incident.objects.filter(pk=incident.pk).update(assigned_supplier=evil)
    client.force_login(gaining_user)

    rows = _rows(client.get(EXPORT))

    assert rows[1][3] == '\'=HYPERLINK("http://evil.example")'


def test_the_raised_list_links_to_the_download_with_its_filters(client, gaining_user, ours):
    client.force_login(gaining_user)

    page = client.get(reverse("incidents:raised"), {"status": "open", "sort": "due"}).text

    assert f'href="{EXPORT}?status=open" id="raised-csv"' in page


def test_the_assigned_list_offers_no_raised_download(client, installing_user):
    client.force_login(installing_user)

    assert 'id="raised-csv"' not in client.get(reverse("incidents:assigned")).text
