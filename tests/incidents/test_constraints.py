"""Invariants the database itself holds, whatever code writes the rows."""

import threading

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from incidents.models import EventKind, Incident, IncidentEvent, IncidentStatus
from incidents.services import incident_raise
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

RACERS = 12


def _incident(device, raiser, **fields) -> Incident:
    now = timezone.now()
    values = {
        "device": device,
        "raised_by": raiser,
        "raising_supplier": raiser.supplier,
        "assigned_supplier": device.installing_supplier,
        "status": IncidentStatus.AWAITING_INSTALLER,
        "due_at": now,
        "notified_at": now,
        "created_at": now,
        "updated_at": now,
    } | fields
    return Incident.objects.create(**values)


# What each database says when a constraint refuses a row. SQLite names a CHECK constraint but
# a UNIQUE one (a partial unique index included) only by its columns.
_REFUSALS = {
    "postgresql": {
        "check": 'new row for relation "incidents_incident" violates check constraint "{name}"',
        "unique": 'duplicate key value violates unique constraint "{name}"',
    },
    "sqlite": {
        "check": "CHECK constraint failed: {name}",
        "unique": "UNIQUE constraint failed: {columns}",
    },
}


def _refused_by_the_database(kind: str, name: str, columns: str = "", **fields):
    said = _REFUSALS[connection.vendor][kind].format(name=name, columns=columns)
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        _incident(**fields)
    # The first line is the database's own sentence, whole (PostgreSQL adds a DETAIL line).
    assert str(refused.value).splitlines()[0] == said


def test_the_database_refuses_a_second_open_incident_for_a_device(device, gaining_user):
    _incident(device, gaining_user)

    _refused_by_the_database(
        "unique",
        "incident_one_open_per_device",
        "incidents_incident.device_id",
        device=device,
        raiser=gaining_user,
        status=IncidentStatus.WITH_HELPDESK,
        assigned_supplier=None,
    )


def test_the_database_allows_a_new_incident_beside_a_closed_one(device, gaining_user):
    _incident(device, gaining_user, status=IncidentStatus.CLOSED, closed_at=timezone.now())

    assert _incident(device, gaining_user).is_open


def test_the_database_refuses_an_incident_awaiting_the_installer_without_deadline(
    device, gaining_user
):
    _refused_by_the_database(
        "check",
        "incident_awaiting_has_assignee_and_deadline",
        device=device,
        raiser=gaining_user,
        due_at=None,
    )


def test_the_database_refuses_a_code_provided_incident_without_a_sealed_code(device, gaining_user):
    _refused_by_the_database(
        "check",
        "incident_code_provided_has_code",
        device=device,
        raiser=gaining_user,
        status=IncidentStatus.CODE_PROVIDED,
        install_code_sealed=None,
    )


@pytest.mark.postgres("concurrent transactions blocking on the partial unique index")
def test_of_many_concurrent_raises_for_one_device_exactly_one_succeeds(device, gaining_supplier):
    # Distinct users of one Supplier, as when a team bulk-raises the same Device twice.
    raisers = [UserFactory(supplier=gaining_supplier) for _ in range(RACERS)]
    barrier = threading.Barrier(RACERS)
    outcomes: list[object] = []

    def race(user):
        try:
            barrier.wait(timeout=10)
            outcomes.append(incident_raise(actor=user, device_id=device.device_id))
        except Exception as exc:  # every outcome, expected or not, is asserted below
            outcomes.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=race, args=(user,)) for user in raisers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    winners = [o for o in outcomes if isinstance(o, Incident)]
    losers = [o for o in outcomes if not isinstance(o, Incident)]
    assert len(winners) == 1
    assert [getattr(o, "code", repr(o)) for o in losers] == ["already_open"] * (RACERS - 1)
    assert all(winners[0].reference in o.message for o in losers)
    assert Incident.objects.count() == 1
    assert IncidentEvent.objects.filter(kind=EventKind.RAISED).count() == 1
