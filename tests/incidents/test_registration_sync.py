"""When the registration of a meter point moves away from the Supplier that raised an open
request, the portal cancels the request, says why, deletes any code and tells both sides."""

import datetime as dt
import io

import pytest
from django.core.management import call_command

from accounts.models import SecurityEvent, SecurityEventKind
from incidents.models import (
    Assignment,
    AssignmentOutcome,
    EventKind,
    IncidentEvent,
    IncidentStatus,
    PortalCloseOutcome,
)
from incidents.services import (
    incident_answer,
    incident_raise,
    incidents_cancel_registration_moved,
)
from incidents.tasks import cancel_requests_registration_moved
from tests.factories import DEFAULT_MPXN, RegistrationFactory
from tests.support.bulk import NOW
from tests.support.mail import leaks_install_code

pytestmark = pytest.mark.django_db

LATER = NOW + dt.timedelta(days=2)
INSTALL_CODE = "83FED3407A939723A5C639B26916D505C3B5"


@pytest.fixture
def raised(gaining_user, device):
    return incident_raise(actor=gaining_user, device_id=device.device_id, now=NOW)


def _move_to(supplier, day=dt.date(2026, 4, 2)):
    """The consumer switched again: ``supplier`` registered for the meter point from ``day``."""
    return RegistrationFactory(supplier=supplier, effective_from=day)


def test_a_request_whose_meter_point_moved_to_another_supplier_is_cancelled(
    raised, other_supplier, mailoutbox
):
    _move_to(other_supplier)

    assert incidents_cancel_registration_moved(now=LATER) == 1

    raised.refresh_from_db()
    assert (raised.status, raised.close_outcome, raised.closed_at) == (
        IncidentStatus.CLOSED,
        PortalCloseOutcome.REGISTRATION_MOVED,
        LATER,
    )
    event = IncidentEvent.objects.get(incident=raised, kind=EventKind.CLOSED)
    assert (event.actor, event.from_status) == (None, IncidentStatus.AWAITING_INSTALLER)
    assert event.message == (
        "The registration data no longer names Gaining Energy as the registered Supplier for "
        f"meter point {DEFAULT_MPXN}: the request is cancelled, as only the registered Supplier "
        "may have the install code."
    )
    assert Assignment.objects.get(incident=raised).outcome == AssignmentOutcome.WITHDRAWN


def test_both_sides_are_emailed_why_and_the_new_supplier_is_not_named(
    raised, other_supplier, mailoutbox, django_capture_on_commit_callbacks
):
    _move_to(other_supplier)
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        incidents_cancel_registration_moved(now=LATER)

    assert sorted(m.to[0] for m in mailoutbox) == [
        "installs@installing.example",
        "ops@installing.example",
        "raiser@gaining.example",
    ]
    for message in mailoutbox:
        assert message.subject == (
            f"[SSI] {raised.reference}: closed by the SSI Portal after a change of registration"
        )
        assert "the registration data for the Device's meter point changed" in message.body
        assert "Third Party Gas" not in message.body


def test_a_provided_install_code_is_deleted_at_once_and_the_deletion_logged(
    raised, installing_user, other_supplier, mailoutbox, django_capture_on_commit_callbacks
):
    incident_answer(actor=installing_user, incident=raised, install_code=INSTALL_CODE, now=NOW)
    _move_to(other_supplier)
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        incidents_cancel_registration_moved(now=LATER)

    raised.refresh_from_db()
    assert raised.install_code_sealed is None
    assert raised.status == IncidentStatus.CLOSED
    purged = SecurityEvent.objects.get(kind=SecurityEventKind.CODE_PURGED)
    assert purged.reference == raised.reference
    event = IncidentEvent.objects.get(incident=raised, kind=EventKind.CLOSED)
    assert event.message.endswith("Its install code has been deleted.")
    assert not any(leaks_install_code(m.subject + m.body, INSTALL_CODE) for m in mailoutbox)


def test_cancelling_twice_cancels_once(raised, other_supplier):
    _move_to(other_supplier)

    assert incidents_cancel_registration_moved(now=LATER) == 1
    assert incidents_cancel_registration_moved(now=LATER) == 0
    assert IncidentEvent.objects.filter(incident=raised, kind=EventKind.CLOSED).count() == 1


def test_a_future_dated_move_cancels_on_its_day_and_not_before(raised, other_supplier):
    _move_to(other_supplier, day=dt.date(2026, 4, 10))

    assert (
        incidents_cancel_registration_moved(now=dt.datetime(2026, 4, 9, 22, 59, tzinfo=dt.UTC)) == 0
    )
    assert (
        incidents_cancel_registration_moved(now=dt.datetime(2026, 4, 9, 23, 0, tzinfo=dt.UTC)) == 1
    )


def test_a_renewed_registration_of_the_same_supplier_cancels_nothing(raised, gaining_supplier):
    _move_to(gaining_supplier)

    assert incidents_cancel_registration_moved(now=LATER) == 0
    raised.refresh_from_db()
    assert raised.is_open


def test_the_end_of_the_raisers_registration_cancels_the_request(raised, gaining_supplier):
    from inventory.models import Registration

    Registration.objects.filter(supplier=gaining_supplier).update(effective_to=dt.date(2026, 4, 1))

    assert incidents_cancel_registration_moved(now=LATER) == 1


def test_a_request_raised_under_warn_by_an_unregistered_supplier_is_left_alone(
    settings, gaining_supplier, other_supplier_user, device
):
    settings.SSI_REGISTRATION_CHECK = "warn"
    incident = incident_raise(actor=other_supplier_user, device_id=device.device_id, now=NOW)

    assert incidents_cancel_registration_moved(now=LATER) == 0
    incident.refresh_from_db()
    assert incident.is_open


def test_closed_requests_are_not_touched(raised, gaining_user, other_supplier):
    from incidents.services import incident_close

    incident_close(actor=gaining_user, incident=raised, outcome="no_longer_needed", now=NOW)
    _move_to(other_supplier)

    assert incidents_cancel_registration_moved(now=LATER) == 0
    raised.refresh_from_db()
    assert raised.close_outcome == "no_longer_needed"


def test_nothing_is_cancelled_when_the_check_is_off(settings, raised, other_supplier):
    _move_to(other_supplier)
    settings.SSI_REGISTRATION_CHECK = "off"

    assert incidents_cancel_registration_moved(now=LATER) == 0


def test_loading_a_registration_file_cancels_the_requests_it_moves(
    raised, other_supplier, tmp_path
):
    path = tmp_path / "registrations.csv"
    path.write_text(f"mpxn,supplier,effective_from,effective_to\n{DEFAULT_MPXN},THRD,2026-01-01,\n")
    out = io.StringIO()

    call_command("load_registrations", str(path), stdout=out)

    assert (
        "Requests cancelled: 1 (their raiser is no longer the registered Supplier" in out.getvalue()
    )
    raised.refresh_from_db()
    assert raised.close_outcome == PortalCloseOutcome.REGISTRATION_MOVED


def test_the_periodic_task_cancels_and_is_scheduled(settings, raised, other_supplier):
    _move_to(other_supplier, day=dt.date(2026, 1, 1))

    assert cancel_requests_registration_moved.delay().get() == 1
    assert (
        settings.CELERY_BEAT_SCHEDULE["cancel-requests-registration-moved"]["task"]
        == "incidents.tasks.cancel_requests_registration_moved"
    )


@pytest.mark.postgres("two sweeps locking rows at once")
def test_two_concurrent_sweeps_cancel_each_request_once(
    transactional_db, gaining_user, installing_supplier, other_supplier
):
    import threading

    from django.db import connection

    from incidents.models import Incident
    from tests.factories import DeviceFactory

    for _ in range(30):
        incident_raise(
            actor=gaining_user,
            device_id=DeviceFactory(installing_supplier=installing_supplier).device_id,
            now=NOW,
        )
    _move_to(other_supplier)
    counts = []

    def sweep():
        try:
            counts.append(incidents_cancel_registration_moved(now=LATER, batch_size=5))
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(counts) == 30
    assert IncidentEvent.objects.filter(kind=EventKind.CLOSED).count() == 30
    assert not Incident.objects.filter(status__in=["awaiting_installer"]).exists()
