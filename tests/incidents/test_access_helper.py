"""The access helper itself: for each persona, every action on an incident allowed or refused
with its reason from the one table of refusals; and the page decorators."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.test import RequestFactory

from conftest import INSTALL_CODE_WITH_CRC
from incidents import permissions
from incidents.models import BulkKind
from incidents.permissions import (
    ALLOWED,
    Refusal,
    helpdesk_required,
    incident_access,
    raise_access,
    supplier_user_required,
    upload_access,
)
from incidents.selectors.incidents import incident_get_for_user
from incidents.services import incident_answer_not_installed, incident_close

ACTIONS = ("view", "answer", "disclaim", "reveal", "close", "code_failed", "note", "reassign")
R = Refusal

# What each persona may do with a request awaiting the installing Supplier's answer:
# ALLOWED, or (refusal, whether the user takes part in the action: 409 rather than 403).
AWAITING = {
    "gaining_user": {
        "view": ALLOWED,
        "answer": (R.NOT_ANSWERER, False),
        "disclaim": (R.NOT_ANSWERER, False),
        "reveal": (R.NOT_REVEALER, True),
        "close": ALLOWED,
        "code_failed": (R.NO_CODE_TO_REPORT, True),
        "note": ALLOWED,
        "reassign": (R.NOT_REASSIGNER, False),
    },
    "installing_user": {
        "view": ALLOWED,
        "answer": ALLOWED,
        "disclaim": ALLOWED,
        "reveal": (R.NOT_REVEALER, True),
        "close": (R.NOT_CLOSER, False),
        "code_failed": (R.NOT_REPORTER, False),
        "note": ALLOWED,
        "reassign": (R.NOT_REASSIGNER, False),
    },
    "other_supplier_user": {
        "view": (R.NOT_VISIBLE, False),
        "answer": (R.NOT_ANSWERER, False),
        "disclaim": (R.NOT_ANSWERER, False),
        "reveal": (R.NOT_REVEALER, False),
        "close": (R.NOT_CLOSER, False),
        "code_failed": (R.NOT_REPORTER, False),
        "note": (R.NOT_NOTER, False),
        "reassign": (R.NOT_REASSIGNER, False),
    },
    "helpdesk_user": {
        "view": ALLOWED,
        "answer": (R.NOT_ANSWERER, False),
        "disclaim": (R.NOT_ANSWERER, False),
        "reveal": (R.NOT_REVEALER, False),
        "close": (R.NOT_CLOSER, False),
        "code_failed": (R.NOT_REPORTER, False),
        "note": ALLOWED,
        "reassign": ALLOWED,
    },
}

# The same once the installing Supplier has provided the code.
ANSWERED = {
    "gaining_user": {
        **AWAITING["gaining_user"],
        "reveal": ALLOWED,
        "code_failed": ALLOWED,
    },
    "installing_user": {
        **AWAITING["installing_user"],
        "answer": (R.MOVED_ON, True),
        "disclaim": (R.MOVED_ON, True),
        "reveal": ALLOWED,
    },
    "other_supplier_user": AWAITING["other_supplier_user"],
    "helpdesk_user": {**AWAITING["helpdesk_user"], "reassign": (R.NOT_REASSIGNABLE, True)},
}


def _expected(entry):
    if entry is ALLOWED:
        return ALLOWED
    refusal, takes_part = entry
    return permissions.Decision(False, refusal, takes_part)


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("persona", list(AWAITING))
def test_each_persona_may_do_what_the_table_says_with_a_request_awaiting_an_answer(
    request, incident, persona, action
):
    user = request.getfixturevalue(persona)

    assert getattr(incident_access(user, incident), action) == _expected(AWAITING[persona][action])


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("persona", list(ANSWERED))
def test_each_persona_may_do_what_the_table_says_with_an_answered_request(
    request, answered_incident, persona, action
):
    user = request.getfixturevalue(persona)
    access = incident_access(user, answered_incident)

    assert getattr(access, action) == _expected(ANSWERED[persona][action])


def test_a_closed_request_takes_notes_from_nobody_and_says_why(answered_incident, gaining_user):
    closed = incident_close(actor=gaining_user, incident=answered_incident, outcome="code_worked")

    decision = incident_access(gaining_user, closed).note

    assert decision == permissions.Decision(False, R.CLOSED_TO_NOTES, True)
    assert decision.refusal.message(closed) == (
        f"{closed.reference} is closed; notes can no longer be added."
    )


def test_a_supplier_that_disclaimed_a_request_reads_it_only_but_still_takes_part(
    incident, installing_user
):
    incident_answer_not_installed(actor=installing_user, incident=incident)
    seen = incident_get_for_user(installing_user, incident.public_id)

    access = incident_access(installing_user, seen)

    assert access.read_only
    assert access.view.allowed
    assert access.answer == permissions.Decision(False, R.NOT_ANSWERER, True)
    assert access.note == permissions.Decision(False, R.NOT_NOTER, True)


def test_a_colleague_without_the_role_to_answer_may_not_answer_nor_take_part(
    incident, installing_user
):
    installing_user.can_answer = False

    assert incident_access(installing_user, incident).answer == permissions.Decision(
        False, R.NOT_ANSWERER, False
    )


def test_the_actions_of_the_incident_page_are_found_by_their_url_names(incident, installing_user):
    access = incident_access(installing_user, incident)

    assert access.of("not_installed") is access.disclaim
    assert access.of("answer") is access.answer


def test_a_state_refusal_names_the_request_and_its_state(answered_incident):
    assert R.MOVED_ON.message(answered_incident) == (
        f"{answered_incident.reference} {answered_incident.status_phrase}; "
        "that action is no longer possible."
    )
    assert R.MOVED_ON.of_state and not R.NOT_ANSWERER.of_state


def test_every_refusal_has_a_code_and_words():
    assert all(r.code and r.text.endswith(".") for r in Refusal)


# --- Raising and uploading ----------------------------------------------------------------------


def test_a_raiser_may_raise(gaining_user):
    assert raise_access(gaining_user) == ALLOWED


def test_the_helpdesk_may_not_raise_as_it_is_no_supplier(helpdesk_user):
    assert raise_access(helpdesk_user).refusal is R.NOT_SUPPLIER_RAISE


def test_a_supplier_user_without_the_role_may_not_raise(gaining_user):
    gaining_user.can_raise = False

    assert raise_access(gaining_user).refusal is R.NO_ROLE_TO_RAISE


@pytest.mark.parametrize(
    ("kind", "refusal"),
    [
        (BulkKind.RAISE, R.NO_ROLE_TO_RAISE),
        (BulkKind.ANSWER, R.NO_ROLE_TO_ANSWER),
        (BulkKind.LODGE, R.NO_ROLE_TO_LODGE),
    ],
)
def test_each_kind_of_upload_needs_the_role_of_its_single_action(gaining_user, kind, refusal):
    assert upload_access(gaining_user, kind) == ALLOWED
    gaining_user.can_raise = gaining_user.can_answer = False

    assert upload_access(gaining_user, kind).refusal is refusal


def test_the_helpdesk_uploads_no_files(helpdesk_user):
    assert upload_access(helpdesk_user, BulkKind.RAISE).refusal is R.NOT_SUPPLIER_UPLOAD


# --- The services refuse with the table's words ----------------------------------------------


def test_a_service_refuses_who_asks_with_the_tables_words(incident, gaining_user):
    from incidents.services import incident_answer

    with pytest.raises(PermissionDenied, match=R.NOT_ANSWERER.text):
        incident_answer(actor=gaining_user, incident=incident, install_code=INSTALL_CODE_WITH_CRC)


# --- Page decorators ------------------------------------------------------------------------


def _page(request):
    return HttpResponse("the page")


def _get(user):
    request = RequestFactory().get("/somewhere/")
    request.user = user
    return request


def test_a_supplier_page_shows_to_a_supplier_user(gaining_user):
    view = supplier_user_required(R.NOT_SUPPLIER_WORKLIST)(_page)

    assert view(_get(gaining_user)).content == b"the page"


def test_a_supplier_page_refuses_the_helpdesk_with_its_words(helpdesk_user):
    view = supplier_user_required(R.NOT_SUPPLIER_WORKLIST)(_page)

    with pytest.raises(PermissionDenied, match=R.NOT_SUPPLIER_WORKLIST.text):
        view(_get(helpdesk_user))


def test_a_supplier_page_sends_an_anonymous_visitor_to_sign_in():
    view = supplier_user_required(R.NOT_SUPPLIER_WORKLIST)(_page)

    response = view(_get(AnonymousUser()))

    assert response.status_code == 302
    assert "login" in response["Location"]


def test_a_helpdesk_page_refuses_a_supplier_user_with_its_words(gaining_user):
    view = helpdesk_required(R.NOT_HELPDESK_COMPLIANCE)(_page)

    with pytest.raises(PermissionDenied, match=R.NOT_HELPDESK_COMPLIANCE.text):
        view(_get(gaining_user))


def test_a_helpdesk_page_shows_to_the_helpdesk(helpdesk_user):
    view = helpdesk_required(R.NOT_HELPDESK_COMPLIANCE)(_page)

    assert view(_get(helpdesk_user)).status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/incidents/raised/",
        "/incidents/assigned/",
        "/incidents/disclaimed/",
        "/incidents/raised/export.csv",
        "/incidents/assigned/export.csv",
        "/bulk/",
        "/compliance/export.csv",
    ],
)
def test_the_supplier_pages_refuse_the_helpdesk(client, helpdesk_user, url):
    client.force_login(helpdesk_user)

    assert client.get(url).status_code == 403
