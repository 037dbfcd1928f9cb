import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inventory.models import Registration
from inventory.selectors.registrations import registered_suppliers
from inventory.services import RegistrationLoadError, registrations_load_csv
from tests.factories import SupplierFactory

pytestmark = pytest.mark.django_db

HEADER = "mpxn,supplier,effective_from,effective_to"
MPAN = "1312345678907"
MPRN = "3938424403"
OTHER_MPAN = "1200000000014"


@pytest.fixture
def suppliers(db):
    return {
        "aurora": SupplierFactory(name="Aurora", mpid="AURA", gas_short_code="AUR"),
        "bright": SupplierFactory(name="Bright", mpid="BRIG", gas_short_code="BRI"),
    }


def load(*rows, header=HEADER, **kwargs):
    text = "\r\n".join([header, *rows, ""])
    return registrations_load_csv(source=io.StringIO(text), **kwargs)


def only_reject(report):
    assert report.rejected == 1, report.rejects
    return report.rejects[0]


def stored():
    return sorted(
        Registration.objects.values_list("mpxn", "supplier__name", "effective_from", "effective_to")
    )


# --- Good files -------------------------------------------------------------------------------


def test_an_mpan_row_names_its_supplier_by_mpid_and_an_mprn_row_by_gas_short_code(suppliers):
    report = load(f"{MPAN},AURA,2026-01-05,", f"{MPRN},BRI,2025-06-01,2026-12-31")

    assert (report.created, report.rejected) == (2, 0)
    assert stored() == [
        (MPAN, "Aurora", dt.date(2026, 1, 5), None),
        (MPRN, "Bright", dt.date(2025, 6, 1), dt.date(2026, 12, 31)),
    ]


def test_loading_the_same_file_again_changes_nothing(suppliers):
    rows = (f"{MPAN},AURA,2026-01-05,", f"{MPRN},BRI,2025-06-01,")
    load(*rows)
    before = list(Registration.objects.values_list("pk", "updated_at"))

    report = load(*rows)

    assert (report.created, report.updated, report.unchanged) == (0, 0, 2)
    assert list(Registration.objects.values_list("pk", "updated_at")) == before


def test_a_row_for_a_known_registration_updates_its_supplier_and_end(suppliers):
    load(f"{MPAN},AURA,2026-01-05,")

    report = load(f"{MPAN},BRIG,2026-01-05,2026-03-31")

    assert (report.created, report.updated, report.unchanged) == (0, 1, 0)
    assert stored() == [(MPAN, "Bright", dt.date(2026, 1, 5), dt.date(2026, 3, 31))]


def test_a_later_registration_keeps_the_history_and_becomes_current_on_its_day(suppliers):
    load(f"{MPAN},AURA,2025-01-01,2026-02-28", f"{MPAN},BRIG,2026-03-01,")
    aurora, bright = suppliers["aurora"].pk, suppliers["bright"].pk

    assert Registration.objects.count() == 2
    assert registered_suppliers([MPAN], on=dt.date(2026, 2, 28)) == {MPAN: aurora}
    assert registered_suppliers([MPAN], on=dt.date(2026, 3, 1)) == {MPAN: bright}


def test_a_registration_that_ended_leaves_the_meter_point_with_nobody_registered(suppliers):
    load(f"{MPAN},AURA,2025-01-01,2026-02-28")

    assert registered_suppliers([MPAN], on=dt.date(2026, 3, 1)) == {}


def test_columns_may_come_in_any_order_and_case_and_a_bom_is_ignored(suppliers):
    text = "\ufeffEffective_From,MPXN,Effective_To,Supplier\r\n2026-01-05,1312345678907,,aura\r\n"

    report = registrations_load_csv(source=io.StringIO(text))

    assert (report.created, report.rejected) == (1, 0)
    assert stored() == [(MPAN, "Aurora", dt.date(2026, 1, 5), None)]


def test_a_bad_check_digit_is_a_warning_and_the_row_loads(suppliers):
    report = load("1312345678900,AURA,2026-01-05,")

    assert (report.created, report.rejected, report.warnings) == (1, 0, 1)
    note = report.warning_notes[0]
    assert (note.line, note.mpxn) == (2, "1312345678900")
    assert "bad check digit" in note.reason


def test_blank_lines_are_skipped(suppliers):
    report = load(f"{MPAN},AURA,2026-01-05,", "", f"{MPRN},BRI,2026-01-05,")

    assert (report.rows_read, report.created) == (2, 2)


# --- Rejected rows: which line, which field, why --------------------------------------------------


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (
            "13123456789,AURA,2026-01-05,",
            "mpxn: an MPAN core has 13 digits and an MPRN 6 to 10; '13123456789' is neither",
        ),
        (
            "ABCDEF1234567,AURA,2026-01-05,",
            "mpxn: an MPAN core has 13 digits and an MPRN 6 to 10; 'ABCDEF1234567' is neither",
        ),
        (f"{MPAN},,2026-01-05,", "supplier: empty; give the registered Supplier's MPID"),
        (f"{MPAN},ZZZZ,2026-01-05,", "supplier: no Supplier in the portal has the MPID 'ZZZZ'"),
        (
            f"{MPRN},AURA,2026-01-05,",
            "supplier: no Supplier in the portal has the gas short code 'AURA'",
        ),
        (
            f"{MPAN},AURA,05/01/2026,",
            "effective_from: '05/01/2026' is not a date written YYYY-MM-DD",
        ),
        (
            f"{MPAN},AURA,2026-02-30,",
            "effective_from: '2026-02-30' is not a date written YYYY-MM-DD",
        ),
        (f"{MPAN},AURA,,", "effective_from: empty is not a date written YYYY-MM-DD"),
        (f"{MPAN},AURA,2026-01-05,soon", "effective_to: 'soon' is not a date written YYYY-MM-DD"),
        (
            f"{MPAN},AURA,2026-01-05,2026-01-04",
            "effective_to: 2026-01-04 is before effective_from 2026-01-05; a registration ends "
            "on or after the day it starts",
        ),
        (
            f"{MPAN},AURA,2026-01-05",
            "has 3 cells; the header names 4 (mpxn,supplier,effective_from,effective_to)",
        ),
    ],
)
def test_a_bad_row_is_rejected_with_its_line_and_reason_and_the_rest_loads(suppliers, line, reason):
    report = load(f"{MPRN},BRI,2026-01-05,", line)

    reject = only_reject(report)
    assert (reject.line, reject.reason) == (3, reason)
    assert stored() == [(MPRN, "Bright", dt.date(2026, 1, 5), None)]


def test_every_problem_of_a_row_is_named_at_once(suppliers):
    reject = only_reject(load(f"{MPAN},ZZZZ,tomorrow,"))

    assert reject.reason == (
        "supplier: no Supplier in the portal has the MPID 'ZZZZ'; "
        "effective_from: 'tomorrow' is not a date written YYYY-MM-DD"
    )


def test_a_row_repeating_a_registration_of_the_file_is_rejected_naming_the_first(suppliers):
    report = load(
        f"{MPAN},AURA,2026-01-05,", f"{OTHER_MPAN},AURA,2026-01-05,", f"{MPAN},BRIG,2026-01-05,"
    )

    reject = only_reject(report)
    assert (reject.line, reject.mpxn) == (4, MPAN)
    assert reject.reason == (
        "repeats the registration of line 2 (same mpxn and effective_from); only line 2 was loaded"
    )
    assert (MPAN, "Aurora", dt.date(2026, 1, 5), None) in stored()
    assert report.created == 2


def test_the_reject_file_lists_every_rejected_row(suppliers, tmp_path):
    target = tmp_path / "rejects.csv"

    load(
        f"{MPAN},ZZZZ,2026-01-05,",
        f"{MPRN},BRI,2026-01-05,",
        "1,AURA,2026-01-05,",
        reject_file=target,
    )

    lines = target.read_text().splitlines()
    assert lines[0] == "line,mpxn,reason"
    assert [line.split(",")[0] for line in lines[1:]] == ["2", "4"]


# --- Refused files: nothing written ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", r"^The file is empty: its first line must be the header\. The header names"),
        ("\r\nmpxn,supplier,effective_from,effective_to\r\n", r"^Line 1 is blank: it must be"),
        ("mpxn,supplier,effective_from\r\n", "The header is wrong: missing column effective_to."),
        ("mpxn,supplier,effective_from,effective_to,notes\r\n", "unexpected column 'notes'"),
        ("mpxn,mpxn,supplier,effective_from,effective_to\r\n", "repeated column mpxn"),
    ],
)
def test_a_file_with_a_bad_header_is_refused_saying_why(suppliers, text, message):
    with pytest.raises(RegistrationLoadError, match=message):
        registrations_load_csv(source=io.StringIO(text))


def test_a_file_that_is_not_utf8_is_refused_naming_the_line_and_nothing_is_written(suppliers):
    data = f"{HEADER}\r\n{MPAN},AURA,2026-01-05,\r\n{MPRN},BRI,2026-01-05,\xe9\r\n".encode(
        "latin-1"
    )

    with pytest.raises(RegistrationLoadError, match="Line 3 is not valid UTF-8"):
        registrations_load_csv(source=io.BytesIO(data))
    assert Registration.objects.count() == 0


def test_broken_csv_refuses_the_whole_file_and_nothing_is_written(suppliers):
    text = f'{HEADER}\r\n{MPAN},AURA,2026-01-05,\r\n"{MPRN},BRI,2026-01-05,'

    with pytest.raises(RegistrationLoadError, match=r"Line \d+ is not valid CSV"):
        registrations_load_csv(source=io.StringIO(text))
    assert Registration.objects.count() == 0


def test_a_quote_left_open_is_refused_naming_the_line_where_it_opens(suppliers):
    rows = (f"{MPAN},AURA,2026-01-05,", f'{MPRN},"BRI,2026-01-05,', f"{OTHER_MPAN},AURA,x,")

    with pytest.raises(RegistrationLoadError) as refused:
        load(*rows)

    assert str(refused.value) == (
        "Line 3 is not valid CSV: a quoted cell opens on this line and is never closed: add its "
        "closing quotation mark. Nothing was loaded."
    )


def test_a_row_is_reported_on_the_line_it_starts_on(suppliers):
    report = load(f'{MPAN},AURA,"2026-01-05",""', '13123456789,"BRI\r\n",2026-01-05,')

    reject = only_reject(report)
    assert (reject.line, reject.mpxn) == (3, "13123456789")


def test_a_missing_file_is_refused(suppliers, tmp_path):
    with pytest.raises(RegistrationLoadError, match="Cannot read"):
        registrations_load_csv(source=tmp_path / "missing.csv")


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(max_size=400))
def test_any_text_is_loaded_row_by_row_or_refused_whole_and_nothing_else(text, suppliers):
    before = Registration.objects.count()
    try:
        report = registrations_load_csv(source=io.StringIO(f"{HEADER}\n{text}"))
    except RegistrationLoadError as exc:
        assert str(exc)
        assert Registration.objects.count() == before
    else:
        assert report.rows_read == report.loaded + report.rejected
        assert all(issue.reason for issue in report.rejects)


# --- The command ---------------------------------------------------------------------------------


def test_the_command_prints_the_counts_and_the_rejected_rows(suppliers, tmp_path):
    path = tmp_path / "registrations.csv"
    path.write_text(f"{HEADER}\n{MPAN},AURA,2026-01-05,\n{MPRN},NOPE,2026-01-05,\n")
    out = io.StringIO()

    call_command("load_registrations", str(path), stdout=out)

    text = out.getvalue()
    assert "Loaded:     1 (created 1, updated 0, unchanged 0)" in text
    assert (
        f"line 3: {MPRN}: supplier: no Supplier in the portal has the gas short code 'NOPE'" in text
    )
    assert "Requests cancelled: 0" in text
    assert "1 row was rejected; the other 1 loaded." in text


def test_the_command_says_one_row_loaded_in_the_singular(suppliers, tmp_path):
    path = tmp_path / "registrations.csv"
    path.write_text(f"{HEADER}\n{MPAN},AURA,2026-01-05,\n")
    out = io.StringIO()

    call_command("load_registrations", str(path), stdout=out)

    assert "The row loaded." in out.getvalue()


def test_the_command_fails_with_the_reason_for_a_refused_file(suppliers, tmp_path):
    path = tmp_path / "registrations.csv"
    path.write_text("mpan,supplier\n")

    with pytest.raises(CommandError, match="was not loaded: The header is wrong"):
        call_command("load_registrations", str(path))


# --- The first load into an empty table (PostgreSQL) ---------------------------------------------


def _table_shape():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'inventory_registration'::regclass ORDER BY conname"
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'inventory_registration' "
            "ORDER BY indexname"
        )
        return constraints, cursor.fetchall()


@pytest.mark.postgres("DDL in the load's transaction and the catalogue")
def test_a_first_big_load_rebuilds_every_index_and_constraint_it_set_aside(suppliers, monkeypatch):
    from inventory.services.registrations import staging

    monkeypatch.setattr(staging, "BULK_MIN_ROWS", 2)
    before = _table_shape()

    report = load(f"{MPAN},AURA,2026-01-05,", f"{MPRN},BRI,2025-06-01,", f"{MPAN},BRIG,2026-01-05,")

    assert (report.created, report.rejected) == (2, 1)
    assert _table_shape() == before
    assert stored() == [
        (MPAN, "Aurora", dt.date(2026, 1, 5), None),
        (MPRN, "Bright", dt.date(2025, 6, 1), None),
    ]
    # The rebuilt unique constraint holds.
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Registration.objects.create(
            mpxn=MPAN, supplier=suppliers["bright"], effective_from=dt.date(2026, 1, 5)
        )


@pytest.mark.postgres("DDL in the load's transaction and the catalogue")
def test_a_refused_first_load_leaves_the_table_as_it_was(suppliers, monkeypatch, tmp_path):
    from inventory.services.registrations import staging

    monkeypatch.setattr(staging, "BULK_MIN_ROWS", 1)
    before = _table_shape()

    with pytest.raises(RegistrationLoadError):
        load(f"{MPAN},AURA,2026-01-05,", reject_file=tmp_path / "no-such-dir" / "r.csv")

    assert _table_shape() == before
    assert Registration.objects.count() == 0
