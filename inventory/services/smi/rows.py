"""The SMI extract format: its columns, its header, and the checks every row goes through.

Two ways through the checks, with one outcome:

- :func:`device_from` is the full check. It accepts pasted spellings (lower case, other
  separators, spaces around values), names every problem of a row, and builds the Device.
- the fast path (the tables and helpers at the end, used inline by the load's loop) accepts
  only rows already in canonical form, which is what a DCC extract holds, without building a
  dict or a model instance per row (:mod:`.stream`). A row it does not accept goes through
  :func:`device_from`, so the reasons and warnings a file gets never depend on the path.
"""

import csv
import datetime as dt
import re
from collections.abc import Iterator

from ssi_portal.lib.identifiers import IdentifierError, parse_device_id

from ...identifiers import mpan_check_digit, mpan_check_ok, mprn_check_digits, mprn_check_ok
from ...models import TYPE_2_DEVICES, Device, DeviceType, SMIStatus
from ..load_files import header_expected, no_header, not_utf8
from .report import SmiLoadError

SMI_COLUMNS = (
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
# The Device fields a load writes and compares, one per column of the file (the Supplier by its
# pk where the file names its User ID); ``updated_at`` moves only when one of them changes.
SUPPLIER_COLUMN = "installing_supplier_user_id"
DEVICE_FIELDS = tuple(
    "installing_supplier_id" if name == SUPPLIER_COLUMN else name for name in SMI_COLUMNS
)
FIELD_OF_COLUMN = dict(zip(SMI_COLUMNS, DEVICE_FIELDS, strict=True))
# The same without the key: what a load compares with the stored Device and overwrites.
DEVICE_DATA_FIELDS = tuple(name for name in DEVICE_FIELDS if name != "device_id")
REJECT_FILE_HEADER = ("line", "device_id", "reason")

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MPAN = re.compile(r"^[0-9]{13}$")
_MPRN = re.compile(r"^[0-9]{6,10}$")
_TYPES = {value.upper(): value for value in DeviceType.values}
_STATUSES = {value.upper(): value for value in SMIStatus.values}
_TEXT_LIMIT = 80
_TEXT_LIMITS = {"manufacturer": _TEXT_LIMIT, "model": _TEXT_LIMIT}


def device_from(
    values: dict[str, str], suppliers: dict[str, int]
) -> tuple[Device | None, list[str], list[str]]:
    """The Device a row describes, with the reasons to reject it and the warnings it raises.

    ``values`` maps each of ``SMI_COLUMNS`` to its stripped cell; ``suppliers`` maps the
    canonical EUI-64 User ID of each Supplier to its pk.
    """
    reasons: list[str] = []
    warnings: list[str] = []

    def identifier(name: str, *, required: bool) -> str | None:
        if not values[name] and not required:
            return None
        try:
            return parse_device_id(values[name])
        except IdentifierError as exc:
            reasons.append(f"{name}: {exc}")
            return None

    device_id = identifier("device_id", required=True)
    comms_hub_id = identifier("comms_hub_id", required=False)

    device_type = _TYPES.get(values["device_type"].upper())
    if device_type is None:
        reasons.append(
            f"device_type: {_shown(values['device_type'])} is not a Device Type; use "
            f"one of {', '.join(DeviceType.values)}"
        )

    status = _STATUSES.get(values["smi_status"].upper()) if values["smi_status"] else None
    if values["smi_status"] and status is None:
        reasons.append(
            f"smi_status: '{values['smi_status']}' is not an SMI status; use one of "
            f"{', '.join(SMIStatus.values)}"
        )
    elif device_type in TYPE_2_DEVICES and status is not None:
        reasons.append(
            f"smi_status: {device_type} is a Type 2 Device, which has no SMI status; leave it empty"
        )
    elif device_type is not None and device_type not in TYPE_2_DEVICES and status is None:
        reasons.append(
            f"smi_status: empty, but every {device_type} has an SMI status; use one "
            f"of {', '.join(SMIStatus.values)}"
        )

    effective = None
    if values["status_effective_date"]:
        try:
            if not _ISO_DATE.match(values["status_effective_date"]):
                raise ValueError
            effective = dt.date.fromisoformat(values["status_effective_date"])
        except ValueError:
            reasons.append(
                f"status_effective_date: '{values['status_effective_date']}' is not "
                "a date in ISO form YYYY-MM-DD, e.g. 2026-04-01"
            )

    for name, limit in _TEXT_LIMITS.items():
        if len(values[name]) > limit:
            reasons.append(f"{name}: at most {limit} characters (this has {len(values[name])})")
        if "\x00" in values[name]:
            # PostgreSQL text cannot hold it; refusing the row beats failing the whole load.
            reasons.append(f"{name}: contains the invisible character U+0000, which cannot be kept")

    _check_mpxn(values["mpxn"], device_type, reasons, warnings)

    supplier_id = None
    user_id = identifier("installing_supplier_user_id", required=False)
    if user_id is not None:
        supplier_id = suppliers.get(user_id)
        if supplier_id is None:
            reasons.append(f"installing_supplier_user_id: no Supplier has User ID {user_id}")

    if reasons:
        return None, reasons, warnings
    return (
        Device(
            device_id=device_id,
            device_type=device_type,
            smi_status=status,
            status_effective_date=effective,
            manufacturer=values["manufacturer"],
            model=values["model"],
            mpxn=values["mpxn"],
            comms_hub_id=comms_hub_id or "",
            installing_supplier_id=supplier_id,
        ),
        reasons,
        warnings,
    )


def _shown(value: str) -> str:
    return f"'{value}'" if value else "an empty value"


def _check_mpxn(
    mpxn: str, device_type: str | None, reasons: list[str], warnings: list[str]
) -> None:
    # An empty MPxN is accepted: a pre-notified meter is not yet tied to a meter point.
    if not mpxn or device_type is None:
        return
    if device_type == DeviceType.ESME:
        if not _MPAN.match(mpxn):
            reasons.append(f"mpxn: an ESME's MPAN core has 13 digits; '{mpxn}' does not")
        elif not mpan_check_ok(mpxn):
            warnings.append(_mpan_warning(mpxn))
    elif device_type == DeviceType.GSME:
        if not _MPRN.match(mpxn):
            reasons.append(f"mpxn: a GSME's MPRN has 6 to 10 digits; '{mpxn}' does not")
        elif not mprn_check_ok(mpxn):
            warnings.append(_mprn_warning(mpxn))
    else:
        reasons.append(
            f"mpxn: only meters (ESME, GSME) have an MPxN, not {device_type}; leave it empty"
        )


def _mpan_warning(mpan: str) -> str:
    return (
        f"mpxn: MPAN {mpan} has a bad check digit (expected {mpan_check_digit(mpan[:12])}); "
        "loaded anyway"
    )


def _mprn_warning(mprn: str) -> str:
    return (
        f"mpxn: MPRN {mprn} has bad check digits (expected {mprn_check_digits(mprn[:-2])}); "
        "loaded anyway"
    )


# --- The fast path ------------------------------------------------------------------------------

# What the fast path of the load (``stream.RowStream.stream``) checks a row against. It takes a
# row only when ``device_from`` would take it exactly as written and find nothing wrong.
CANONICAL_ID = re.compile(r"(?:[0-9A-F]{2}-){7}[0-9A-F]{2}").fullmatch
RESERVED_IDS = frozenset({"00-00-00-00-00-00-00-00", "FF-FF-FF-FF-FF-FF-FF-FF"})
# Device Type -> kind; a Type 2 Device is the one falsy kind (no SMI status, no MPxN).
TYPE_2, ESME, GSME, OTHER_TYPE = range(4)
KIND = {
    **{value: OTHER_TYPE for value in DeviceType.values},
    DeviceType.ESME.value: ESME,
    DeviceType.GSME.value: GSME,
    **{value.value: TYPE_2 for value in TYPE_2_DEVICES},
}
STATUS_VALUES = frozenset(SMIStatus.values)


def fast_date_ok(value: str) -> bool:
    """Whether :func:`device_from` takes this date exactly as written."""
    try:
        return (
            bool(_ISO_DATE.match(value)) and value.isascii() and bool(dt.date.fromisoformat(value))
        )
    except ValueError:
        return False


def fast_text_ok(value: str) -> bool:
    """Whether :func:`device_from` takes this manufacturer or model exactly as written."""
    return len(value) <= _TEXT_LIMIT and value == value.strip() and "\x00" not in value


def check_digit_warning(device_type: str, mpxn: str) -> str | None:
    """The warning :func:`device_from` gives a well-formed MPxN of this meter, if any."""
    if device_type == DeviceType.ESME:
        return None if mpan_check_ok(mpxn) else _mpan_warning(mpxn)
    return None if mprn_check_ok(mpxn) else _mprn_warning(mpxn)


def canonical_device(cells: list[str], suppliers: dict[str, int]) -> Device:
    """The Device of a row the fast path accepted (canonical, unquoted), its cells in the
    order of ``SMI_COLUMNS``."""
    values = dict(zip(DEVICE_FIELDS, cells, strict=True))
    date, user_id = values["status_effective_date"], values["installing_supplier_id"]
    values["smi_status"] = values["smi_status"] or None
    values["status_effective_date"] = dt.date.fromisoformat(date) if date else None
    values["installing_supplier_id"] = suppliers[user_id] if user_id else None
    return Device(**values)


# --- The header ---------------------------------------------------------------------------------


def read_header(lines: Iterator[str]) -> tuple[list[str], int]:
    """The column names in file order, and how many lines the header took; raises
    :class:`SmiLoadError` for a header that is not exactly ``SMI_COLUMNS``."""
    reader = csv.reader(lines)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise SmiLoadError(f"Line 1 is not valid CSV: {exc}.") from exc
    except UnicodeDecodeError as exc:
        raise not_utf8(exc, reader.line_num + 1, error=SmiLoadError) from exc
    if refusal := no_header(header, SMI_COLUMNS):
        raise SmiLoadError(refusal)
    names = [cell.strip().lower() for cell in header]
    problems = []
    unknown = [
        _column_label(cell, i)
        for i, (cell, name) in enumerate(zip(header, names, strict=True))
        if name not in SMI_COLUMNS
    ]
    if unknown:
        problems.append(f"unexpected column{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}")
    repeated = sorted({name for name in names if name in SMI_COLUMNS and names.count(name) > 1})
    if repeated:
        problems.append(f"repeated column{'s' if len(repeated) > 1 else ''} {', '.join(repeated)}")
    missing = [name for name in SMI_COLUMNS if name not in names]
    if missing:
        problems.append(f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}")
    if problems:
        raise SmiLoadError(
            f"The header is wrong: {'; '.join(problems)}. {header_expected(SMI_COLUMNS)}"
        )
    return names, reader.line_num


def _column_label(cell: str, index: int) -> str:
    return f"'{cell.strip()}'" if cell.strip() else f"an unnamed column (position {index + 1})"
