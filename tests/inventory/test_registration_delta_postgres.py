"""A registration delta (a file a small share of the size of the stored table) on
PostgreSQL: it changes exactly the registrations it names, and the two ways of comparing it
with the table (the unique index per row, or one pass over the table) give the same result."""

import datetime as dt

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from inventory.models import Registration
from inventory.services.registrations import staging
from tests.inventory.test_registration_load import load, stored, suppliers  # noqa: F401 (fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.postgres("the planner's join methods")]

# Twenty MPRNs (their check digits do not matter here: a bad one is a warning).
MPRNS = [f"39384244{n:02d}" for n in range(20)]


@pytest.fixture
def registered(suppliers):  # noqa: F811 (the fixture imported above)
    """Twenty registrations with Aurora, counted by the planner (as after a first load)."""
    load(*(f"{mprn},AUR,2025-01-01," for mprn in MPRNS))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE inventory_registration")
    return dict(Registration.objects.values_list("mpxn", "updated_at"))


DELTA = (
    f"{MPRNS[2]},BRI,2026-06-01,",  # a new registration: Bright from June
    f"{MPRNS[2]},AUR,2025-01-01,2026-05-31",  # which ends Aurora's
    f"{MPRNS[5]},BRI,2025-01-01,",  # corrects the Supplier of a registration
    f"{MPRNS[9]},AUR,2025-01-01,",  # as it is
)


def compared_through_the_index(queries) -> bool:
    return any("set_config('enable_hashjoin', 'off'" in q["sql"] for q in queries)


def test_a_delta_changes_exactly_the_registrations_it_names(registered):
    report = load(*DELTA)

    assert (report.created, report.updated, report.unchanged) == (1, 2, 1)
    rows = {
        (mpxn, start): (supplier, end, updated)
        for mpxn, supplier, start, end, updated in Registration.objects.values_list(
            "mpxn", "supplier__name", "effective_from", "effective_to", "updated_at"
        )
    }
    start, june = dt.date(2025, 1, 1), dt.date(2026, 6, 1)
    assert len(rows) == 21
    assert rows[MPRNS[2], june][:2] == ("Bright", None)
    assert rows[MPRNS[2], start][:2] == ("Aurora", dt.date(2026, 5, 31))
    assert rows[MPRNS[5], start][:2] == ("Bright", None)
    for mprn in set(MPRNS) - {MPRNS[2], MPRNS[5]}:
        assert rows[mprn, start] == ("Aurora", None, registered[mprn])
    assert rows[MPRNS[2], start][2] > registered[MPRNS[2]]
    assert rows[MPRNS[5], start][2] > registered[MPRNS[5]]


def test_a_delta_is_compared_through_the_unique_index(registered):
    with CaptureQueriesContext(connection) as queries:
        load(*DELTA)

    assert compared_through_the_index(queries)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('enable_hashjoin'), current_setting('enable_mergejoin')"
        )
        assert cursor.fetchone() == ("on", "on")


def test_a_full_extract_is_compared_as_the_planner_chooses(registered):
    with CaptureQueriesContext(connection) as queries:
        report = load(*(f"{mprn},AUR,2025-01-01," for mprn in MPRNS))

    assert not compared_through_the_index(queries)
    assert report.unchanged == 20


def trial() -> tuple:
    """Load the delta, note the counts and the table, and undo it."""
    with transaction.atomic():
        report = load(*DELTA)
        seen = (
            (report.created, report.updated, report.unchanged),
            sorted(
                Registration.objects.values_list(
                    "mpxn", "supplier_id", "effective_from", "effective_to"
                )
            ),
        )
        transaction.set_rollback(True)
    return seen


@pytest.mark.parametrize("share", [0, 10**6])
def test_both_ways_of_comparing_give_the_same_result(registered, monkeypatch, share):
    by_default = trial()
    monkeypatch.setattr(staging, "DELTA_SHARE", share)

    assert trial() == by_default
    assert stored() != [] and by_default[0] == (1, 2, 1)
