import csv
import io

import pytest
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inventory.identifiers import is_valid_mpan, is_valid_mprn, mpan_check_ok, mprn_check_ok
from inventory.models import Device, DeviceType, SMIStatus
from inventory.services import SMI_COLUMNS, SmiLoadError, SmiStatusChange, smi_load_csv
from inventory.services.smi import stream
from inventory.services.smi.rows import DEVICE_DATA_FIELDS, device_from
from ssi_portal.lib.identifiers import device_id_or_none

pytestmark = pytest.mark.django_db

HEADER = ",".join(SMI_COLUMNS)
DEVICE_ID = "00-DB-12-34-56-78-90-A0"
OTHER_ID = "00-DB-12-34-56-78-90-A1"
GOOD_MPAN = "1312345678907"
GOOD_MPRN = "3938424403"


def row(**values) -> str:
    """One CSV line of a valid ESME, with the given columns changed."""
    fields = {
        "device_id": DEVICE_ID,
        "device_type": "ESME",
        "smi_status": "InstalledNotCommissioned",
        "status_effective_date": "2026-03-02",
        "manufacturer": "Acme Meters",
        "model": "AM-2",
        "mpxn": GOOD_MPAN,
        "comms_hub_id": "00-DB-12-00-00-00-00-01",
        "installing_supplier_user_id": "",
    }
    fields.update(values)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow([fields[name] for name in SMI_COLUMNS])
    return buffer.getvalue()


@pytest.fixture
def smi_file(tmp_path):
    """Write a CSV file (header first) and return its path."""

    def write(*rows, header=HEADER, bom=False, raw: bytes | None = None):
        path = tmp_path / "smi.csv"
        data = raw if raw is not None else "\r\n".join([header, *rows, ""]).encode()
        path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
        return path

    return write


def only_reject(report):
    assert report.rejected == 1, report.rejects
    return report.rejects[0]


# --- Good files -------------------------------------------------------------------------------


def test_a_good_file_loads_every_device_with_its_installing_supplier(smi_file, installing_supplier):
    path = smi_file(
        row(installing_supplier_user_id=installing_supplier.user_id),
        row(device_id=OTHER_ID, device_type="GSME", mpxn=GOOD_MPRN),
        row(
            device_id="00-DB-12-34-56-78-90-A2",
            device_type="IHD",
            smi_status="",
            status_effective_date="",
            mpxn="",
        ),
    )

    report = smi_load_csv(source=path)

    assert (report.rows_read, report.created, report.rejected, report.warnings) == (3, 3, 0, 0)
    esme = Device.objects.get(device_id=DEVICE_ID)
    assert esme.device_type == DeviceType.ESME
    assert esme.smi_status == SMIStatus.INSTALLED_NOT_COMMISSIONED
    assert str(esme.status_effective_date) == "2026-03-02"
    assert esme.mpxn == GOOD_MPAN
    assert esme.installing_supplier == installing_supplier
    assert Device.objects.get(device_id=OTHER_ID).installing_supplier is None
    assert Device.objects.get(device_type=DeviceType.IHD).smi_status is None


def test_the_header_may_come_in_any_order_and_any_case(smi_file):
    shuffled = list(reversed(SMI_COLUMNS))
    values = dict(zip(SMI_COLUMNS, next(csv.reader([row()])), strict=True))
    line = ",".join(values[name] for name in shuffled)

    report = smi_load_csv(source=smi_file(line, header=",".join(shuffled).upper()))

    assert report.created == 1
    assert Device.objects.get().mpxn == GOOD_MPAN


def test_the_supplier_is_found_in_whichever_column_it_comes(smi_file, installing_supplier):
    shuffled = list(reversed(SMI_COLUMNS))
    values = dict(
        zip(
            SMI_COLUMNS,
            next(csv.reader([row(installing_supplier_user_id=installing_supplier.user_id)])),
            strict=True,
        )
    )
    line = ",".join(values[name] for name in shuffled)

    report = smi_load_csv(source=smi_file(line, header=",".join(shuffled)))

    assert report.created == 1
    assert Device.objects.get().installing_supplier == installing_supplier


def test_pasted_spellings_of_identifiers_are_stored_in_canonical_form(
    smi_file, installing_supplier
):
    compact_supplier = installing_supplier.user_id.replace("-", "").lower()
    path = smi_file(
        row(
            device_id="00db1234567890a0",
            comms_hub_id="00:db:12:00:00:00:00:01",
            device_type="esme",
            smi_status="installednotcommissioned",
            installing_supplier_user_id=compact_supplier,
        )
    )

    smi_load_csv(source=path)

    device = Device.objects.get()
    assert device.device_id == DEVICE_ID
    assert device.comms_hub_id == "00-DB-12-00-00-00-00-01"
    assert device.device_type == "ESME"
    assert device.smi_status == "InstalledNotCommissioned"
    assert device.installing_supplier == installing_supplier


def test_a_text_stream_loads_like_a_file():
    report = smi_load_csv(source=io.StringIO(f"\ufeff{HEADER}\n{row()}\n"))

    assert report.created == 1


def test_a_utf8_byte_order_mark_is_accepted(smi_file):
    report = smi_load_csv(source=smi_file(row(), bom=True))

    assert report.created == 1
    assert report.rejected == 0


def test_blank_lines_are_skipped_and_do_not_shift_line_numbers(smi_file):
    path = smi_file("", row(), "", row(device_id="nonsense"))

    report = smi_load_csv(source=path)

    assert report.rows_read == 2
    assert only_reject(report).line == 5


def test_a_quote_left_open_refuses_the_file_naming_the_line_where_it_opens(smi_file):
    # Written by hand: the csv module would quote the quotation marks.
    opened = row(device_id=OTHER_ID, model="AM 2").replace("AM 2", '"AM 2')
    path = smi_file(row(), opened, row(), row().replace("AM-2", '"AM-2"'))

    with pytest.raises(SmiLoadError) as refused:
        smi_load_csv(source=path)

    assert str(refused.value) == (
        "Line 3 is not valid CSV: a quoted cell opens on this line and is not closed on it (the "
        "next quotation mark, on line 5, is followed by more text): add its closing quotation "
        "mark."
    )
    assert not Device.objects.exists()


def test_a_row_after_a_cell_spanning_lines_is_rejected_on_its_own_physical_line(smi_file):
    path = smi_file(row(model="AM\r\n2"), row(device_id="nonsense"))

    assert only_reject(smi_load_csv(source=path)).line == 4


# --- Rejected rows ----------------------------------------------------------------------------


def test_a_malformed_device_id_is_rejected_with_the_identifier_message_and_its_line(smi_file):
    report = smi_load_csv(source=smi_file(row(), row(device_id="00-DB-12-34-56-78-90")))

    reject = only_reject(report)
    assert reject.line == 3
    assert reject.device_id == "00-DB-12-34-56-78-90"
    assert reject.reason == (
        "device_id: A Device ID has 16 hex digits (8 pairs, e.g. 00-DB-12-34-56-78-90-A0); "
        "this one has 14."
    )
    assert report.created == 1


def test_an_unknown_device_type_is_rejected_listing_the_allowed_types(smi_file):
    report = smi_load_csv(source=smi_file(row(device_type="TOASTER")))

    reject = only_reject(report)
    assert reject.line == 2
    assert "device_type: 'TOASTER' is not a Device Type" in reject.reason
    assert "ESME, GSME, CHF, GPF, PPMID, HCALCS, SAPC, IHD, CAD" in reject.reason


def test_an_unknown_smi_status_is_rejected_listing_the_allowed_statuses(smi_file):
    report = smi_load_csv(source=smi_file(row(smi_status="Installed")))

    reject = only_reject(report)
    assert "smi_status: 'Installed' is not an SMI status" in reject.reason
    assert "Pending, Whitelisted, InstalledNotCommissioned, Commissioned" in reject.reason


def test_a_type_2_device_with_a_status_is_rejected(smi_file):
    report = smi_load_csv(source=smi_file(row(device_type="IHD", mpxn="", smi_status="Pending")))

    reason = only_reject(report).reason
    assert "smi_status: IHD is a Type 2 Device, which has no SMI status" in reason


def test_a_type_1_device_without_a_status_is_rejected(smi_file):
    report = smi_load_csv(source=smi_file(row(smi_status="")))

    assert "smi_status: empty, but every ESME has an SMI status" in only_reject(report).reason


def test_a_date_not_in_iso_form_is_rejected(smi_file):
    report = smi_load_csv(source=smi_file(row(status_effective_date="02/03/2026")))

    assert only_reject(report).reason == (
        "status_effective_date: '02/03/2026' is not a date in ISO form YYYY-MM-DD, e.g. 2026-04-01"
    )


def test_an_impossible_date_is_rejected(smi_file):
    report = smi_load_csv(source=smi_file(row(status_effective_date="2026-02-30")))

    assert "status_effective_date: '2026-02-30'" in only_reject(report).reason


def test_an_unknown_installing_supplier_is_rejected(smi_file):
    report = smi_load_csv(
        source=smi_file(row(installing_supplier_user_id="90-B3-D5-FF-00-00-00-99"))
    )

    assert only_reject(report).reason == (
        "installing_supplier_user_id: no Supplier has User ID 90-B3-D5-FF-00-00-00-99"
    )


def test_a_repeated_device_id_is_rejected_naming_the_line_it_first_appeared_on(smi_file):
    report = smi_load_csv(
        source=smi_file(
            row(), row(device_id=OTHER_ID), row(device_id="00db1234567890a0", smi_status="Pending")
        )
    )

    reject = only_reject(report)
    assert reject.line == 4
    assert reject.reason.startswith(f"device_id: {DEVICE_ID} already appears on line 2")
    assert Device.objects.get(device_id=DEVICE_ID).smi_status == "InstalledNotCommissioned"


def test_a_repeat_is_found_across_chunks(smi_file, monkeypatch):
    monkeypatch.setattr(stream, "CHUNK_SIZE", 2)
    ids = [f"00-DB-12-34-56-78-90-B{n}" for n in range(5)]
    report = smi_load_csv(source=smi_file(*(row(device_id=i) for i in ids), row(device_id=ids[0])))

    assert report.created == 5
    assert only_reject(report).line == 7


@pytest.mark.parametrize(
    ("device_type", "mpxn", "expected"),
    [
        (
            "ESME",
            "131234567890",
            "mpxn: an ESME's MPAN core has 13 digits; '131234567890' does not",
        ),
        ("ESME", "13123456789O7", "mpxn: an ESME's MPAN core has 13 digits"),
        ("GSME", "12345", "mpxn: a GSME's MPRN has 6 to 10 digits; '12345' does not"),
        ("GSME", "12345678901", "mpxn: a GSME's MPRN has 6 to 10 digits"),
        ("PPMID", GOOD_MPAN, "mpxn: only meters (ESME, GSME) have an MPxN, not PPMID"),
    ],
    ids=["short MPAN", "MPAN with a letter", "short MPRN", "long MPRN", "MPxN on a PPMID"],
)
def test_an_mpxn_of_the_wrong_shape_is_rejected(smi_file, device_type, mpxn, expected):
    report = smi_load_csv(source=smi_file(row(device_type=device_type, mpxn=mpxn)))

    assert expected in only_reject(report).reason


def test_a_row_with_the_wrong_number_of_fields_is_rejected(smi_file):
    report = smi_load_csv(source=smi_file(row(), f"{OTHER_ID},ESME"))

    reject = only_reject(report)
    assert (reject.line, reject.device_id) == (3, OTHER_ID)
    assert reject.reason == "the row has 2 fields; the header has 9"


def test_every_problem_of_a_row_is_named_in_its_reason(smi_file):
    report = smi_load_csv(source=smi_file(row(device_type="TOASTER", status_effective_date="soon")))

    reason = only_reject(report).reason
    assert "device_type:" in reason
    assert "status_effective_date:" in reason


# --- Warnings ---------------------------------------------------------------------------------


def test_a_bad_mpan_check_digit_is_a_warning_and_the_row_still_loads(smi_file):
    report = smi_load_csv(source=smi_file(row(mpxn="1312345678901")))

    assert (report.created, report.rejected, report.warnings) == (1, 0, 1)
    note = report.warning_notes[0]
    assert (note.line, note.device_id) == (2, DEVICE_ID)
    assert note.reason == (
        "mpxn: MPAN 1312345678901 has a bad check digit (expected 7); loaded anyway"
    )
    assert Device.objects.get().mpxn == "1312345678901"


def test_bad_mprn_check_digits_are_a_warning_and_the_row_still_loads(smi_file):
    report = smi_load_csv(
        source=smi_file(
            row(device_type="GSME", mpxn="3938424499"),
            row(device_id=OTHER_ID, device_type="GSME", mpxn=GOOD_MPRN),
        )
    )

    assert (report.created, report.warnings) == (2, 1)
    assert "expected 03" in report.warning_notes[0].reason


# --- Files refused whole ----------------------------------------------------------------------


def test_an_extra_column_refuses_the_file_naming_it_and_writes_nothing(smi_file):
    path = smi_file(row() + ",x", header=HEADER + ",Colour")

    with pytest.raises(SmiLoadError, match="unexpected column 'Colour'"):
        smi_load_csv(source=path)
    assert not Device.objects.exists()


def test_a_missing_column_refuses_the_file_naming_it(smi_file):
    header = ",".join(name for name in SMI_COLUMNS if name != "mpxn")

    with pytest.raises(SmiLoadError, match="missing column mpxn"):
        smi_load_csv(source=smi_file(header=header))


def test_a_repeated_column_refuses_the_file(smi_file):
    with pytest.raises(SmiLoadError, match="repeated column model"):
        smi_load_csv(source=smi_file(header=HEADER.replace("manufacturer", "model")))


def test_an_empty_file_is_refused(smi_file):
    with pytest.raises(SmiLoadError) as refused:
        smi_load_csv(source=smi_file(raw=b""))
    assert str(refused.value).startswith(
        "The file is empty: its first line must be the header. The header names exactly these "
        "columns, in any order and any case: device_id,"
    )
    assert not str(refused.value).endswith("..")


def test_a_blank_first_line_is_refused_as_no_header_not_as_an_empty_file(smi_file):
    with pytest.raises(SmiLoadError) as refused:
        smi_load_csv(source=smi_file(raw=b"\r\n" + HEADER.encode() + b"\r\n"))
    assert str(refused.value).startswith("Line 1 is blank: it must be the header. The header")


def test_bytes_that_are_not_utf8_refuse_the_whole_file_and_write_nothing(smi_file, monkeypatch):
    monkeypatch.setattr(stream, "CHUNK_SIZE", 2)  # the good rows before it fill whole chunks
    good = [row(device_id=f"00-DB-12-34-56-78-90-B{n}") for n in range(5)]
    latin1 = row(device_id=OTHER_ID, manufacturer="Compteurs Électriques").encode("latin-1")
    data = "\r\n".join([HEADER, *good, ""]).encode() + latin1 + b"\r\n"

    with pytest.raises(SmiLoadError, match=r"Line 7 is not valid UTF-8 \(byte 0xC9"):
        smi_load_csv(source=smi_file(raw=data))
    assert not Device.objects.exists()


def test_a_missing_file_is_refused_naming_it(tmp_path):
    with pytest.raises(SmiLoadError, match="Cannot read .*nowhere.csv"):
        smi_load_csv(source=tmp_path / "nowhere.csv")


# --- Re-running -------------------------------------------------------------------------------


def test_loading_the_same_file_twice_leaves_the_same_data(smi_file):
    path = smi_file(row(), row(device_id=OTHER_ID, device_type="GSME", mpxn=GOOD_MPRN))
    smi_load_csv(source=path)
    before = list(Device.objects.order_by("device_id").values())

    again = smi_load_csv(source=path)

    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert list(Device.objects.order_by("device_id").values()) == before


def test_a_status_change_in_a_second_load_updates_the_device(smi_file):
    smi_load_csv(source=smi_file(row(), row(device_id=OTHER_ID)))

    report = smi_load_csv(
        source=smi_file(
            row(smi_status="Commissioned", status_effective_date="2026-04-10"),
            row(device_id=OTHER_ID),
        )
    )

    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    assert Device.objects.count() == 2
    device = Device.objects.get(device_id=DEVICE_ID)
    assert device.smi_status == SMIStatus.COMMISSIONED
    assert str(device.status_effective_date) == "2026-04-10"


# --- Reject file ------------------------------------------------------------------------------


def test_the_reject_file_lists_line_device_id_and_reason_of_every_rejected_row(smi_file, tmp_path):
    rejects = tmp_path / "rejects.csv"
    path = smi_file(row(), row(device_id="XYZ"), row(device_id=OTHER_ID, device_type="TV"))

    smi_load_csv(source=path, reject_file=rejects)

    lines = list(csv.reader(rejects.read_text(encoding="utf-8").splitlines()))
    assert lines[0] == ["line", "device_id", "reason"]
    assert [line[:2] for line in lines[1:]] == [["3", "XYZ"], ["4", OTHER_ID]]
    assert lines[1][2].startswith("device_id: A Device ID contains only the hex digits")
    assert lines[2][2].startswith("device_type: 'TV' is not a Device Type")


def test_the_reject_file_can_be_an_open_text_file(smi_file):
    out = io.StringIO()

    smi_load_csv(source=smi_file(row(device_id="XYZ")), reject_file=out)

    assert out.getvalue().splitlines()[1].startswith("2,XYZ,")


def test_no_reject_file_is_written_when_the_file_is_refused(smi_file, tmp_path):
    rejects = tmp_path / "rejects.csv"

    with pytest.raises(SmiLoadError):
        smi_load_csv(
            source=smi_file(row(device_id="XYZ"), header=HEADER + ",extra"), reject_file=rejects
        )
    assert not rejects.exists()


# --- The command ------------------------------------------------------------------------------


def test_the_command_prints_the_counts_and_the_rejected_lines(smi_file, tmp_path):
    out = io.StringIO()
    path = smi_file(row(), row(device_id="XYZ"), row(device_id=OTHER_ID, mpxn="1312345678901"))

    call_command("load_smi", str(path), "--rejects", str(tmp_path / "r.csv"), stdout=out)

    text = out.getvalue()
    assert "Rows read:  3" in text
    assert "Loaded:     2 (created 2, updated 0, unchanged 0)" in text
    assert "Rejected:   1" in text
    assert "Warnings:   1" in text
    assert "line 3: XYZ: device_id: A Device ID contains only" in text
    assert f"Every rejected row is in {tmp_path / 'r.csv'}." in text


def test_the_command_shows_only_the_first_20_rejects(smi_file):
    out = io.StringIO()

    call_command(
        "load_smi", str(smi_file(*[row(device_id=f"bad{n}") for n in range(25)])), stdout=out
    )

    assert "Rejected rows, first 20 of 25:" in out.getvalue()
    assert "line 21:" in out.getvalue()
    assert "line 22:" not in out.getvalue()


def test_the_command_fails_naming_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="nowhere.csv was not loaded: Cannot read"):
        call_command("load_smi", str(tmp_path / "nowhere.csv"))


def test_the_command_fails_naming_a_wrong_header(smi_file):
    with pytest.raises(CommandError, match="The header is wrong: unexpected column 'colour'"):
        call_command("load_smi", str(smi_file(header=HEADER + ",colour")))


# --- Status changes -----------------------------------------------------------------------------


def test_a_load_reports_the_devices_whose_smi_status_it_changed(smi_file):
    smi_load_csv(source=smi_file(row(), row(device_id=OTHER_ID)))

    report = smi_load_csv(
        source=smi_file(
            row(smi_status="Commissioned", status_effective_date="2026-04-10"),
            row(device_id=OTHER_ID, model="AM-3"),
        )
    )

    device = Device.objects.get(device_id=DEVICE_ID)
    assert report.status_changes == 1
    assert list(report.status_changed_device_pks) == [device.pk]
    assert report.status_change_notes == [
        SmiStatusChange(device.pk, DEVICE_ID, "InstalledNotCommissioned", "Commissioned")
    ]
    assert report.status_changes_to == {"Commissioned": 1}


def test_a_new_device_is_not_a_status_change(smi_file):
    report = smi_load_csv(source=smi_file(row(smi_status="Commissioned")))

    assert (report.created, report.status_changes) == (1, 0)


# --- The fast path and the full check agree -----------------------------------------------------


def test_repeats_are_found_while_the_table_of_first_lines_grows(monkeypatch):
    monkeypatch.setattr(stream.FirstLines, "MIN_BITS", 2)  # room for 2 before it grows
    ids = [f"00-DB-12-34-56-78-91-{n:02X}" for n in range(40)]
    lines = [row(device_id=i) for i in ids] + [row(device_id=ids[3]), row(device_id=ids[39])]

    report = smi_load_csv(source=io.StringIO("\n".join([HEADER, *lines])))

    assert report.created == 40
    assert [(r.line, r.reason.split(";")[0]) for r in report.rejects] == [
        (42, f"device_id: {ids[3]} already appears on line 5"),
        (43, f"device_id: {ids[39]} already appears on line 41"),
    ]


_CELLS = {
    "device_id": [
        DEVICE_ID,
        OTHER_ID,
        "00db1234567890a2",
        " 00-DB-12-34-56-78-90-A3",
        "00-00-00-00-00-00-00-00",
        "00-DB-12",
        "",
    ],
    "device_type": ["ESME", "GSME", "esme", "CHF", "PPMID", "IHD", "TOASTER", " GSME"],
    "smi_status": ["InstalledNotCommissioned", "commissioned", "Pending ", "", "Installed"],
    "status_effective_date": ["2026-03-02", "", "2026-02-30", "02/03/2026", "２０２６-03-02"],
    "manufacturer": ["Acme Meters", "", " Acme", "x" * 81, "Meters, Inc.", 'A "B"', "a\x00b"],
    "model": ["AM-2", "", "Line one\nline two"],
    "mpxn": [GOOD_MPAN, "1312345678901", GOOD_MPRN, "3938424499", "", "123", "١٣١٢٣٤٥٦٧٨٩٠٧"],
    "comms_hub_id": ["", "00-DB-12-00-00-00-00-01", "00db120000000001", "FF-FF-FF-FF-FF-FF-FF-FF"],
    "installing_supplier_user_id": ["", "SUPPLIER", "supplier", "90-B3-D5-FF-00-00-00-99", " "],
}


@given(digits=st.text(alphabet="0123456789", min_size=13, max_size=13))
def test_the_fast_mpan_check_agrees_with_the_identifier_rule(digits):
    assert mpan_check_ok(digits) == is_valid_mpan(digits)


@given(digits=st.text(alphabet="0123456789", min_size=6, max_size=10))
def test_the_fast_mprn_check_agrees_with_the_identifier_rule(digits):
    assert mprn_check_ok(digits) == is_valid_mprn(digits)


# A row: a valid ESME in canonical form, with up to three cells replaced from _CELLS.
_CHANGES = st.lists(
    st.sampled_from([(name, value) for name, cells in _CELLS.items() for value in cells]),
    max_size=3,
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(changes=st.lists(_CHANGES, min_size=1, max_size=8))
def test_every_row_gets_what_the_full_check_says(installing_supplier, changes):
    """Rows in canonical form take the load's fast path; the others, its full check. Either
    way the outcome is what ``device_from`` says of the row."""
    Device.objects.all().delete()
    user_id = installing_supplier.user_id
    spelled = {"SUPPLIER": user_id, "supplier": user_id.replace("-", "").lower()}
    rows = []
    for n, replaced in enumerate(changes):
        base = row(device_id=f"00-DB-12-34-56-78-9A-{n:02X}", installing_supplier_user_id=user_id)
        cells = dict(zip(SMI_COLUMNS, next(csv.reader([base])), strict=True)) | dict(replaced)
        user = cells["installing_supplier_user_id"]
        cells["installing_supplier_user_id"] = spelled.get(user, user)
        rows.append(cells)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(SMI_COLUMNS)
    writer.writerows([cells[name] for name in SMI_COLUMNS] for cells in rows)

    report = smi_load_csv(source=io.StringIO(out.getvalue()))

    rejects, warnings, devices, first, line = [], [], {}, {}, 2
    for cells in rows:  # what the full check says, line by line (cells may span lines)
        values = {name: value.strip() for name, value in cells.items()}
        device, reasons, notes = device_from(values, {user_id: installing_supplier.pk})
        canonical = device_id_or_none(values["device_id"])
        if canonical and first.setdefault(canonical, line) != line:
            reasons.insert(
                0,
                f"device_id: {canonical} already appears on line {first[canonical]}; "
                "a Device may appear only once in a file",
            )
        if reasons:
            rejects.append((line, values["device_id"], "; ".join(reasons)))
        else:
            warnings += [(line, device.device_id, note) for note in notes]
            devices[device.device_id] = tuple(getattr(device, name) for name in DEVICE_DATA_FIELDS)
        line += 1 + sum(value.count("\n") for value in cells.values())
    assert [(r.line, r.device_id, r.reason) for r in report.rejects] == rejects
    assert [(w.line, w.device_id, w.reason) for w in report.warning_notes] == warnings
    stored = Device.objects.values_list("device_id", *DEVICE_DATA_FIELDS)
    assert {device_id: rest for device_id, *rest in stored} == {
        device_id: list(rest) for device_id, rest in devices.items()
    }
