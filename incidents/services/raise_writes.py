"""The writes of one raise, in one transaction, and on PostgreSQL in two statements.

The ORM's way (SQLite, and PostgreSQL whenever the raise is not the common case) is one
statement a row: the incident, its clock, the lodged code looked up, the webhook endpoints
looked up, the event, its emails, the Supplier's tally; seven round trips, each about as much
CPU in the driver and in PostgreSQL as the row it writes. On PostgreSQL the incident is
written in a statement that also says whether a code was lodged for its Device and whether a
webhook endpoint hears of the raise; when neither (the common case) the clock, the event, its
emails and the tally are written in a second statement (``WITH`` parts, one per table). The
rows are the same either way; otherwise the raise goes on the ORM's way, its incident already
written.
"""

import datetime as dt

from django.db import connections, router, transaction

from ssi_portal.lib.compiled import CompiledInsert

from ..models import Assignment, Incident, IncidentEvent, LodgedCode
from .clock import clock_record_start
from .entitlement import raise_tally_add, raise_tally_statement
from .events import change_of, record_event, record_event_with
from .lodged import incident_answer_from_lodged_code, lodged_codes_take
from .webhooks import heard_sql

Kind = IncidentEvent.Kind
_INCIDENT_INSERT = CompiledInsert(Incident, most=1)
_ASSIGNMENT_INSERT = CompiledInsert(Assignment, most=1)


def raise_write(incident: Incident, device, *, actor, message: str, now: dt.datetime) -> None:
    """Write a raise in one transaction: the incident (the partial unique index of open
    requests refuses a second one with ``IntegrityError``, which rolls it all back), its
    clock, the code lodged in advance if any, the events and emails, the Supplier's tally."""
    connection = connections[router.db_for_write(Incident)]
    with transaction.atomic(using=connection.alias):
        if not in_two_statements(connection):
            _INCIDENT_INSERT.insert([incident], using=connection.alias)
            _raise_rest(incident, device, actor=actor, message=message, now=now)
            return
        lodged, heard = _incident_insert(incident, connection)
        if lodged or heard or not _joined(incident, actor=actor, message=message, now=now):
            _raise_rest(incident, device, actor=actor, message=message, now=now, lodged=lodged)


def in_two_statements(connection) -> bool:
    """Whether a raise on ``connection`` is written in two statements (PostgreSQL: data-
    modifying ``WITH`` parts, the ``jsonb`` types of the endpoints); else the ORM's way."""
    return connection.vendor == "postgresql"


def _raise_rest(incident, device, *, actor, message, now, lodged: bool = True) -> None:
    """The raise's writes after its incident, one statement a row. ``lodged``: whether a
    code may have been lodged for the Device (False: it is known that none was)."""
    if incident.assigned_supplier_id:
        clock_record_start(incident)
        code = lodged_codes_take([device]).get(device.pk) if lodged else None
    else:
        code = None
    if code is None:
        record_event(incident, Kind.RAISED, actor=actor, from_status="", message=message, now=now)
    else:
        incident_answer_from_lodged_code(
            incident, code=code, actor=actor, raised_message=message, now=now
        )
    raise_tally_add(actor.supplier_id, 1, now=now)


def _incident_insert(incident: Incident, connection) -> tuple[bool, bool]:
    """Insert the incident and read, in the same statement (the same transaction, as the
    ORM's way reads them), whether a code is lodged for its Device and whether a webhook
    endpoint hears of its ``raised`` event. The code's row is locked and taken the ORM's way
    when there is one; none lodged, there is nothing to lock."""
    params = _INCIDENT_INSERT.params([incident], connection)
    if params is None:  # a database default: the ORM's way
        _INCIDENT_INSERT.insert([incident], using=connection.alias)
        return True, True
    heard, heard_params = heard_sql(Kind.RAISED, incident)
    lodged, lodged_params = "FALSE", []
    if incident.assigned_supplier_id:
        lodged = f"EXISTS (SELECT 1 FROM {LodgedCode._meta.db_table} WHERE device_id = %s)"  # noqa: S608 (the model's table)
        lodged_params = [incident.device_id]
    sql = (
        f"WITH i AS ({_INCIDENT_INSERT.sql(connection, 1)}) "  # noqa: S608 (the models' names)
        f"SELECT (SELECT id FROM i), {lodged}, {heard}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *lodged_params, *heard_params])
        key, lodged_found, heard_found = cursor.fetchone()
    incident.pk = key
    incident._state.adding, incident._state.db = False, connection.alias
    return lodged_found, heard_found


def _joined(incident: Incident, *, actor, message: str, now: dt.datetime) -> bool:
    """Write the clock, the ``raised`` event, its emails and the tally in one statement;
    False (nothing written) when a row cannot be written so (a database default)."""
    writes = []
    if incident.assigned_supplier_id:
        clock = Assignment(
            incident=incident,
            supplier_id=incident.assigned_supplier_id,
            notified_at=incident.notified_at,
            due_at=incident.due_at,
        )
        connection = connections[router.db_for_write(Assignment)]
        params = _ASSIGNMENT_INSERT.params([clock], connection)
        if params is None:
            return False
        writes.append((_ASSIGNMENT_INSERT.sql(connection, 1, returning=False), params))
    # Last, as raise_tally_add: the tally's row stays locked until commit.
    writes.append(raise_tally_statement(actor.supplier_id, 1, now=now))
    change = change_of(incident, Kind.RAISED, actor=actor, from_status="", message=message)
    record_event_with(change, now=now, writes=writes)
    return True
