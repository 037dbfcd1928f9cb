"""The operations page: for the DCC helpdesk only, with the portal's health, the beat jobs,
the outbox, the work in hand and the last day's activity."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from incidents import tasks
from operations.models import JobRun
from tests.support.outbox import make_notification

pytestmark = pytest.mark.django_db

URL = "/operations/"
NOW = dt.datetime(2026, 4, 1, 9, 30, tzinfo=dt.UTC)  # 10:30 in London (summer time)


@pytest.fixture
def helpdesk(client, helpdesk_user):
    client.force_login(helpdesk_user)
    return client


def page(client):
    with time_machine.travel(NOW, tick=False):
        response = client.get(URL)
    assert response.status_code == 200
    return response


def test_the_page_lives_at_operations():
    assert reverse("operations:home") == URL


def test_the_helpdesk_sees_the_page(helpdesk):
    assert helpdesk.get(URL).status_code == 200


def test_a_supplier_user_is_refused(client, gaining_user):
    client.force_login(gaining_user)

    response = client.get(URL)

    assert response.status_code == 403
    assert b"Only the DCC helpdesk" in response.content


def test_a_supplier_administrator_is_refused(client, gaining_supplier):
    from tests.factories import UserFactory

    client.force_login(UserFactory(supplier=gaining_supplier, is_supplier_admin=True))

    assert client.get(URL).status_code == 403


def test_an_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_helpdesks_navigation_links_to_the_page(helpdesk):
    response = helpdesk.get(reverse("incidents:compliance_all"))

    assert f'href="{URL}"'.encode() in response.content


def test_a_supplier_users_navigation_does_not(client, gaining_user):
    client.force_login(gaining_user)

    assert f'href="{URL}"'.encode() not in client.get("/").content


def test_the_page_says_each_health_check_in_words(helpdesk):
    response = page(helpdesk)

    checks = {c.name: c for c in response.context["checks"]}
    assert set(checks) == {"database", "migrations", "broker", "install_code_keys"}
    assert checks["database"].meaning == "Answering."
    assert checks["broker"].answer == "in-process"
    assert b"No broker: tasks run inside the web process" in response.content


def test_a_failed_check_is_named_failed(helpdesk, settings):
    settings.INSTALL_CODE_KEYS = []
    settings.INSTALL_CODE_KEYS_FILE = "/nonexistent/install-code-keys"

    response = page(helpdesk)

    (keys,) = [c for c in response.context["checks"] if c.name == "install_code_keys"]
    assert (keys.ok, keys.meaning) == (
        False,
        "Not loading: no install code can be saved or revealed.",
    )
    assert b"/nonexistent" not in response.content


def test_each_beat_job_shows_its_last_success_and_whether_it_is_late(helpdesk):
    with time_machine.travel(NOW - dt.timedelta(minutes=3), tick=False):
        tasks.escalate_overdue_incidents.delay()  # every 5 min: on time
    JobRun.objects.create(
        name="incidents.tasks.remind_incidents_due_soon",  # every 15 min: 31 min ago is late
        last_succeeded_at=NOW - dt.timedelta(minutes=31),
    )
    JobRun.objects.create(
        name="incidents.tasks.purge_install_codes",
        last_succeeded_at=NOW - dt.timedelta(hours=7),
        last_failed_at=NOW - dt.timedelta(minutes=1),
        last_error="OperationalError: the database system is shutting down",
    )

    response = page(helpdesk)

    jobs = {job.entry: job for job in response.context["jobs"]}
    assert jobs["escalate-overdue-incidents"].state_words == "On time"
    assert jobs["remind-incidents-due-soon"].state_words == "Late"
    assert jobs["purge-install-codes-of-closed-incidents"].state_words == "Last run failed"
    assert jobs["sync-open-incidents-with-smi"].state_words == "No run recorded"
    assert b"OperationalError: the database system is shutting down" in response.content
    assert b"1 Apr 2026, 10:27:00" in response.content  # the success, in UK time


def test_the_page_shows_the_outbox_backlog(helpdesk):
    make_notification(age=dt.timedelta(minutes=12), now=NOW)
    make_notification(status="failed", now=NOW, recipient="ops@dcc.example")

    response = page(helpdesk)

    state = response.context["state"]
    assert (state.outbox["pending"], state.outbox["failed"]) == (1, 1)
    assert b'data-figure="oldest-pending">12\xc2\xa0minutes<' in response.content


def test_the_page_shows_open_overdue_and_breached_requests(client, helpdesk_user, incident):
    with time_machine.travel(incident.due_at + dt.timedelta(hours=1), tick=False):
        tasks.escalate_overdue_incidents.delay()
        client.force_login(helpdesk_user)
        response = client.get(URL)

    assert b'data-figure="overdue">1<' in response.content
    assert b'data-figure="breached">1<' in response.content
    assert ("Awaiting installing Supplier", 1) in response.context["open_rows"]


def test_the_chart_is_an_accessible_svg_with_a_table_of_its_figures(helpdesk):
    response = page(helpdesk)
    html = response.content.decode()

    assert html.count('<svg class="activity-chart"') == 2
    assert 'role="img" aria-labelledby="email-chart-title email-chart-desc"' in html
    assert '<title id="request-chart-title">Requests raised and answered by hour' in html
    assert len(response.context["hours"]) == 24
    assert 'id="hours"' in html and "<caption" in html
    assert "<script" not in html.split("<main")[1] and "style=" not in html


def test_the_page_reads_as_many_queries_whatever_there_is(
    helpdesk, django_assert_max_num_queries, gaining_user, installing_supplier
):
    from tests.operations.test_state_metrics import raise_requests

    # Session, user and permissions; the state; the jobs; four figures by hour; the readiness
    # checks of the database and the migrations.
    with django_assert_max_num_queries(13) as few:
        page(helpdesk)
    raise_requests(gaining_user, installing_supplier, 4)
    make_notification(status="failed", now=NOW, recipient="ops@dcc.example")
    tasks.escalate_overdue_incidents.delay()
    with django_assert_max_num_queries(len(few)):
        page(helpdesk)
