"""Reads: who sees which incident, the list filters, the home-page figures and their cost."""

import datetime as dt
import uuid

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from conftest import INSTALL_CODE
from incidents.models import IncidentStatus
from incidents.selectors.home import home_counts
from incidents.selectors.incidents import (
    incident_get_for_user,
    incident_list,
    incidents_visible_to,
)
from incidents.services import (
    incident_answer,
    incident_answer_not_installed,
    incident_close,
    incident_raise,
)
from tests.factories import DeviceFactory, SupplierFactory, UserFactory

pytestmark = pytest.mark.django_db

RAISED = dt.datetime(2027, 2, 3, 10, 0, tzinfo=dt.UTC)  # due at the end of 10 February 2027
BEFORE_DUE = dt.datetime(2027, 2, 8, 12, 0, tzinfo=dt.UTC)
AFTER_DUE = dt.datetime(2027, 2, 11, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def foreign_incident(db):
    """A request between two Suppliers none of the personas belongs to."""
    raiser = UserFactory()
    stranger_device = DeviceFactory(device_id="00-DB-99-00-00-00-00-01", registered=raiser.supplier)
    return incident_raise(actor=raiser, device_id=stranger_device.device_id, now=RAISED)


@pytest.fixture
def world(
    gaining_user, installing_user, installing_supplier, other_supplier_user, foreign_incident
):
    """The gaining Supplier's requests in every status, plus one the installer raised itself."""

    def device(device_id, supplier=installing_supplier, registered=None):
        return DeviceFactory(
            device_id=device_id, installing_supplier=supplier, registered=registered
        ).device_id

    awaiting = incident_raise(
        actor=gaining_user, device_id=device("00-DB-12-34-56-78-90-A1"), now=RAISED
    )
    answered = incident_raise(
        actor=gaining_user, device_id=device("00-DB-12-34-56-78-90-A2"), now=RAISED
    )
    incident_answer(actor=installing_user, incident=answered, install_code=INSTALL_CODE, now=RAISED)
    helpdesk = incident_raise(
        actor=gaining_user, device_id=device("00-DB-12-34-56-78-90-A3"), now=RAISED
    )
    incident_answer_not_installed(actor=installing_user, incident=helpdesk, now=RAISED)
    closed = incident_raise(
        actor=gaining_user, device_id=device("00-DB-12-34-56-78-90-A4"), now=RAISED
    )
    incident_close(actor=gaining_user, incident=closed, outcome="no_longer_needed", now=RAISED)
    # The installing Supplier raising for a Device the third Supplier pre-notified.
    theirs = incident_raise(
        actor=installing_user,
        device_id=device(
            "00-DB-77-00-00-00-00-01",
            supplier=other_supplier_user.supplier,
            registered=installing_supplier,
        ),
        now=RAISED,
    )
    return {
        "awaiting": awaiting,
        "answered": answered,
        "helpdesk": helpdesk,
        "closed": closed,
        "theirs": theirs,
        "foreign": foreign_incident,
    }


def _names(world, queryset) -> set[str]:
    by_pk = {incident.pk: name for name, incident in world.items()}
    return {by_pk[pk] for pk in queryset.values_list("pk", flat=True)}


# --- Visibility ---------------------------------------------------------------------------------

ALL = {"awaiting", "answered", "helpdesk", "closed", "theirs", "foreign"}


@pytest.mark.parametrize(
    ("persona", "sees"),
    [
        ("gaining_user", {"awaiting", "answered", "helpdesk", "closed"}),
        ("gaining_colleague", {"awaiting", "answered", "helpdesk", "closed"}),
        # "helpdesk" was handed back: the installer keeps it in sight (read only).
        ("installing_user", {"awaiting", "answered", "helpdesk", "closed", "theirs"}),
        ("other_supplier_user", {"theirs"}),
        ("helpdesk_user", ALL),
    ],
)
def test_each_persona_sees_only_the_incidents_it_raised_is_assigned_or_disclaimed(
    request, world, persona, sees
):
    user = request.getfixturevalue(persona)

    assert _names(world, incidents_visible_to(user)) == sees


def test_a_user_without_supplier_sees_no_incident(world):
    assert not incidents_visible_to(UserFactory(supplier=None)).exists()


def test_an_anonymous_visitor_sees_no_incident(world):
    assert not incidents_visible_to(AnonymousUser()).exists()


def test_a_visible_incident_is_found_by_its_public_id(gaining_user, incident):
    assert incident_get_for_user(gaining_user, str(incident.public_id)) == incident


def test_a_foreign_incident_is_not_found(gaining_user, foreign_incident):
    with pytest.raises(Http404):
        incident_get_for_user(gaining_user, foreign_incident.public_id)


@pytest.mark.parametrize("public_id", ["not-a-uuid", "", "1", str(uuid.UUID(int=7))])
def test_a_malformed_or_unknown_public_id_is_not_found(gaining_user, incident, public_id):
    with pytest.raises(Http404):
        incident_get_for_user(gaining_user, public_id)


# --- List filters -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("", {"awaiting", "answered", "helpdesk", "closed", "theirs", "foreign"}),
        ("open", {"awaiting", "answered", "helpdesk", "theirs", "foreign"}),
        (IncidentStatus.AWAITING_INSTALLER, {"awaiting", "theirs", "foreign"}),
        (IncidentStatus.CODE_PROVIDED, {"answered"}),
        (IncidentStatus.WITH_HELPDESK, {"helpdesk"}),
        (IncidentStatus.CLOSED, {"closed"}),
        ("nonsense", ALL),
    ],
)
def test_the_list_filters_by_status(world, helpdesk_user, status, expected):
    listed = incident_list(incidents_visible_to(helpdesk_user), status=status)

    assert _names(world, listed) == expected


@pytest.mark.parametrize(
    ("now", "expected"),
    [(BEFORE_DUE, set()), (AFTER_DUE, {"awaiting", "theirs", "foreign"})],
)
def test_the_overdue_filter_lists_requests_awaiting_past_their_deadline(
    world, helpdesk_user, now, expected
):
    listed = incident_list(incidents_visible_to(helpdesk_user), overdue=True, now=now)

    assert _names(world, listed) == expected


@pytest.mark.parametrize("case", [str.upper, str.lower])
def test_the_list_finds_an_incident_by_its_reference(world, gaining_user, case):
    listed = incident_list(
        incidents_visible_to(gaining_user), search=case(world["answered"].reference)
    )

    assert _names(world, listed) == {"answered"}


@pytest.mark.parametrize(
    "pasted",
    [
        "00-DB-12-34-56-78-90-A2",
        "00db1234567890a2",
        "00:db:12:34:56:78:90:a2",
        " 00 DB 12 34 56 78 90 A2 ",
    ],
)
def test_the_list_finds_an_incident_by_its_full_device_id_in_any_pasted_form(
    world, gaining_user, pasted
):
    listed = incident_list(incidents_visible_to(gaining_user), search=pasted)

    assert _names(world, listed) == {"answered"}


@pytest.mark.parametrize(
    ("partial", "expected"),
    [
        ("90-A", {"awaiting", "answered", "helpdesk", "closed"}),
        ("78-90-a3", {"helpdesk"}),
        ("78:90:A4", {"closed"}),
    ],
)
def test_the_list_finds_incidents_by_part_of_a_device_id(world, gaining_user, partial, expected):
    listed = incident_list(incidents_visible_to(gaining_user), search=partial)

    assert _names(world, listed) == expected


def test_a_search_never_widens_the_visible_set(world, gaining_user):
    listed = incident_list(incidents_visible_to(gaining_user), search=world["foreign"].reference)

    assert not listed.exists()


# --- Home-page figures --------------------------------------------------------------------------


def _supplier(**figures) -> dict[str, int]:
    """A Supplier user's home figures: those given, every other one zero."""
    names = ["overdue", "due_today", "to_reveal", "bulk_running", "raised_open", "awaiting_us"]
    return {**dict.fromkeys(names, 0), **figures}


@pytest.mark.parametrize(
    ("persona", "now", "expected"),
    [
        # "answered" has a code nobody of the gaining Supplier has revealed yet.
        ("gaining_user", BEFORE_DUE, _supplier(raised_open=3, to_reveal=1)),
        ("installing_user", BEFORE_DUE, _supplier(raised_open=1, awaiting_us=1)),
        ("installing_user", AFTER_DUE, _supplier(raised_open=1, awaiting_us=1, overdue=1)),
        ("other_supplier_user", AFTER_DUE, _supplier(awaiting_us=1, overdue=1)),
        ("helpdesk_user", BEFORE_DUE, {"with_helpdesk": 1, "overdue": 0}),
        ("helpdesk_user", AFTER_DUE, {"with_helpdesk": 1, "overdue": 3}),
    ],
)
def test_home_counts_give_each_persona_its_own_figures(request, world, persona, now, expected):
    user = request.getfixturevalue(persona)

    assert home_counts(user, now=now) == expected


def test_home_counts_are_zero_for_a_user_without_supplier(world):
    assert home_counts(UserFactory(supplier=None), now=AFTER_DUE) == {
        "with_helpdesk": 0,
        "overdue": 0,
    }


@pytest.mark.parametrize("persona", ["installing_user", "helpdesk_user"])
def test_home_counts_take_one_query(request, world, persona, django_assert_num_queries):
    user = request.getfixturevalue(persona)

    with django_assert_num_queries(1):
        home_counts(user, now=AFTER_DUE)


# --- Cost of the list ---------------------------------------------------------------------------


@pytest.mark.parametrize("how_many", [3, 30])
def test_the_list_takes_one_query_however_many_incidents_it_shows(
    gaining_user, how_many, django_assert_num_queries
):
    installer = SupplierFactory()
    for _ in range(how_many):
        device = DeviceFactory(installing_supplier=installer)
        incident_raise(actor=gaining_user, device_id=device.device_id, now=RAISED)

    with django_assert_num_queries(1):
        rows = [
            (
                i.reference,
                i.device.device_id,
                i.raising_supplier.name,
                i.assigned_supplier.name,
                i.get_status_display(),
                i.due_at,
            )
            for i in incident_list(incidents_visible_to(gaining_user))
        ]

    assert len(rows) == how_many
