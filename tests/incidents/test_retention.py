"""Install codes are deleted a set time after their request closes; the records stay."""

import datetime as dt

from django.urls import reverse

from accounts.models import SecurityEvent
from incidents.models import Incident
from incidents.services import incident_close
from incidents.services.retention import incidents_purge_install_codes
from incidents.tasks import purge_install_codes


def closed(answered_incident, gaining_user, when):
    return incident_close(
        actor=gaining_user, incident=answered_incident, outcome="code_worked", now=when
    )


def test_a_code_is_kept_during_the_retention_period(answered_incident, gaining_user, settings):
    settings.SSI_INSTALL_CODE_RETENTION_DAYS = 30
    incident = closed(answered_incident, gaining_user, dt.datetime(2026, 5, 1, tzinfo=dt.UTC))
    assert incidents_purge_install_codes(now=dt.datetime(2026, 5, 30, tzinfo=dt.UTC)) == 0
    incident.refresh_from_db()
    assert incident.has_install_code


def test_a_code_is_deleted_after_the_retention_period_and_the_purge_is_logged(
    answered_incident, gaining_user, settings
):
    settings.SSI_INSTALL_CODE_RETENTION_DAYS = 30
    incident = closed(answered_incident, gaining_user, dt.datetime(2026, 5, 1, tzinfo=dt.UTC))
    events_before = incident.events.count()
    assert incidents_purge_install_codes(now=dt.datetime(2026, 6, 1, tzinfo=dt.UTC)) == 1
    incident.refresh_from_db()
    assert incident.install_code_sealed is None
    assert incident.events.count() == events_before
    assert SecurityEvent.objects.filter(kind="code_purged", reference=incident.reference).exists()


def test_purging_twice_does_nothing_more(answered_incident, gaining_user):
    closed(answered_incident, gaining_user, dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    later = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    assert incidents_purge_install_codes(now=later) == 1
    assert incidents_purge_install_codes(now=later) == 0
    assert SecurityEvent.objects.filter(kind="code_purged").count() == 1


def test_open_requests_keep_their_codes(answered_incident):
    assert incidents_purge_install_codes(now=dt.datetime(2030, 1, 1, tzinfo=dt.UTC)) == 0
    assert Incident.objects.get(pk=answered_incident.pk).has_install_code


def test_the_page_says_the_code_was_deleted(client, answered_incident, gaining_user):
    closed(answered_incident, gaining_user, dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    purge_install_codes()
    client.force_login(gaining_user)
    html = client.get(reverse("incidents:detail", args=[answered_incident.public_id]))
    assert "install code was deleted" in html.content.decode()
    assert "Reveal install code" not in html.content.decode()
