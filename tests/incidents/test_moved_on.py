"""An action the user could take a moment ago, refused because the request moved on meanwhile
(a double click, a second tab, a colleague): 409 and what happened, who did it and when. A user
who could never take it is still refused outright (403), or finds nothing (404)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from conftest import INSTALL_CODE, INSTALL_CODE_WITH_CRC
from incidents.permissions import ALLOWED
from incidents.services import (
    incident_answer,
    incident_answer_not_installed,
    incident_close,
    incident_raise,
    incident_report_code_failed,
)

LONDON = ZoneInfo("Europe/London")
RAISED_AT = dt.datetime(2026, 4, 1, 9, 30, tzinfo=LONDON)  # Wednesday 1 April
ACTED_AT = dt.datetime(2026, 4, 1, 10, 2, tzinfo=LONDON)
LATER_THAT_DAY = dt.datetime(2026, 4, 1, 10, 5, tzinfo=LONDON)
NEXT_DAY = dt.datetime(2026, 4, 2, 9, 0, tzinfo=LONDON)


@pytest.fixture
def named(gaining_user, installing_user):
    for user, first, last in ((gaining_user, "Gail", "Jones"), (installing_user, "Ann", "Smith")):
        user.first_name, user.last_name = first, last
        user.save(update_fields=["first_name", "last_name"])


@pytest.fixture
def raised(gaining_user, device, named):
    return incident_raise(actor=gaining_user, device_id=device.device_id, now=RAISED_AT)


@pytest.fixture
def answered(raised, installing_user):
    return incident_answer(
        actor=installing_user, incident=raised, install_code=INSTALL_CODE, now=ACTED_AT
    )


@pytest.fixture
def disclaimed(raised, installing_user):
    return incident_answer_not_installed(actor=installing_user, incident=raised, now=ACTED_AT)


@pytest.fixture
def closed(raised, gaining_user):
    return incident_close(
        actor=gaining_user, incident=raised, outcome="no_longer_needed", now=ACTED_AT
    )


def post(client, user, name, incident, data, *, at=LATER_THAT_DAY):
    client.force_login(user)
    with time_machine.travel(at, tick=False):
        return client.post(reverse(f"incidents:{name}", args=[incident.public_id]), data)


def told(response) -> str:
    [message] = list(response.context["messages"])
    return str(message)


ANSWERED_BY_ANN = "answered with the install code at 10:02 by Ann Smith (Installing Power)"


def test_answering_a_request_already_answered_says_who_answered_it_and_when(
    client, installing_user, answered
):
    response = post(
        client, installing_user, "answer", answered, {"install_code": INSTALL_CODE_WITH_CRC}
    )

    assert response.status_code == 409
    assert told(response) == (
        f"{answered.reference} was already {ANSWERED_BY_ANN}. Nothing was changed."
    )
    assert answered.events.filter(kind="code_provided").count() == 1


def test_the_refusal_shows_the_request_as_it_is_now(client, installing_user, answered):
    response = post(
        client, installing_user, "answer", answered, {"install_code": INSTALL_CODE_WITH_CRC}
    )

    assert response.templates[0].name == "incidents/detail.html"
    assert response.context["answer_form"] is None


def test_on_a_later_day_the_refusal_names_the_day(client, installing_user, answered):
    response = post(
        client,
        installing_user,
        "answer",
        answered,
        {"install_code": INSTALL_CODE_WITH_CRC},
        at=NEXT_DAY,
    )

    assert told(response) == (
        f"{answered.reference} was already answered with the install code at 10:02 on "
        "Wednesday 1 April by Ann Smith (Installing Power). Nothing was changed."
    )


def test_a_colleague_answering_after_an_answer_is_told_who_answered(
    client, installing_supplier, answered
):
    from tests.factories import UserFactory

    colleague = UserFactory(supplier=installing_supplier)

    response = post(client, colleague, "answer", answered, {"install_code": INSTALL_CODE_WITH_CRC})

    assert response.status_code == 409
    assert ANSWERED_BY_ANN in told(response)


def test_disclaiming_twice_says_it_was_already_sent_to_the_helpdesk(
    client, installing_user, disclaimed
):
    response = post(
        client, installing_user, "not_installed", disclaimed, {"reason": "", "confirm": "yes"}
    )

    assert response.status_code == 409
    assert told(response) == (
        f"{disclaimed.reference} was already answered “not installed by us” and sent to the DCC "
        "helpdesk at 10:02 by Ann Smith (Installing Power). Nothing was changed."
    )
    assert disclaimed.events.filter(kind="not_installed").count() == 1


def test_asking_to_disclaim_an_answered_request_is_told_before_the_confirmation(
    client, installing_user, answered
):
    response = post(client, installing_user, "not_installed", answered, {"reason": ""})

    assert response.status_code == 409
    assert ANSWERED_BY_ANN in told(response)


def test_answering_a_request_already_disclaimed_says_so(client, installing_user, disclaimed):
    response = post(
        client, installing_user, "answer", disclaimed, {"install_code": INSTALL_CODE_WITH_CRC}
    )

    assert response.status_code == 409
    assert "was already answered “not installed by us”" in told(response)


def test_a_supplier_that_disclaimed_is_told_of_its_own_answer_not_of_who_has_it_now(
    client, installing_user, other_supplier, other_supplier_user, helpdesk_user, disclaimed
):
    from incidents.services import incident_reassign

    incident_reassign(
        actor=helpdesk_user,
        incident=disclaimed,
        supplier=other_supplier,
        reason="Found them.",
        now=ACTED_AT + dt.timedelta(minutes=1),
    )
    incident_answer(
        actor=other_supplier_user,
        incident=disclaimed,
        install_code=INSTALL_CODE,
        now=ACTED_AT + dt.timedelta(minutes=2),
    )

    response = post(
        client, installing_user, "answer", disclaimed, {"install_code": INSTALL_CODE_WITH_CRC}
    )

    assert response.status_code == 409
    assert told(response) == (
        f"{disclaimed.reference} was already answered “not installed by us” and sent to the DCC "
        "helpdesk at 10:02 by Ann Smith (Installing Power). Nothing was changed."
    )


def test_closing_a_closed_request_says_who_closed_it(client, gaining_user, closed):
    response = post(client, gaining_user, "close", closed, {"outcome": "no_longer_needed"})

    assert response.status_code == 409
    assert told(response) == (
        f"{closed.reference} was already closed at 10:02 by Gail Jones (Gaining Energy). "
        "Nothing was changed."
    )


def test_reporting_a_failed_code_after_closing_says_it_was_closed(client, gaining_user, answered):
    incident_close(actor=gaining_user, incident=answered, outcome="code_worked", now=ACTED_AT)

    response = post(client, gaining_user, "code_failed", answered, {"reason": "Rejected."})

    assert response.status_code == 409
    assert told(response).startswith(f"{answered.reference} was already closed at 10:02 by Gail")


def test_reporting_a_failed_code_twice_says_it_went_back_to_the_installer(
    client, gaining_user, answered
):
    incident_report_code_failed(
        actor=gaining_user, incident=answered, reason="Rejected.", now=ACTED_AT
    )

    response = post(client, gaining_user, "code_failed", answered, {"reason": "Rejected."})

    assert response.status_code == 409
    assert told(response) == (
        f"{answered.reference} was already reported as a code that did not work and returned "
        "to the installing Supplier at 10:02 by Gail Jones (Gaining Energy). Nothing was changed."
    )


def test_a_note_on_a_request_closed_meanwhile_says_who_closed_it(client, installing_user, closed):
    response = post(client, installing_user, "note", closed, {"text": "Visit booked."})

    assert response.status_code == 409
    assert "was already closed at 10:02 by Gail Jones (Gaining Energy)" in told(response)


def test_revealing_a_code_reported_as_failed_meanwhile_says_so(client, gaining_user, answered):
    incident_report_code_failed(
        actor=gaining_user, incident=answered, reason="Rejected.", now=ACTED_AT
    )

    response = post(client, gaining_user, "reveal", answered, {})

    assert response.status_code == 409
    assert "reported as a code that did not work" in told(response)


def test_a_change_between_the_check_and_the_row_lock_is_told_the_same_way(
    client, installing_user, answered, monkeypatch
):
    # As if the other answer committed after this request read the row, before it locked it.
    monkeypatch.setattr("incidents.permissions.IncidentAccess.answer", ALLOWED)

    response = post(
        client, installing_user, "answer", answered, {"install_code": INSTALL_CODE_WITH_CRC}
    )

    assert response.status_code == 409
    assert ANSWERED_BY_ANN in told(response)


# --- Who never could: refused as before ------------------------------------------------------


def test_the_raiser_answering_its_own_request_is_refused_outright(client, gaining_user, answered):
    response = post(
        client, gaining_user, "answer", answered, {"install_code": INSTALL_CODE_WITH_CRC}
    )

    assert response.status_code == 403


def test_the_installer_closing_a_closed_request_is_refused_outright(
    client, installing_user, closed
):
    response = post(client, installing_user, "close", closed, {"outcome": "no_longer_needed"})

    assert response.status_code == 403


def test_an_installer_without_the_role_to_answer_is_refused_outright(
    client, installing_supplier, answered
):
    from tests.factories import UserFactory

    reader = UserFactory(supplier=installing_supplier, can_answer=False)

    response = post(client, reader, "answer", answered, {"install_code": INSTALL_CODE_WITH_CRC})

    assert response.status_code == 403


def test_a_request_nothing_has_moved_on_refuses_an_action_that_was_never_offered(
    client, installing_user, raised
):
    # No code was ever provided: nothing to reveal, and nothing happened to say.
    response = post(client, installing_user, "reveal", raised, {})

    assert response.status_code == 403


def test_another_supplier_still_finds_nothing(client, other_supplier_user, answered):
    response = post(
        client, other_supplier_user, "answer", answered, {"install_code": INSTALL_CODE_WITH_CRC}
    )

    assert response.status_code == 404
