"""The home page says what needs the user's attention today: requests overdue and due today for
our answer, install codes given to us and not yet revealed, bulk uploads still running; each a
link to the list of exactly those, all in one query."""

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from conftest import INSTALL_CODE
from incidents.selectors.home import home_counts
from incidents.services import (
    incident_answer,
    incident_raise,
    incident_report_code_failed,
    incident_reveal_code,
)
from tests.factories import DeviceFactory
from tests.support.bulk import RAISE_HEADER, csv_bytes, process, upload

pytestmark = pytest.mark.django_db

RAISED = dt.datetime(2027, 2, 3, 10, 0, tzinfo=dt.UTC)  # due at the end of 10 February 2027
DUE_DAY_MORNING = dt.datetime(2027, 2, 10, 8, 0, tzinfo=dt.UTC)
DAY_BEFORE = dt.datetime(2027, 2, 9, 8, 0, tzinfo=dt.UTC)
DAY_AFTER = dt.datetime(2027, 2, 11, 8, 0, tzinfo=dt.UTC)
LATER = RAISED + dt.timedelta(hours=1)
REFERENCE = re.compile(r">(INC\d{7})</a>")
HOME = reverse("incidents:home")


def _raise(actor, installer, now=RAISED):
    device = DeviceFactory(installing_supplier=installer)
    return incident_raise(actor=actor, device_id=device.device_id, now=now)


def _link(page: str, figure: str) -> str:
    """Where the home page's ``figure`` leads."""
    found = re.search(rf'<a href="([^"]+)"><strong id="count-{figure}">', page)
    return found.group(1).replace("&amp;", "&")


# --- Due today and overdue ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "due_today", "overdue"),
    [(DAY_BEFORE, 0, 0), (DUE_DAY_MORNING, 1, 0), (DAY_AFTER, 0, 1)],
)
def test_a_request_is_due_today_on_its_last_day_and_overdue_after_it(
    gaining_user, installing_user, installing_supplier, now, due_today, overdue
):
    _raise(gaining_user, installing_supplier)

    figures = home_counts(installing_user, now=now)

    assert (figures["due_today"], figures["overdue"]) == (due_today, overdue)


def test_due_today_ends_at_midnight_uk_time_across_the_clock_change(
    gaining_user, installing_user, installing_supplier
):
    # Raised Friday 20 March 2026: due at the end of Friday 27 March (UTC+0 then); the clocks
    # go forward on Sunday 29 March.
    _raise(gaining_user, installing_supplier, now=dt.datetime(2026, 3, 20, 10, tzinfo=dt.UTC))

    late_on_the_day = home_counts(installing_user, now=dt.datetime(2026, 3, 27, 23, tzinfo=dt.UTC))
    next_day = home_counts(installing_user, now=dt.datetime(2026, 3, 28, 0, 30, tzinfo=dt.UTC))

    assert late_on_the_day["due_today"] == 1
    assert (next_day["due_today"], next_day["overdue"]) == (0, 1)


def test_the_due_today_figure_leads_to_the_requests_due_today(
    client, gaining_user, installing_user, installing_supplier
):
    due = _raise(gaining_user, installing_supplier)
    _raise(gaining_user, installing_supplier, now=RAISED + dt.timedelta(days=1))  # due later
    with time_machine.travel(DUE_DAY_MORNING):
        client.force_login(installing_user)
        page = client.get(HOME).text
        listed = client.get(_link(page, "due-today")).text

    assert 'id="count-due-today">1</strong>' in page
    assert REFERENCE.findall(listed) == [due.reference]


def test_the_overdue_figure_leads_to_the_overdue_requests_soonest_first(
    client, gaining_user, installing_user, installing_supplier
):
    first = _raise(gaining_user, installing_supplier)
    second = _raise(gaining_user, installing_supplier, now=RAISED + dt.timedelta(hours=1))
    with time_machine.travel(DAY_AFTER):
        client.force_login(installing_user)
        page = client.get(HOME).text
        listed = client.get(_link(page, "overdue")).text

    assert 'id="count-overdue">2</strong>' in page
    assert REFERENCE.findall(listed) == [first.reference, second.reference]


# --- Codes waiting to be revealed ---------------------------------------------------------------


@pytest.fixture
def answered(gaining_user, installing_user, installing_supplier):
    incident = _raise(gaining_user, installing_supplier)
    return incident_answer(
        actor=installing_user, incident=incident, install_code=INSTALL_CODE, now=RAISED
    )


def test_a_code_given_to_us_waits_to_be_revealed(gaining_user, answered):
    assert home_counts(gaining_user)["to_reveal"] == 1


def test_a_code_revealed_by_a_colleague_waits_no_more(gaining_colleague, gaining_user, answered):
    incident_reveal_code(actor=gaining_colleague, incident=answered, now=LATER)

    assert home_counts(gaining_user, now=LATER)["to_reveal"] == 0


def test_the_installer_looking_at_its_own_code_does_not_count_as_our_reveal(
    gaining_user, installing_user, answered
):
    incident_reveal_code(actor=installing_user, incident=answered, now=LATER)

    assert home_counts(gaining_user, now=LATER)["to_reveal"] == 1


def test_a_code_given_again_after_one_that_did_not_work_waits_afresh(
    gaining_user, installing_user, answered
):
    incident_reveal_code(actor=gaining_user, incident=answered, now=RAISED)
    incident_report_code_failed(
        actor=gaining_user, incident=answered, reason="Rejected.", now=RAISED
    )
    later = RAISED + dt.timedelta(hours=2)
    incident_answer(actor=installing_user, incident=answered, install_code=INSTALL_CODE, now=later)

    assert home_counts(gaining_user)["to_reveal"] == 1


def test_the_codes_figure_leads_to_the_requests_whose_code_is_not_yet_revealed(
    client, gaining_user, installing_user, installing_supplier, answered
):
    seen = _raise(gaining_user, installing_supplier)
    incident_answer(actor=installing_user, incident=seen, install_code=INSTALL_CODE, now=RAISED)
    incident_reveal_code(actor=gaining_user, incident=seen, now=LATER)
    client.force_login(gaining_user)

    page = client.get(HOME).text
    listed = client.get(_link(page, "to-reveal")).text

    assert 'id="count-to-reveal">1</strong> install code given to us' in page
    assert REFERENCE.findall(listed) == [answered.reference]


# --- Bulk uploads -------------------------------------------------------------------------------


def test_bulk_uploads_count_while_they_run(gaining_user, device):
    running = upload(gaining_user, "raise", csv_bytes(RAISE_HEADER, device.device_id))
    upload(gaining_user, "raise", csv_bytes(RAISE_HEADER, "00-DB-12-34-56-78-90-B1"))

    before = home_counts(gaining_user)["bulk_running"]
    process(running)

    assert (before, home_counts(gaining_user)["bulk_running"]) == (2, 1)


def test_the_bulk_figure_leads_to_the_uploads(client, gaining_user, device):
    upload(gaining_user, "raise", csv_bytes(RAISE_HEADER, device.device_id))
    client.force_login(gaining_user)

    page = client.get(HOME).text

    assert 'id="count-bulk-running">1</strong> bulk job still running' in page
    assert _link(page, "bulk-running") == reverse("incidents:bulk_history")


# --- The page -----------------------------------------------------------------------------------


def test_a_quiet_day_says_nothing_needs_attention(client, gaining_user):
    client.force_login(gaining_user)

    assert "Nothing needs your attention today." in client.get(HOME).text


def test_a_busy_day_does_not_say_nothing_needs_attention(client, gaining_user, answered):
    client.force_login(gaining_user)

    assert "Nothing needs your attention today." not in client.get(HOME).text


def test_the_home_page_takes_a_fixed_number_of_queries_whatever_needs_attention(
    client,
    gaining_user,
    installing_user,
    installing_supplier,
    answered,
    device,
    django_assert_num_queries,
):
    # Requests assigned to the gaining Supplier as well, overdue by now.
    for _ in range(3):
        theirs = DeviceFactory(
            installing_supplier=gaining_user.supplier, registered=installing_supplier
        )
        incident_raise(actor=installing_user, device_id=theirs.device_id, now=RAISED)
    upload(gaining_user, "raise", csv_bytes(RAISE_HEADER, device.device_id))

    with time_machine.travel(DAY_AFTER):
        client.force_login(gaining_user)
        # the session read with its user and their Supplier (the heading), the figures (one
        # query)
        with django_assert_num_queries(2):
            page = client.get(HOME).text

    assert 'id="count-to-reveal">1</strong>' in page
    assert 'id="count-overdue">3</strong>' in page
    assert 'id="count-bulk-running">1</strong>' in page


def test_the_helpdesk_figures_lead_to_the_admin(client, helpdesk_user):
    helpdesk_user.is_staff = True
    helpdesk_user.save(update_fields=["is_staff"])
    client.force_login(helpdesk_user)

    page = client.get(HOME).text

    changelist = reverse("admin:incidents_incident_changelist")
    assert _link(page, "with-helpdesk") == f"{changelist}?status__exact=with_helpdesk"
    assert _link(page, "overdue") == f"{changelist}?overdue=yes"
