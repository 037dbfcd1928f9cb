"""The SMI extract format: its columns, and the checks every row goes through.

Two ways through the checks, with one outcome:

- :func:`device_from` is the full check. It accepts pasted spellings (lower case, other
  separators, spaces around values), names every problem of a row, and builds the Device.
- the fast path (the tables and helpers at the end, used inline by the load's loop) accepts
  only rows already in canonical form, which is what a DCC extract holds, without building a
  dict or a model instance per row. A row it does not accept goes through
  :func:`device_from`, so the reasons and warnings a file gets never depend on the path.
"""

import datetime as dt
import re

from ssi_portal.lib.identifiers import IdentifierError, parse_device_id

from ..identifiers import is_valid_mpan, is_valid_mprn, mpan_check_digit, mprn_check_digits
from ..models import TYPE_2_DEVICES, Device, DeviceType, SMIStatus

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
        elif not is_valid_mpan(mpxn):
            warnings.append(_mpan_warning(mpxn))
    elif device_type == DeviceType.GSME:
        if not _MPRN.match(mpxn):
            reasons.append(f"mpxn: a GSME's MPRN has 6 to 10 digits; '{mpxn}' does not")
        elif not is_valid_mprn(mpxn):
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

# What the fast path of the load (``smi_load._Load._stream``) checks a row against. It takes a
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


def _chunk_sums(weights: tuple[int, ...]) -> dict[str, int]:
    """Weighted digit sums of every string of up to ``len(weights)`` digits, the weights
    applied from the right (so a short string at the left end of a number gets the
    leftmost weights)."""
    sums = {"": 0}
    for length in range(1, len(weights) + 1):
        used = weights[-length:]
        for n in range(10**length):
            digits = f"{n:0{length}d}"
            sums[digits] = sum(int(d) * w for d, w in zip(digits, used, strict=True))
    return sums


# MPAN: weights 3, 5, 7, ... 43 on the first twelve digits, looked up three digits at a time.
MPAN_SUMS = tuple(_chunk_sums(w) for w in ((3, 5, 7), (13, 17, 19), (23, 29, 31), (37, 41, 43)))
# MPRN: weights n..1 on the body, i.e. 1, 2, 3, ... counted from its right end.
MPRN_SUMS = tuple(_chunk_sums(w) for w in ((3, 2, 1), (6, 5, 4), (9, 8, 7)))


def mpan_check_ok(mpan: str) -> bool:
    """``is_valid_mpan`` for a string already known to be 13 ASCII digits."""
    a, b, c, d = MPAN_SUMS
    total = a[mpan[0:3]] + b[mpan[3:6]] + c[mpan[6:9]] + d[mpan[9:12]]
    return total % 11 % 10 == ord(mpan[12]) - 48


def mprn_check_ok(mprn: str) -> bool:
    """``is_valid_mprn`` for a string already known to be 6 to 10 ASCII digits."""
    body = mprn[:-2]
    a, b, c = MPRN_SUMS
    return (a[body[-3:]] + b[body[-6:-3]] + c[body[:-6]]) % 11 == int(mprn[-2:])


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
