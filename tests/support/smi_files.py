"""SMI extracts for the loader's fuzz tests: files built from valid and broken cells, and what
a file means, worked out here from the format's rules as DOMAIN.md and the loader's docstring
state them (not from the loader's code): the Devices it describes and the rows to reject, each
with the fields at fault.

Only the meaning of a single Device ID (``parse_device_id``, tested on its own in
``tests/inventory/test_identifiers.py``) is the product's.
"""

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field

from hypothesis import strategies as st

from ssi_portal.lib.identifiers import IdentifierError, parse_device_id

COLUMNS = (
    "device_id",
    "device_type",
    "smi_status",
    "status_effective_date",
    "manufacturer",
    "model",
    "mpxn",
    "comms_hub_id",
    "installing_supplier_user_id",
)
TYPES = ("ESME", "GSME", "CHF", "GPF", "PPMID", "HCALCS", "SAPC", "IHD", "CAD")
TYPE_2 = ("IHD", "CAD")
STATUSES = (
    "Pending",
    "Whitelisted",
    "InstalledNotCommissioned",
    "Commissioned",
    "Decommissioned",
    "Withdrawn",
    "Suspended",
    "Recovery",
    "Recovered",
)
# The User ID of the one Supplier the fuzz tests make (installing_supplier_user_id).
SUPPLIER_USER_ID = "90-B3-D5-1F-30-01-00-01"
# Devices a file may name again, some of them already in the inventory before the load.
KNOWN_IDS = ("00-DB-12-34-56-78-90-A0", "00-DB-12-34-56-78-90-A1", "00-DB-12-34-56-78-90-A2")
TEXT_LIMIT = 80


@dataclass(frozen=True)
class Reject:
    line: int
    device_id: str
    fields: frozenset[str]  # the columns the reason names ("" for a row of the wrong width)
    repeat_of: int | None = None  # the line where the Device ID first appeared


@dataclass
class Meaning:
    """What a readable file says: the Devices by ID (the last word on each wins in the
    inventory, as an upsert), the rows to reject, and how many rows were read."""

    devices: dict[str, dict] = field(default_factory=dict)
    rejects: list[Reject] = field(default_factory=list)
    rows_read: int = 0


def _canonical_id(value: str) -> str | None:
    try:
        return parse_device_id(value)
    except IdentifierError:
        return None


def _is_date(value: str) -> bool:
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _row_meaning(cells: dict[str, str], suppliers: dict[str, int]) -> tuple[dict, set[str]]:
    """The Device one row describes, and the columns at fault (none: the row loads)."""
    bad: set[str] = set()
    device_id = _canonical_id(cells["device_id"])
    if device_id is None:
        bad.add("device_id")
    hub = _canonical_id(cells["comms_hub_id"]) if cells["comms_hub_id"] else ""
    if hub is None:
        bad.add("comms_hub_id")
    kind = {t.upper(): t for t in TYPES}.get(cells["device_type"].upper())
    if kind is None:
        bad.add("device_type")
    status = {s.upper(): s for s in STATUSES}.get(cells["smi_status"].upper())
    if cells["smi_status"] and status is None:
        bad.add("smi_status")
    elif kind in TYPE_2 and status is not None:
        bad.add("smi_status")  # a Type 2 Device has no SMI status
    elif kind is not None and kind not in TYPE_2 and status is None:
        bad.add("smi_status")  # every other Device has one
    date = cells["status_effective_date"]
    if date and not _is_date(date):
        bad.add("status_effective_date")
    for name in ("manufacturer", "model"):
        if len(cells[name]) > TEXT_LIMIT or "\x00" in cells[name]:
            bad.add(name)
    mpxn = cells["mpxn"]
    if mpxn and kind is not None:
        digits = mpxn.isascii() and mpxn.isdigit()
        if kind == "ESME":
            ok = digits and len(mpxn) == 13
        elif kind == "GSME":
            ok = digits and 6 <= len(mpxn) <= 10
        else:
            ok = False  # only meters have a meter point
        if not ok:
            bad.add("mpxn")
    supplier = None
    if cells["installing_supplier_user_id"]:
        user_id = _canonical_id(cells["installing_supplier_user_id"])
        supplier = suppliers.get(user_id)
        if supplier is None:
            bad.add("installing_supplier_user_id")
    device = {
        "device_id": device_id,
        "device_type": kind,
        "smi_status": status,
        "status_effective_date": dt.date.fromisoformat(date) if date and _is_date(date) else None,
        "manufacturer": cells["manufacturer"],
        "model": cells["model"],
        "mpxn": mpxn,
        "comms_hub_id": hub,
        "installing_supplier_id": supplier,
    }
    return device, bad


def meaning_of(text: str, suppliers: dict[str, int]) -> Meaning:
    """What ``text`` (a file that reads as CSV under its header) says, row by row."""
    lines = io.StringIO(text.removeprefix("\ufeff"), newline="")
    reader = csv.reader(lines, strict=True)
    header = [cell.strip().lower() for cell in next(reader)]
    assert sorted(header) == sorted(COLUMNS), "meaning_of takes files with a sound header"
    meaning = Meaning()
    first_line: dict[str, int] = {}
    while True:
        starts = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return meaning
        if not any(cell.strip() for cell in row):
            continue  # a blank row is skipped, not counted
        meaning.rows_read += 1
        if len(row) != len(header):
            at = header.index("device_id")
            shown = row[at].strip() if at < len(row) else ""
            meaning.rejects.append(Reject(starts, shown, frozenset({""})))
            continue
        cells = {name: cell.strip() for name, cell in zip(header, row, strict=True)}
        device, bad = _row_meaning(cells, suppliers)
        repeat_of = None
        if device["device_id"] is not None:
            repeat_of = first_line.setdefault(device["device_id"], starts)
            if repeat_of == starts:
                repeat_of = None
            else:
                bad.add("device_id")
        if bad:
            meaning.rejects.append(
                Reject(starts, cells["device_id"], frozenset(bad), repeat_of=repeat_of)
            )
        else:
            meaning.devices[device["device_id"]] = device


def fields_named(reason: str) -> frozenset[str]:
    """The columns a reject reason names: each of its parts starts ``column: ``."""
    if re.fullmatch(r"the row has \d+ fields; the header has \d+", reason):
        return frozenset({""})
    return frozenset(re.findall(rf"(?:^|; )({'|'.join(COLUMNS)}): ", reason))


# --- Files --------------------------------------------------------------------------------------

# Free text without ":" and ";", so that a value echoed in a reason cannot pose as a column.
_FREE = st.text(
    st.characters(blacklist_categories=["Cs"], blacklist_characters=":;\r"), max_size=90
)
_GOOD_IDS = st.one_of(
    st.sampled_from(KNOWN_IDS),
    st.sampled_from(KNOWN_IDS).map(str.lower),
    st.sampled_from(KNOWN_IDS).map(lambda i: i.replace("-", "")),
    st.sampled_from(KNOWN_IDS).map(lambda i: f"  {i.replace('-', ' ')} "),
)
_IDS = st.one_of(
    _GOOD_IDS,
    st.sampled_from(["", "zz", "00-00-00-00-00-00-00-00", "00-DB-12-34-56-78-90", "0x00DB"]),
    _FREE,
)
_CELLS = {
    "device_id": _IDS,
    "device_type": st.one_of(
        st.sampled_from(TYPES), st.sampled_from(TYPES).map(str.lower), st.sampled_from(["", "X"])
    ),
    "smi_status": st.one_of(
        st.sampled_from(STATUSES),
        st.sampled_from(STATUSES).map(str.upper),
        st.sampled_from(["", "Lost"]),
    ),
    "status_effective_date": st.one_of(
        st.dates(dt.date(2000, 1, 1), dt.date(2040, 12, 31)).map(dt.date.isoformat),
        st.sampled_from(["", "2026-02-30", "1/4/2026", "2026-4-1", "\u0662026-04-01"]),
    ),
    "manufacturer": st.one_of(st.sampled_from(["", "Landis+Gyr", " Secure ", "Two\nlines"]), _FREE),
    "model": st.one_of(st.sampled_from(["E470", "x" * 81]), _FREE),
    "mpxn": st.one_of(
        st.from_regex(r"[0-9]{13}|[0-9]{6,10}", fullmatch=True),
        st.sampled_from(["", "12ab", "123", "1" * 14, "\u0661" * 13]),
    ),
    "comms_hub_id": st.one_of(st.just(""), _IDS),
    "installing_supplier_user_id": st.one_of(
        st.sampled_from(["", SUPPLIER_USER_ID, SUPPLIER_USER_ID.lower().replace("-", "")]),
        st.just("AA-BB-CC-DD-EE-FF-00-11"),  # a well-formed User ID that no Supplier has
        _IDS,
    ),
}


@st.composite
def _sound_row(draw) -> dict[str, str]:
    """A row that loads: as a DCC extract writes it (canonical values, nothing to quote), or
    in the spellings people paste (lower case, other separators, spaces, free text)."""
    kind = draw(st.sampled_from(TYPES))
    mpxn = {"ESME": r"[0-9]{13}", "GSME": r"[0-9]{6,10}"}.get(kind)
    mpxn = draw(st.one_of(st.just(""), st.from_regex(mpxn, fullmatch=True))) if mpxn else ""
    date = draw(st.one_of(st.just(""), st.dates(dt.date(2000, 1, 1)).map(dt.date.isoformat)))
    status = "" if kind in TYPE_2 else draw(st.sampled_from(STATUSES))
    if draw(st.booleans()):
        return {
            "device_id": draw(st.sampled_from(KNOWN_IDS)),
            "device_type": kind,
            "smi_status": status,
            "status_effective_date": date,
            "manufacturer": draw(st.sampled_from(["", "Landis+Gyr", "Secure Meters"])),
            "model": draw(st.sampled_from(["", "E470", "Liberty 100"])),
            "mpxn": mpxn,
            "comms_hub_id": draw(st.sampled_from(["", "00-DB-12-34-56-78-90-C0"])),
            "installing_supplier_user_id": draw(st.sampled_from(["", SUPPLIER_USER_ID])),
        }
    spell = draw(st.sampled_from([str, str.lower, str.upper]))
    return {
        "device_id": draw(_GOOD_IDS),
        "device_type": spell(kind),
        "smi_status": spell(status),
        "status_effective_date": date,
        "manufacturer": draw(
            _FREE.filter(lambda v: len(v.strip()) <= TEXT_LIMIT and "\x00" not in v)
        ),
        "model": draw(st.sampled_from(["", "E470", " Aclara SGM1411 ", "Aclara\nSGM1411"])),
        "mpxn": mpxn,
        "comms_hub_id": draw(st.sampled_from(["", "00db12345678 90c1"])),
        "installing_supplier_user_id": draw(
            st.sampled_from(["", SUPPLIER_USER_ID, SUPPLIER_USER_ID.lower().replace("-", "")])
        ),
    }


def _cell_text(value: str, quote: bool) -> str:
    if quote or any(ch in value for ch in ',"\n') or value != value.strip():
        return '"' + value.replace('"', '""') + '"'
    return value


@st.composite
def smi_files(draw) -> tuple[str, int | None]:
    """A file with a sound header and rows of valid and broken cells, blank rows, rows of the
    wrong width and Devices named twice; with a quoted cell left open on its last line when
    the second item (that line) is not None."""
    bom = draw(st.sampled_from(["", "\ufeff"]))
    order = draw(st.permutations(COLUMNS))
    header = [draw(st.sampled_from([n, n.upper(), f" {n} "])) for n in order]
    end = draw(st.sampled_from(["\n", "\r\n"]))
    lines = [",".join(header)]
    for _ in range(draw(st.integers(0, 6))):
        shape = draw(st.sampled_from(["sound", "sound", "row", "row", "blank", "short", "long"]))
        if shape == "blank":
            lines.append(draw(st.sampled_from(["", " , ", ",,,,,,,,"])))
            continue
        if shape == "sound":
            cells = draw(_sound_row())
            # Perhaps one cell broken, or not: the row may still load.
            if draw(st.booleans()):
                broken = draw(st.sampled_from(COLUMNS))
                cells[broken] = draw(_CELLS[broken])
            values = [cells[name] for name in order]
        else:
            values = [draw(_CELLS[name]) for name in order]
        if shape == "short":
            values = values[: draw(st.integers(1, len(values) - 1))]
        elif shape == "long":
            values.append(draw(_FREE))
        quoted = draw(st.sampled_from([False, False, False, True]))
        lines.append(",".join(_cell_text(v, quoted and draw(st.booleans())) for v in values))
    broken = draw(st.booleans()) and draw(st.integers(1, 4)) == 1
    if broken:
        lines.append(f'{KNOWN_IDS[0]},ESME,"Pending')
    # The physical line on which the open quote stands: lines before it may hold line breaks.
    text = bom + end.join(lines) + (end if draw(st.booleans()) else "")
    open_at = text.count("\n", 0, text.rindex('"Pending')) + 1 if broken else None
    return text, open_at
