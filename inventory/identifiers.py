"""Formats of the identifiers the portal handles: Device IDs, install codes, MPANs and MPRNs.

Each ``parse_*`` function accepts what people paste and returns the canonical value, or
raises :class:`IdentifierError` whose message says precisely what is wrong.
"""

import re

from ssi_portal.lib.identifiers import IdentifierError, describe_character, first_non_hex

# An install code is split into groups by these alone (DOMAIN.md): a tab or a line break
# inside one means cells or lines were run together, not a code pasted from its label.
_CODE_SEPARATORS = re.compile(r"[ \-:]+")
# Sixteen 00 or sixteen FF bytes are what a blank label or an unset field gives, never the
# random key of a Device.
_PLACEHOLDER_CODES = {
    bytes(16): "all zeros (sixteen 00 bytes)",
    b"\xff" * 16: "all Fs (sixteen FF bytes)",
}
_WHITE_SPACE_NAMES = {
    "\t": "a tab",
    "\n": "a line break",
    "\r": "a line break",
    "\u00a0": "a no-break space",
}


INSTALL_CODE_MISSING = "Enter the install code."


# --- Install code (ZigBee Smart Energy) -----------------------------------------------------


def crc16_x25(data: bytes) -> int:
    """CRC-16/X-25: reflected polynomial 0x8408, initial 0xFFFF, final XOR 0xFFFF."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
    return crc ^ 0xFFFF


def crc_suffix(code: bytes) -> bytes:
    """The two CRC bytes as printed after the code: low byte first."""
    return crc16_x25(code).to_bytes(2, "little")


def parse_install_code(value: str) -> bytes:
    """The 16 bytes of an install code given as 32 hex digits, or 36 with a correct CRC.

    The one parser of install codes: the answer form, the rows of bulk answer and lodge
    files all give the user its messages. White space around the code is dropped; inside
    it, only spaces, hyphens and colons separate groups.
    """
    compact = _CODE_SEPARATORS.sub("", (value or "").strip())
    if not compact:
        raise IdentifierError(INSTALL_CODE_MISSING)
    bad = first_non_hex(compact)
    if bad is not None and bad.isspace():
        raise IdentifierError(
            "Only spaces, hyphens and colons may separate the groups of an install code; "
            f"{_WHITE_SPACE_NAMES.get(bad) or f'the white space U+{ord(bad):04X}'} is not "
            "allowed."
        )
    if bad is not None:
        raise IdentifierError(
            f"An install code contains only the hex digits 0-9 and A-F; "
            f"{describe_character(bad)} is not one."
        )
    compact = compact.upper()
    if len(compact) not in (32, 36):
        raise IdentifierError(
            f"An install code has 32 hex digits, or 36 when its 4-digit CRC is included; "
            f"this one has {len(compact)}."
        )
    raw = bytes.fromhex(compact)
    code, given_crc = raw[:16], raw[16:]
    if given_crc and given_crc != crc_suffix(code):
        raise IdentifierError(
            f"The last 4 digits ({given_crc.hex().upper()}) are not the CRC of the first 32 "
            f"(expected {crc_suffix(code).hex().upper()}): check the code for a typing error."
        )
    if code in _PLACEHOLDER_CODES:
        raise IdentifierError(
            f"This install code is {_PLACEHOLDER_CODES[code]}, a placeholder and not a real "
            "code: copy the code from the Device's label."
        )
    return code


def format_install_code(code: bytes) -> str:
    """The code in groups of four hex digits, e.g. ``83FE D340 … D505``."""
    digits = code.hex().upper()
    return " ".join(digits[i : i + 4] for i in range(0, len(digits), 4))


# --- Meter points ---------------------------------------------------------------------------

_MPAN_WEIGHTS = (3, 5, 7, 13, 17, 19, 23, 29, 31, 37, 41, 43)


def mpan_check_digit(first_twelve: str) -> int:
    return sum(int(d) * w for d, w in zip(first_twelve, _MPAN_WEIGHTS, strict=True)) % 11 % 10


def is_valid_mpan(value: str) -> bool:
    """A 13-digit MPAN core whose last digit is its check digit."""
    return (
        len(value) == 13
        and value.isascii()
        and value.isdigit()
        and mpan_check_digit(value[:12]) == int(value[12])
    )


def mprn_check_digits(body: str) -> str:
    n = len(body)
    return f"{sum(int(d) * (n - i) for i, d in enumerate(body)) % 11:02d}"


def is_valid_mprn(value: str) -> bool:
    """An MPRN of 6 to 10 digits whose last two are the check digits of the rest."""
    return (
        6 <= len(value) <= 10
        and value.isascii()
        and value.isdigit()
        and mprn_check_digits(value[:-2]) == value[-2:]
    )
