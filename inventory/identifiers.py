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


def _crc_step(value: int) -> int:
    for _ in range(8):
        value = (value >> 1) ^ 0x8408 if value & 1 else value >> 1
    return value


# Eight steps of the bitwise form for each byte value, so that a byte takes one look-up (a
# bulk answer checks 100,000 codes).
_CRC_TABLE = tuple(_crc_step(n) for n in range(256))


def crc16_x25(data: bytes) -> int:
    """CRC-16/X-25: reflected polynomial 0x8408, initial 0xFFFF, final XOR 0xFFFF."""
    crc = 0xFFFF
    for byte in data:
        crc = (crc >> 8) ^ _CRC_TABLE[(crc ^ byte) & 0xFF]
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
#
# The one home of both check-digit rules: the forms, the SMI loader (its hot loop included) and
# the registration loader all call these. The weighted sums are looked up three digits at a
# time in tables built once from the weights, which costs a file of millions of rows a quarter
# of what summing digit by digit would.

_MPAN_WEIGHTS = (3, 5, 7, 13, 17, 19, 23, 29, 31, 37, 41, 43)


def _chunk_sums(weights: tuple[int, ...]) -> dict[str, int]:
    """Weighted digit sums of every string of up to ``len(weights)`` ASCII digits, the weights
    applied from the right (so a short string at the left end of a number gets the leftmost
    weights)."""
    sums = {"": 0}
    for length in range(1, len(weights) + 1):
        used = weights[-length:]
        for n in range(10**length):
            digits = f"{n:0{length}d}"
            sums[digits] = sum(int(d) * w for d, w in zip(digits, used, strict=True))
    return sums


# MPAN: the weights on the first twelve digits, three at a time.
_MPAN_SUMS = tuple(_chunk_sums(_MPAN_WEIGHTS[i : i + 3]) for i in range(0, 12, 3))
# MPRN: weights n..1 on the body of n digits, i.e. 1, 2, 3, ... counted from its right end.
_MPRN_SUMS = tuple(_chunk_sums(w) for w in ((3, 2, 1), (6, 5, 4), (9, 8, 7)))


def mpan_check_digit(first_twelve: str) -> int:
    """The check digit of an MPAN core whose first twelve digits are given (ASCII digits)."""
    a, b, c, d = _MPAN_SUMS
    try:
        total = a[first_twelve[0:3]] + b[first_twelve[3:6]] + c[first_twelve[6:9]]
        total += d[first_twelve[9:12]]
    except KeyError:
        raise ValueError(f"not twelve ASCII digits: {first_twelve!r}") from None
    if len(first_twelve) != 12:
        raise ValueError(f"not twelve ASCII digits: {first_twelve!r}")
    return total % 11 % 10


def mpan_check_ok(mpan: str) -> bool:
    """Whether the last digit of a 13-digit MPAN core is its check digit; ``mpan`` is known
    to be 13 ASCII digits (:func:`is_valid_mpan` checks that too)."""
    return mpan_check_digit(mpan[:12]) == ord(mpan[12]) - 48


def is_valid_mpan(value: str) -> bool:
    """A 13-digit MPAN core whose last digit is its check digit."""
    return len(value) == 13 and value.isascii() and value.isdigit() and mpan_check_ok(value)


def mprn_check_digits(body: str) -> str:
    """The two check digits of an MPRN whose other digits (4 to 9 ASCII digits) are given."""
    a, b, c = _MPRN_SUMS
    try:
        total = a[body[-3:]] + b[body[-6:-3]] + c[body[:-6]]
    except KeyError:
        raise ValueError(f"not 4 to 9 ASCII digits: {body!r}") from None
    return f"{total % 11:02d}"


def mprn_check_ok(mprn: str) -> bool:
    """Whether the last two digits of an MPRN are the check digits of the rest; ``mprn`` is
    known to be 6 to 10 ASCII digits (:func:`is_valid_mprn` checks that too)."""
    return mprn_check_digits(mprn[:-2]) == mprn[-2:]


def is_valid_mprn(value: str) -> bool:
    """An MPRN of 6 to 10 digits whose last two are the check digits of the rest."""
    return 6 <= len(value) <= 10 and value.isascii() and value.isdigit() and mprn_check_ok(value)
