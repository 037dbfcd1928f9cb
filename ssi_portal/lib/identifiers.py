"""The base of the identifiers the portal parses: the error they raise and the EUI-64 (a
Device ID, and a Supplier's DCC User ID, are both EUI-64s).

Each ``parse_*`` function accepts what people paste and returns the canonical value, or
raises :class:`IdentifierError` whose message says precisely what is wrong. Install codes,
MPANs and MPRNs are parsed in ``inventory.identifiers`` with the same error.
"""

import re

_SEPARATORS = re.compile(r"[\s\-:]+")
_HEX = frozenset("0123456789ABCDEFabcdef")


class IdentifierError(ValueError):
    """An identifier is malformed; ``str(error)`` is a message fit to show the user."""


def _strip_separators(value: str) -> str:
    # Not upper-cased here: str.upper() maps some non-hex characters onto hex digits
    # ("\ufb00".upper() == "FF") and others onto letters the user never typed ("ß" -> "SS"),
    # so the hex check runs on the characters as pasted and upper-casing comes after it.
    return _SEPARATORS.sub("", value)


def first_non_hex(compact: str) -> str | None:
    return next((ch for ch in compact if ch not in _HEX), None)


def describe_character(ch: str) -> str:
    if ch.isprintable():
        return f"'{ch}'"
    # Zero-width spaces and the like come along with text copied from web pages and
    # would otherwise be named as an empty-looking ''.
    return f"the invisible character U+{ord(ch):04X}"


# --- Device ID (EUI-64) ---------------------------------------------------------------------


def parse_device_id(value: str) -> str:
    """Canonical Device ID: 8 upper-case hex pairs joined by hyphens (``00-DB-12-…``)."""
    compact = _strip_separators(value or "")
    if not compact:
        raise IdentifierError("Enter a Device ID.")
    bad = first_non_hex(compact)
    if bad is not None:
        raise IdentifierError(
            "A Device ID contains only the hex digits 0-9 and A-F; "
            f"{describe_character(bad)} is not one."
        )
    compact = compact.upper()
    if len(compact) != 16:
        raise IdentifierError(
            f"A Device ID has 16 hex digits (8 pairs, e.g. 00-DB-12-34-56-78-90-A0); "
            f"this one has {len(compact)}."
        )
    if compact in ("0" * 16, "F" * 16):
        raise IdentifierError(f"{format_device_id(compact)} is reserved and is not a Device ID.")
    return format_device_id(compact)


def format_device_id(compact: str) -> str:
    return "-".join(compact[i : i + 2] for i in range(0, 16, 2))


def device_id_or_none(value: str) -> str | None:
    try:
        return parse_device_id(value)
    except IdentifierError:
        return None
