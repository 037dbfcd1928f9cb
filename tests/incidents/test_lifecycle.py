"""An incident from answer to close: who may do what, what each step records, who hears of it,
and that the install code never leaves the sealed column except through a recorded reveal."""

import datetime as dt
import re
from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied

from conftest import INSTALL_CODE, INSTALL_CODE_WITH_CRC
from incidents import permissions
from incidents.models import TRANSITIONS, EventKind, Incident, IncidentEvent, IncidentStatus
from incidents.selectors.incidents import incidents_visible_to
from incidents.services import (
    NOTE_MAX_LENGTH,
    IncidentError,
    incident_add_note,
    incident_answer,
    incident_answer_not_installed,
    incident_close,
    incident_raise,
    incident_reassign,
    incident_report_code_failed,
    incident_reveal_code,
)
from notifications.models import Notification
from tests.factories import DeviceFactory

pytestmark = pytest.mark.django_db

CODE_BYTES = bytes.fromhex(INSTALL_CODE)

# Wednesday 3 February 2027, 10:00 GMT: the fifth Working Day after it is Wednesday 10 February.
REPORTED = dt.datetime(2027, 2, 3, 10, 0, tzinfo=dt.UTC)
FRESH_DUE = dt.datetime(2027, 2, 10, 23, 59, 59, tzinfo=dt.UTC)

CODE_FORMS = {
    "32 digits": INSTALL_CODE,
    "36 digits with CRC": INSTALL_CODE_WITH_CRC,
    "lower case in groups of four": "83fe d340 7a93 9723 a5c6 39b2 6916 d505 c3b5",
    "pairs joined by colons": ":".join(INSTALL_CODE[i : i + 2] for i in range(0, 32, 2)),
}

BAD_CODES = {
    "too short": (INSTALL_CODE[:-2], "this one has 30"),
    "between lengths": (INSTALL_CODE + "C3", "this one has 34"),
    "too long": (INSTALL_CODE_WITH_CRC + "00", "this one has 38"),
    "non-hex character": (INSTALL_CODE[:-1] + "G", "'G' is not one"),
    "CRC mismatch": (INSTALL_CODE + "B5C3", "not the CRC"),
    "empty": ("", "Enter the install code"),
}


@pytest.fixture
def emails(django_capture_on_commit_callbacks, mailoutbox):
    """Run an action with its after-commit work executed; return the emails it sent."""

    def run(action):
        mailoutbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            action()
        return list(mailoutbox)

    return run


def _recipients(mail) -> list[str]:
    return sorted(address for message in mail for address in message.to)


def _templates_of(event: IncidentEvent) -> set[str]:
    return set(
        Notification.objects.filter(source=f"incident-event:{event.pk}").values_list(
            "template", flat=True
        )
    )


def _last_event(incident: Incident) -> IncidentEvent:
    return incident.events.order_by("-created_at", "-id").first()


def _snapshot(incident: Incident):
    incident.refresh_from_db()
    return (
        incident.status,
        incident.assigned_supplier_id,
        incident.due_at,
        incident.install_code_sealed,
        incident.close_outcome,
        incident.events.count(),
        Notification.objects.count(),
    )


@pytest.fixture
def with_helpdesk_incident(incident, installing_user):
    return incident_answer_not_installed(actor=installing_user, incident=incident)


@pytest.fixture
def closed_incident(answered_incident, gaining_user):
    return incident_close(actor=gaining_user, incident=answered_incident, outcome="code_worked")


# --- Answering ----------------------------------------------------------------------------------


@pytest.mark.parametrize("form", sorted(CODE_FORMS))
def test_an_answer_stores_the_16_code_bytes_whatever_the_form(
    incident, installing_user, gaining_user, form
):
    incident_answer(actor=installing_user, incident=incident, install_code=CODE_FORMS[form])

    assert incident_reveal_code(actor=gaining_user, incident=incident) == CODE_BYTES


@pytest.mark.parametrize("form", sorted(CODE_FORMS))
def test_an_answer_seals_the_code_so_the_column_holds_neither_its_bytes_nor_its_hex(
    incident, installing_user, form
):
    incident_answer(actor=installing_user, incident=incident, install_code=CODE_FORMS[form])

    raw = bytes(Incident.objects.values_list("install_code_sealed", flat=True).get(pk=incident.pk))
    assert CODE_BYTES not in raw
    assert INSTALL_CODE.encode() not in raw.upper()
    assert INSTALL_CODE[:8].encode() not in raw.upper()


def test_an_answer_moves_the_request_to_code_provided_by_the_answering_supplier(
    incident, installing_user
):
    answered = incident_answer(
        actor=installing_user, incident=incident, install_code=INSTALL_CODE, now=REPORTED
    )

    answered.refresh_from_db()
    assert answered.status == IncidentStatus.CODE_PROVIDED
    assert answered.code_provided_by == installing_user.supplier
    assert answered.code_provided_at == REPORTED


def test_an_answer_emails_the_raiser_that_the_code_is_ready(
    incident, installing_user, gaining_user, emails
):
    mail = emails(
        lambda: incident_answer(actor=installing_user, incident=incident, install_code=INSTALL_CODE)
    )

    assert _recipients(mail) == [gaining_user.email]
    assert _templates_of(_last_event(incident)) == {"incident_code_provided"}


@pytest.mark.parametrize("bad", sorted(BAD_CODES))
def test_a_bad_install_code_is_refused_saying_what_is_wrong(incident, installing_user, bad):
    typed, says = BAD_CODES[bad]

    with pytest.raises(IncidentError) as caught:
        incident_answer(actor=installing_user, incident=incident, install_code=typed)

    assert caught.value.code == "bad_install_code"
    assert caught.value.field == "install_code"
    assert says in caught.value.message


@pytest.mark.parametrize("bad", sorted(BAD_CODES))
def test_a_refused_install_code_changes_nothing(incident, installing_user, bad):
    before = _snapshot(incident)

    with pytest.raises(IncidentError):
        incident_answer(actor=installing_user, incident=incident, install_code=BAD_CODES[bad][0])

    assert _snapshot(incident) == before


@pytest.mark.parametrize(
    "persona", ["gaining_user", "gaining_colleague", "other_supplier_user", "helpdesk_user"]
)
def test_only_the_assigned_supplier_may_answer(request, incident, persona):
    actor = request.getfixturevalue(persona)

    with pytest.raises(PermissionDenied):
        incident_answer(actor=actor, incident=incident, install_code=INSTALL_CODE)


def test_answering_twice_is_refused_as_an_invalid_transition(answered_incident, installing_user):
    with pytest.raises(IncidentError) as caught:
        incident_answer(
            actor=installing_user, incident=answered_incident, install_code=INSTALL_CODE
        )

    assert caught.value.code == "invalid_transition"


def test_an_answer_after_the_deadline_is_recorded_as_late(incident, installing_user):
    late = incident.due_at + dt.timedelta(seconds=1)

    incident_answer(actor=installing_user, incident=incident, install_code=INSTALL_CODE, now=late)

    assert "late, after the deadline" in _last_event(incident).message
    assert incident.assignments.get().answered_late is True


def test_an_answer_on_the_deadline_is_not_recorded_as_late(incident, installing_user):
    incident_answer(
        actor=installing_user, incident=incident, install_code=INSTALL_CODE, now=incident.due_at
    )

    assert "within the deadline" in _last_event(incident).message
    assert incident.assignments.get().answered_late is False


# --- "Not installed by us" ----------------------------------------------------------------------


def test_not_installed_sends_the_request_to_the_helpdesk_and_stops_the_clock(
    with_helpdesk_incident,
):
    with_helpdesk_incident.refresh_from_db()

    assert with_helpdesk_incident.status == IncidentStatus.WITH_HELPDESK
    assert with_helpdesk_incident.assigned_supplier is None
    assert with_helpdesk_incident.due_at is None


def test_not_installed_emails_the_helpdesk_and_the_raiser(
    incident, installing_user, gaining_user, settings, emails
):
    mail = emails(lambda: incident_answer_not_installed(actor=installing_user, incident=incident))

    assert _recipients(mail) == sorted([*settings.HELPDESK_EMAILS, gaining_user.email])


def test_after_not_installed_the_installer_still_sees_the_request_but_may_not_act(
    with_helpdesk_incident, installing_user
):
    from incidents.selectors.incidents import incident_get_for_user

    assert incidents_visible_to(installing_user).filter(pk=with_helpdesk_incident.pk).exists()
    incident = incident_get_for_user(installing_user, with_helpdesk_incident.public_id)
    access = permissions.incident_access(installing_user, incident)
    assert not any(
        getattr(access, action).allowed
        for action in ("answer", "disclaim", "note", "reveal", "close", "code_failed")
    )


@pytest.mark.parametrize("persona", ["gaining_user", "other_supplier_user", "helpdesk_user"])
def test_only_the_assigned_supplier_may_say_it_did_not_install(request, incident, persona):
    with pytest.raises(PermissionDenied):
        incident_answer_not_installed(actor=request.getfixturevalue(persona), incident=incident)


# --- Revealing the code -------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["gaining_user", "gaining_colleague", "installing_user"])
def test_the_code_is_revealed_to_the_raising_and_the_providing_supplier(
    request, answered_incident, persona
):
    actor = request.getfixturevalue(persona)

    assert incident_reveal_code(actor=actor, incident=answered_incident) == CODE_BYTES


@pytest.mark.parametrize("persona", ["other_supplier_user", "helpdesk_user"])
def test_the_code_is_not_revealed_to_anyone_else(request, answered_incident, persona):
    with pytest.raises(PermissionDenied):
        incident_reveal_code(actor=request.getfixturevalue(persona), incident=answered_incident)


def test_revealing_the_code_records_who_saw_it(answered_incident, gaining_colleague):
    incident_reveal_code(actor=gaining_colleague, incident=answered_incident, now=REPORTED)

    event = _last_event(answered_incident)
    assert (event.kind, event.actor, event.created_at) == (
        EventKind.CODE_REVEALED,
        gaining_colleague,
        REPORTED,
    )


def test_revealing_the_code_sends_no_email(answered_incident, gaining_user, emails):
    mail = emails(lambda: incident_reveal_code(actor=gaining_user, incident=answered_incident))

    assert mail == []
    assert _templates_of(_last_event(answered_incident)) == set()


def test_there_is_nothing_to_reveal_before_a_code_is_provided(incident, gaining_user):
    with pytest.raises(PermissionDenied):
        incident_reveal_code(actor=gaining_user, incident=incident)


# --- "The code did not work" --------------------------------------------------------------------


def test_a_failed_code_sends_the_request_back_to_the_installer_and_discards_the_code(
    answered_incident, gaining_user, installing_supplier
):
    incident_report_code_failed(
        actor=gaining_user, incident=answered_incident, reason="Rejected by the meter"
    )

    answered_incident.refresh_from_db()
    assert answered_incident.status == IncidentStatus.AWAITING_INSTALLER
    assert answered_incident.assigned_supplier == installing_supplier
    assert answered_incident.install_code_sealed is None
    assert answered_incident.code_provided_by is None


def test_a_failed_code_starts_a_fresh_deadline_from_the_report(answered_incident, gaining_user):
    incident_report_code_failed(
        actor=gaining_user, incident=answered_incident, reason="Rejected by the meter", now=REPORTED
    )

    answered_incident.refresh_from_db()
    assert answered_incident.notified_at == REPORTED
    assert answered_incident.due_at == FRESH_DUE


def test_a_failed_code_emails_the_installer_that_the_request_reopened(
    answered_incident, gaining_user, installing_supplier, emails
):
    mail = emails(
        lambda: incident_report_code_failed(
            actor=gaining_user, incident=answered_incident, reason="Rejected by the meter"
        )
    )

    assert _recipients(mail) == sorted(installing_supplier.contact_emails)
    assert _templates_of(_last_event(answered_incident)) == {"incident_reopened"}


@pytest.mark.parametrize("persona", ["installing_user", "other_supplier_user", "helpdesk_user"])
def test_only_the_raising_supplier_reports_a_failed_code(request, answered_incident, persona):
    with pytest.raises(PermissionDenied):
        incident_report_code_failed(
            actor=request.getfixturevalue(persona),
            incident=answered_incident,
            reason="Did not work",
        )


def test_a_failed_code_cannot_be_reported_before_a_code_is_provided(incident, gaining_user):
    with pytest.raises(IncidentError) as caught:
        incident_report_code_failed(actor=gaining_user, incident=incident, reason="No code")

    assert caught.value.code == "invalid_transition"


def test_a_failed_code_report_needs_a_reason(answered_incident, gaining_user):
    with pytest.raises(IncidentError) as caught:
        incident_report_code_failed(actor=gaining_user, incident=answered_incident, reason="  ")

    assert (caught.value.code, caught.value.field) == ("required", "reason")


# --- Closing ------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["gaining_user", "gaining_colleague"])
def test_users_of_the_raising_supplier_close_the_request(request, answered_incident, persona):
    incident_close(
        actor=request.getfixturevalue(persona),
        incident=answered_incident,
        outcome="code_worked",
        now=REPORTED,
    )

    answered_incident.refresh_from_db()
    assert answered_incident.status == IncidentStatus.CLOSED
    assert (answered_incident.close_outcome, answered_incident.closed_at) == (
        "code_worked",
        REPORTED,
    )


@pytest.mark.parametrize("persona", ["installing_user", "other_supplier_user", "helpdesk_user"])
def test_nobody_else_closes_the_request(request, answered_incident, persona):
    with pytest.raises(PermissionDenied):
        incident_close(
            actor=request.getfixturevalue(persona),
            incident=answered_incident,
            outcome="code_worked",
        )


def test_code_worked_is_refused_before_a_code_is_provided(incident, gaining_user):
    with pytest.raises(IncidentError) as caught:
        incident_close(actor=gaining_user, incident=incident, outcome="code_worked")

    assert caught.value.code == "bad_outcome"


def test_an_unknown_outcome_is_refused(answered_incident, gaining_user):
    with pytest.raises(IncidentError) as caught:
        incident_close(actor=gaining_user, incident=answered_incident, outcome="bored")

    assert (caught.value.code, caught.value.field) == ("bad_outcome", "outcome")


def test_a_request_still_awaiting_the_installer_can_be_withdrawn(incident, gaining_user):
    incident_close(actor=gaining_user, incident=incident, outcome="no_longer_needed")

    incident.refresh_from_db()
    assert (incident.status, incident.close_outcome) == (IncidentStatus.CLOSED, "no_longer_needed")


def test_closing_emails_the_installer(answered_incident, gaining_user, installing_supplier, emails):
    mail = emails(
        lambda: incident_close(
            actor=gaining_user, incident=answered_incident, outcome="code_worked"
        )
    )

    assert _recipients(mail) == sorted(installing_supplier.contact_emails)
    assert _templates_of(_last_event(answered_incident)) == {"incident_closed"}


CLOSED_REFUSES = {
    "answer": (
        "installing_user",
        "invalid_transition",
        lambda a, i, s: incident_answer(actor=a, incident=i, install_code=INSTALL_CODE),
    ),
    "not installed": (
        "installing_user",
        "invalid_transition",
        lambda a, i, s: incident_answer_not_installed(actor=a, incident=i),
    ),
    "code failed": (
        "gaining_user",
        "invalid_transition",
        lambda a, i, s: incident_report_code_failed(actor=a, incident=i, reason="x"),
    ),
    "close again": (
        "gaining_user",
        "invalid_transition",
        lambda a, i, s: incident_close(actor=a, incident=i, outcome="no_longer_needed"),
    ),
    "reassign": (
        "helpdesk_user",
        "invalid_transition",
        lambda a, i, s: incident_reassign(actor=a, incident=i, supplier=s, reason="Try them"),
    ),
    "note": (
        "gaining_user",
        "closed",
        lambda a, i, s: incident_add_note(actor=a, incident=i, text="Thanks"),
    ),
}


@pytest.mark.parametrize("action", sorted(CLOSED_REFUSES))
def test_a_closed_request_refuses_every_further_action(
    request, closed_incident, other_supplier, action
):
    persona, code, act = CLOSED_REFUSES[action]
    before = _snapshot(closed_incident)

    with pytest.raises(IncidentError) as caught:
        act(request.getfixturevalue(persona), closed_incident, other_supplier)

    assert caught.value.code == code
    assert _snapshot(closed_incident) == before


# --- Reassignment -------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["gaining_user", "installing_user", "other_supplier_user"])
def test_only_the_helpdesk_reassigns(request, with_helpdesk_incident, other_supplier, persona):
    with pytest.raises(PermissionDenied):
        incident_reassign(
            actor=request.getfixturevalue(persona),
            incident=with_helpdesk_incident,
            supplier=other_supplier,
            reason="They installed it",
        )


def test_a_request_cannot_be_reassigned_to_its_raising_supplier(
    with_helpdesk_incident, helpdesk_user, gaining_supplier
):
    with pytest.raises(IncidentError) as caught:
        incident_reassign(
            actor=helpdesk_user,
            incident=with_helpdesk_incident,
            supplier=gaining_supplier,
            reason="Oops",
        )

    assert (caught.value.code, caught.value.field) == ("bad_assignee", "supplier")


def test_a_request_with_a_code_cannot_be_reassigned(
    answered_incident, helpdesk_user, other_supplier
):
    with pytest.raises(IncidentError) as caught:
        incident_reassign(
            actor=helpdesk_user,
            incident=answered_incident,
            supplier=other_supplier,
            reason="Try them",
        )

    assert caught.value.code == "invalid_transition"


def test_reassignment_assigns_the_new_supplier_with_a_fresh_deadline(
    with_helpdesk_incident, helpdesk_user, other_supplier
):
    incident_reassign(
        actor=helpdesk_user,
        incident=with_helpdesk_incident,
        supplier=other_supplier,
        reason="They installed it",
        now=REPORTED,
    )

    with_helpdesk_incident.refresh_from_db()
    assert with_helpdesk_incident.status == IncidentStatus.AWAITING_INSTALLER
    assert with_helpdesk_incident.assigned_supplier == other_supplier
    assert with_helpdesk_incident.due_at == FRESH_DUE


def test_reassignment_emails_the_new_assignee_and_the_raiser(
    with_helpdesk_incident, helpdesk_user, other_supplier, gaining_user, emails
):
    mail = emails(
        lambda: incident_reassign(
            actor=helpdesk_user,
            incident=with_helpdesk_incident,
            supplier=other_supplier,
            reason="They installed it",
        )
    )

    assert _recipients(mail) == sorted([*other_supplier.contact_emails, gaining_user.email])


# --- Notes --------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["gaining_user", "installing_user", "helpdesk_user"])
def test_a_note_can_be_added_by_the_raiser_the_assignee_and_the_helpdesk(
    request, incident, persona
):
    actor = request.getfixturevalue(persona)

    event = incident_add_note(actor=actor, incident=incident, text="Site visit on Tuesday.")

    assert (event.kind, event.actor, event.message) == (
        EventKind.NOTE,
        actor,
        "Site visit on Tuesday.",
    )


def test_a_note_is_refused_to_another_supplier(incident, other_supplier_user):
    with pytest.raises(PermissionDenied):
        incident_add_note(actor=other_supplier_user, incident=incident, text="Hello")


@pytest.mark.parametrize(
    "text",
    [
        f"The code is {INSTALL_CODE}",
        f"Code: {INSTALL_CODE_WITH_CRC}.",
        "try 83fe d340 7a93 9723 a5c6 39b2 6916 d505 please",
        "try 83-FE-D3-40-7A-93-97-23-A5-C6-39-B2-69-16-D5-05",
        "0123456789abcdef0123456789ABCDEF",
    ],
)
def test_a_note_that_looks_like_an_install_code_is_refused(incident, gaining_user, text):
    with pytest.raises(IncidentError) as caught:
        incident_add_note(actor=gaining_user, incident=incident, text=text)

    assert (caught.value.code, caught.value.field) == ("contains_code", "text")


@pytest.mark.parametrize("text", ["", "   \n\t"])
def test_an_empty_note_is_refused(incident, gaining_user, text):
    with pytest.raises(IncidentError) as caught:
        incident_add_note(actor=gaining_user, incident=incident, text=text)

    assert caught.value.code == "required"


def test_a_note_over_the_length_limit_is_refused(incident, gaining_user):
    with pytest.raises(IncidentError) as caught:
        incident_add_note(actor=gaining_user, incident=incident, text="x" * (NOTE_MAX_LENGTH + 1))

    assert caught.value.code == "too_long"
    assert str(NOTE_MAX_LENGTH) in caught.value.message


def test_a_note_of_exactly_the_length_limit_is_accepted(incident, gaining_user):
    event = incident_add_note(actor=gaining_user, incident=incident, text="x" * NOTE_MAX_LENGTH)

    assert len(event.message) == NOTE_MAX_LENGTH


def test_a_note_by_the_installer_emails_the_raiser(incident, installing_user, gaining_user, emails):
    mail = emails(
        lambda: incident_add_note(actor=installing_user, incident=incident, text="Looking into it.")
    )

    assert _recipients(mail) == [gaining_user.email]


def test_a_note_by_the_raiser_emails_the_installer_contacts(
    incident, gaining_user, installing_supplier, emails
):
    mail = emails(
        lambda: incident_add_note(actor=gaining_user, incident=incident, text="Any news?")
    )

    assert _recipients(mail) == sorted(installing_supplier.contact_emails)


# --- Whole lifecycles: the code stays secret and every transition is in the table --------------

_TAGS = re.compile(r"<[^>]+>|&#?\w+;")
_NOT_HEX = re.compile(r"[^0-9A-F]")


def _shows_the_code(text: str) -> bool:
    """Whether the code appears in ``text`` in any grouping (spaces, hyphens, markup, case)."""
    return INSTALL_CODE in _NOT_HEX.sub("", _TAGS.sub("", text).upper())


@pytest.mark.parametrize(
    "text",
    [
        INSTALL_CODE,
        INSTALL_CODE.lower(),
        "Code: 83FE D340 7A93 9723 A5C6 39B2 6916 D505 (CRC C3B5)",
        "<td>83FE</td><td>D340</td><td>7A93</td><td>9723</td>"
        "<td>A5C6</td><td>39B2</td><td>6916</td><td>D505</td>",
        "83:fe:d3:40:7a:93:97:23:a5:c6:39:b2:69:16:d5:05",
    ],
)
def test_the_leak_check_finds_the_code_in_any_grouping(text):
    assert _shows_the_code(text)


def _run_every_path(p):
    """Drive two Devices through every service, as the people entitled to each step."""
    first = incident_raise(actor=p.gaining_user, device_id=p.device.device_id)
    incident_add_note(actor=p.installing_user, incident=first, text="On it.")
    incident_answer(actor=p.installing_user, incident=first, install_code=INSTALL_CODE_WITH_CRC)
    incident_reveal_code(actor=p.gaining_user, incident=first)
    incident_report_code_failed(actor=p.gaining_user, incident=first, reason="Join refused.")
    incident_add_note(actor=p.gaining_user, incident=first, text="Please check the label.")
    incident_answer(actor=p.installing_user, incident=first, install_code=INSTALL_CODE)
    incident_reveal_code(actor=p.installing_user, incident=first)
    incident_close(actor=p.gaining_colleague, incident=first, outcome="code_worked")

    second_device = DeviceFactory(installing_supplier=p.installing_user.supplier)
    second = incident_raise(actor=p.gaining_user, device_id=second_device.device_id)
    incident_answer_not_installed(actor=p.installing_user, incident=second, reason="Not ours.")
    incident_add_note(actor=p.helpdesk_user, incident=second, text="Checking with Third Party.")
    incident_reassign(
        actor=p.helpdesk_user,
        incident=second,
        supplier=p.other_supplier,
        reason="Their engineer fitted it.",
    )
    incident_reassign(
        actor=p.helpdesk_user,
        incident=second,
        supplier=p.installing_user.supplier,
        reason="Back to the installer.",
    )
    incident_answer(actor=p.installing_user, incident=second, install_code=INSTALL_CODE)
    incident_report_code_failed(actor=p.gaining_user, incident=second, reason="Still refused.")
    incident_close(actor=p.gaining_user, incident=second, outcome="no_longer_needed")

    orphan = DeviceFactory(installing_supplier=None)
    third = incident_raise(actor=p.gaining_user, device_id=orphan.device_id)
    incident_close(actor=p.gaining_user, incident=third, outcome="no_longer_needed")


@pytest.fixture
def every_path(
    emails, device, gaining_user, gaining_colleague, installing_user, other_supplier, helpdesk_user
):
    """The emails of every path through the services (all after-commit work executed)."""
    people = SimpleNamespace(
        device=device,
        gaining_user=gaining_user,
        gaining_colleague=gaining_colleague,
        installing_user=installing_user,
        other_supplier=other_supplier,
        helpdesk_user=helpdesk_user,
    )
    return emails(lambda: _run_every_path(people))


def test_no_email_of_a_whole_lifecycle_contains_the_install_code(every_path):
    assert len(every_path) >= 15  # the paths really sent mail
    for message in every_path:
        parts = [message.subject, message.body, *(body for body, _ in message.alternatives)]
        assert [part for part in parts if _shows_the_code(part)] == [], message.subject


def test_no_stored_notification_holds_the_install_code(every_path):
    for context in Notification.objects.values_list("context", flat=True):
        assert not _shows_the_code(repr(context))


def test_every_status_change_a_service_makes_is_allowed_by_the_transition_table(every_path):
    changes = IncidentEvent.objects.exclude(from_status="").values_list("from_status", "to_status")

    assert changes, "the paths changed no status"
    assert [(f, t) for f, t in changes if t not in TRANSITIONS[f]] == []


def test_the_events_of_each_incident_form_an_unbroken_chain_of_statuses(every_path):
    for incident in Incident.objects.all():
        moves = list(incident.events.exclude(to_status="").values_list("from_status", "to_status"))
        assert [f for f, _ in moves] == ["", *[t for _, t in moves[:-1]]], incident.reference
        assert moves[-1][1] == incident.status


def test_the_transition_table_covers_every_status_and_closed_is_final():
    assert set(TRANSITIONS) == set(IncidentStatus.values)
    assert all(set(targets) <= set(IncidentStatus.values) for targets in TRANSITIONS.values())
    assert TRANSITIONS[IncidentStatus.CLOSED] == frozenset()


@pytest.mark.parametrize(
    "text",
    [
        "83FE.D340.7A93.9723.A5C6.39B2.6916.D505",
        "83FE  D340  7A93  9723  A5C6  39B2  6916  D505",
        "83FE_D340_7A93_9723_A5C6_39B2_6916_D505",
        "83FE, D340, 7A93, 9723, A5C6, 39B2, 6916, D505",
    ],
)
def test_a_note_with_a_code_in_any_common_grouping_is_refused(incident, gaining_user, text):
    with pytest.raises(IncidentError) as caught:
        incident_add_note(actor=gaining_user, incident=incident, text=text)
    assert caught.value.code == "contains_code"


def test_a_note_naming_two_device_ids_is_accepted(incident, gaining_user):
    event = incident_add_note(
        actor=gaining_user,
        incident=incident,
        text="Also see 00-DB-12-34-56-78-90-A0 00-DB-12-34-56-78-90-A1 on the same site.",
    )
    assert "00-DB-12-34-56-78-90-A1" in event.message
