"""Device IDs, install codes, MPANs and MPRNs: what people paste, what the portal stores."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inventory.identifiers import (
    crc16_x25,
    crc_suffix,
    format_install_code,
    is_valid_mpan,
    is_valid_mprn,
    mpan_check_digit,
    mprn_check_digits,
    parse_install_code,
)
from ssi_portal.lib.identifiers import (
    IdentifierError,
    device_id_or_none,
    format_device_id,
    parse_device_id,
)

PROPERTIES = settings(max_examples=200, deadline=None)

CANONICAL_DEVICE_ID = "00-DB-12-34-56-78-90-A0"
CANONICAL_DEVICE_ID_SHAPE = re.compile(r"[0-9A-F]{2}(-[0-9A-F]{2}){7}")

# DOMAIN.md's public example of a ZigBee install code and its CRC-16/X-25.
EXAMPLE_CODE = "83FED3407A939723A5C639B26916D505"
EXAMPLE_CRC = 0xB5C3
EXAMPLE_CODE_WITH_CRC = EXAMPLE_CODE + "C3B5"
EXAMPLE_BYTES = bytes.fromhex(EXAMPLE_CODE)

DIGITS = "0123456789"
HEX_DIGITS = "0123456789ABCDEF"
# What pasting leaves between digits: nothing, the separators the portal ignores, and the
# no-break space that spreadsheets and web pages put in.
SEPARATORS = ["", "", "", "-", ":", " ", "  ", "\t", " - ", "\u00a0"]
# An install code's groups are separated by spaces, hyphens and colons only (DOMAIN.md).
CODE_SEPARATORS = ["", "", "", "-", ":", " ", "  ", " - "]


def _err(parse, value) -> str:
    with pytest.raises(IdentifierError) as caught:
        parse(value)
    return str(caught.value)


@st.composite
def pasted(draw, digits: str, separators: list[str] = SEPARATORS) -> str:
    """``digits`` as someone might paste them: any case, any ignored separators anywhere."""
    out = draw(st.sampled_from(separators))
    for ch in digits:
        out += draw(st.sampled_from([ch.lower(), ch.upper()])) + draw(st.sampled_from(separators))
    return out


device_id_bytes = st.binary(min_size=8, max_size=8).filter(
    lambda raw: raw not in (bytes(8), b"\xff" * 8)
)
install_code_bytes = st.binary(min_size=16, max_size=16).filter(
    lambda raw: raw not in (bytes(16), b"\xff" * 16)
)
# Mostly hex digits and separators, so that garbage reaches the length and CRC checks too.
near_miss_text = st.text(alphabet=st.sampled_from("0123456789abcdefABCDEF -:g.\u200b\ufb00ß"))


# --- Device ID ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pasted_id",
    [
        "00-DB-12-34-56-78-90-A0",
        "00-db-12-34-56-78-90-a0",
        "00DB1234567890A0",
        "00db1234567890a0",
        "00:DB:12:34:56:78:90:A0",
        "00 DB 12 34 56 78 90 A0",
        "00-db:12 34-56:78 90A0",
        "  00-DB-12-34-56-78-90-A0\n",
        "00\u00a0DB\u00a012\u00a034\u00a056\u00a078\u00a090\u00a0A0",
    ],
    ids=[
        "canonical",
        "lower case",
        "no separators",
        "lower case without separators",
        "colons",
        "spaces",
        "mixed",
        "surrounding whitespace",
        "no-break spaces",
    ],
)
def test_a_pasted_device_id_normalises_to_the_canonical_upper_case_hyphenated_form(pasted_id):
    assert parse_device_id(pasted_id) == CANONICAL_DEVICE_ID


@pytest.mark.parametrize("blank", ["", "   ", " - : ", "\t\n"])
def test_an_empty_device_id_asks_for_one(blank):
    assert _err(parse_device_id, blank) == "Enter a Device ID."


@pytest.mark.parametrize("digits", ["00DB1234567890A", "00DB1234567890A0B", "00", "00" * 16])
def test_a_device_id_of_the_wrong_length_says_how_many_digits_it_has(digits):
    message = _err(parse_device_id, digits)

    assert message == (
        "A Device ID has 16 hex digits (8 pairs, e.g. 00-DB-12-34-56-78-90-A0); "
        f"this one has {len(digits)}."
    )


def test_the_digit_count_of_a_device_id_ignores_separators():
    assert _err(parse_device_id, "00-DB-12-34-56-78-90").endswith("this one has 14.")


@pytest.mark.parametrize(
    ("pasted_id", "named"),
    [
        ("00-DB-12-34-56-78-90-AG", "'G'"),
        ("00-DB-12-34-56-78-90-ag", "'g'"),
        ("O0-DB-12-34-56-78-90-A0", "'O'"),
        ("00.DB.12.34.56.78.90.A0", "'.'"),
        ("00-DB-12-34-56-78-90-Aß", "'ß'"),
    ],
    ids=["upper case letter", "lower case letter", "letter O", "dot", "sharp s"],
)
def test_a_non_hex_character_in_a_device_id_is_named_as_it_was_typed(pasted_id, named):
    assert _err(parse_device_id, pasted_id) == (
        f"A Device ID contains only the hex digits 0-9 and A-F; {named} is not one."
    )


def test_a_character_that_upper_cases_to_hex_digits_is_not_taken_for_them():
    # "\ufb00" (the ligature "ff") upper-cases to "FF"; it must not pass for two hex digits.
    assert "'\ufb00' is not one" in _err(parse_device_id, "00-DB-12-34-56-78-90-\ufb00")


@pytest.mark.parametrize("invisible", ["\u200b", "\ufeff", "\u0000"])
def test_an_invisible_character_in_a_device_id_is_named_by_its_code_point(invisible):
    message = _err(parse_device_id, f"00-DB-12-34{invisible}-56-78-90-A0")

    assert f"the invisible character U+{ord(invisible):04X} is not one" in message


def test_a_non_hex_character_is_reported_before_the_length():
    assert "'X' is not one" in _err(parse_device_id, "XYZ")


@pytest.mark.parametrize(
    ("reserved", "canonical"),
    [
        ("0000000000000000", "00-00-00-00-00-00-00-00"),
        ("ff:ff:ff:ff:ff:ff:ff:ff", "FF-FF-FF-FF-FF-FF-FF-FF"),
    ],
    ids=["all zero", "all FF"],
)
def test_an_all_zero_or_all_ff_device_id_is_refused_as_reserved(reserved, canonical):
    assert _err(parse_device_id, reserved) == f"{canonical} is reserved and is not a Device ID."


def test_device_id_or_none_gives_the_canonical_form_of_a_good_id():
    assert device_id_or_none("00db1234567890a0") == CANONICAL_DEVICE_ID


@pytest.mark.parametrize("bad", ["", "00DB", "00-DB-12-34-56-78-90-AG", "0000000000000000"])
def test_device_id_or_none_gives_none_for_a_bad_id(bad):
    assert device_id_or_none(bad) is None


@PROPERTIES
@given(raw=device_id_bytes, data=st.data())
def test_every_separator_and_case_variant_of_a_device_id_gives_the_canonical_form(raw, data):
    canonical = format_device_id(raw.hex().upper())

    assert parse_device_id(data.draw(pasted(raw.hex().upper()))) == canonical


@PROPERTIES
@given(raw=device_id_bytes)
def test_parsing_a_formatted_device_id_gives_it_back_unchanged(raw):
    formatted = format_device_id(raw.hex().upper())

    assert parse_device_id(formatted) == formatted
    assert CANONICAL_DEVICE_ID_SHAPE.fullmatch(formatted)


# --- Install code -------------------------------------------------------------------------------


def test_the_crc_of_the_domain_example_install_code_is_b5c3():
    assert crc16_x25(EXAMPLE_BYTES) == EXAMPLE_CRC


def test_the_crc_is_printed_low_byte_first():
    assert crc_suffix(EXAMPLE_BYTES) == bytes.fromhex("C3B5")


def test_crc16_x25_gives_the_catalogue_check_value_for_123456789():
    # The reference check value of CRC-16/X-25 (also known as CRC-16/IBM-SDLC).
    assert crc16_x25(b"123456789") == 0x906E


@pytest.mark.parametrize(
    "pasted_code",
    [
        EXAMPLE_CODE,
        EXAMPLE_CODE_WITH_CRC,
        EXAMPLE_CODE.lower(),
        EXAMPLE_CODE_WITH_CRC.lower(),
        "83FE D340 7A93 9723 A5C6 39B2 6916 D505",
        "83FE D340 7A93 9723 A5C6 39B2 6916 D505 C3B5",
        "83-FE-D3-40-7A-93-97-23-A5-C6-39-B2-69-16-D5-05",
        "83:fe:d3:40:7a:93:97:23:a5:c6:39:b2:69:16:d5:05:c3:b5",
        " 83FED340-7a939723:A5C6 39B2 6916D505\n",
        "\t83FE D340 7A93 9723 A5C6 39B2 6916 D505\r\n",
    ],
    ids=[
        "32 digits",
        "36 digits with CRC",
        "lower case",
        "lower case with CRC",
        "groups of four",
        "groups of four with CRC",
        "hyphens",
        "colons with CRC",
        "mixed",
        "tab and line break around it",
    ],
)
def test_a_pasted_install_code_parses_to_its_16_bytes(pasted_code):
    assert parse_install_code(pasted_code) == EXAMPLE_BYTES


@pytest.mark.parametrize("blank", ["", "  ", "-:- "])
def test_an_empty_install_code_asks_for_one(blank):
    assert _err(parse_install_code, blank) == "Enter the install code."


@pytest.mark.parametrize("length", [16, 31, 33, 34, 35, 37, 40])
def test_an_install_code_of_the_wrong_length_says_how_many_digits_it_has(length):
    digits = (EXAMPLE_CODE_WITH_CRC * 2)[:length]

    assert _err(parse_install_code, digits) == (
        "An install code has 32 hex digits, or 36 when its 4-digit CRC is included; "
        f"this one has {length}."
    )


@pytest.mark.parametrize(
    ("pasted_code", "named"),
    [
        (EXAMPLE_CODE[:-1] + "G", "'G'"),
        (EXAMPLE_CODE[:-1] + "o", "'o'"),
        (EXAMPLE_CODE[:-2] + "\ufb00", "'\ufb00'"),
        (EXAMPLE_CODE[:8] + "\u200b" + EXAMPLE_CODE[8:], "the invisible character U+200B"),
    ],
    ids=["letter G", "lower case o", "ff ligature", "zero-width space"],
)
def test_a_non_hex_character_in_an_install_code_is_named(pasted_code, named):
    assert _err(parse_install_code, pasted_code) == (
        f"An install code contains only the hex digits 0-9 and A-F; {named} is not one."
    )


@pytest.mark.parametrize(
    ("separator", "named"),
    [
        ("\t", "a tab"),
        ("\n", "a line break"),
        ("\r\n", "a line break"),
        ("\u00a0", "a no-break space"),
        ("\u2003", "the white space U+2003"),
    ],
    ids=["tab", "line feed", "carriage return", "no-break space", "em space"],
)
def test_white_space_other_than_a_space_inside_an_install_code_is_refused(separator, named):
    pasted_code = f"{EXAMPLE_CODE[:16]}{separator}{EXAMPLE_CODE[16:]}"

    assert _err(parse_install_code, pasted_code) == (
        "Only spaces, hyphens and colons may separate the groups of an install code; "
        f"{named} is not allowed."
    )


@pytest.mark.parametrize(
    ("placeholder", "described"),
    [
        ("0" * 32, "all zeros (sixteen 00 bytes)"),
        (
            "0000 0000 0000 0000 0000 0000 0000 0000 " + crc_suffix(bytes(16)).hex(),
            "all zeros (sixteen 00 bytes)",
        ),
        ("ff" * 16, "all Fs (sixteen FF bytes)"),
    ],
    ids=["all zero", "all zero with its CRC", "all FF"],
)
def test_an_all_zero_or_all_ff_install_code_is_refused_as_a_placeholder(placeholder, described):
    assert _err(parse_install_code, placeholder) == (
        f"This install code is {described}, a placeholder and not a real code: copy the code "
        "from the Device's label."
    )


def test_a_crc_mismatch_names_the_given_and_the_expected_digits():
    message = _err(parse_install_code, EXAMPLE_CODE + "0000")

    assert message == (
        "The last 4 digits (0000) are not the CRC of the first 32 (expected C3B5): "
        "check the code for a typing error."
    )


def test_a_crc_written_high_byte_first_is_refused():
    assert "(expected C3B5)" in _err(parse_install_code, EXAMPLE_CODE + "B5C3")


def test_an_install_code_is_shown_in_groups_of_four_digits():
    assert format_install_code(EXAMPLE_BYTES) == "83FE D340 7A93 9723 A5C6 39B2 6916 D505"


@PROPERTIES
@given(code=install_code_bytes)
def test_the_32_and_36_digit_forms_of_any_code_parse_to_the_same_bytes(code):
    bare = code.hex()
    with_crc = (code + crc_suffix(code)).hex()

    assert parse_install_code(bare) == parse_install_code(with_crc) == code


@PROPERTIES
@given(code=install_code_bytes, data=st.data())
def test_every_separator_and_case_variant_of_an_install_code_parses_to_its_bytes(code, data):
    digits = (code + crc_suffix(code)).hex().upper()
    with_or_without_crc = data.draw(st.sampled_from([digits[:32], digits]))

    assert parse_install_code(data.draw(pasted(with_or_without_crc, CODE_SEPARATORS))) == code


@PROPERTIES
@given(code=install_code_bytes)
def test_parsing_a_formatted_install_code_gives_back_its_bytes(code):
    assert parse_install_code(format_install_code(code)) == code


@PROPERTIES
@given(code=install_code_bytes, position=st.integers(0, 3), data=st.data())
def test_any_single_changed_crc_digit_is_refused_naming_the_expected_digits(code, position, data):
    crc = crc_suffix(code).hex().upper()
    wrong = data.draw(st.sampled_from(HEX_DIGITS).filter(lambda d: d != crc[position]))
    changed = crc[:position] + wrong + crc[position + 1 :]

    message = _err(parse_install_code, code.hex() + changed)

    assert f"The last 4 digits ({changed})" in message
    assert f"(expected {crc})" in message


# --- Anything at all ----------------------------------------------------------------------------


@pytest.mark.parametrize("parse", [parse_device_id, parse_install_code])
@PROPERTIES
@given(text=st.one_of(st.text(), near_miss_text))
def test_any_text_either_parses_or_raises_an_identifier_error(parse, text):
    try:
        parse(text)
    except IdentifierError as error:
        assert str(error)


@PROPERTIES
@given(text=st.one_of(st.text(), near_miss_text))
def test_whatever_parse_device_id_accepts_is_in_canonical_form(text):
    parsed = device_id_or_none(text)

    assert parsed is None or CANONICAL_DEVICE_ID_SHAPE.fullmatch(parsed)


# --- MPAN ---------------------------------------------------------------------------------------


def test_the_domain_example_mpan_is_valid():
    assert is_valid_mpan("1312345678907")


def test_an_mpan_whose_weighted_sum_leaves_ten_has_check_digit_zero():
    # The sum of 131234567898 weighted 3, 5, 7, ... is 10 mod 11; mod 10 that is 0.
    assert mpan_check_digit("131234567898") == 0
    assert is_valid_mpan("1312345678980")


@pytest.mark.parametrize(
    "mpan",
    [
        "",
        "131234567890",
        "13123456789070",
        "1312345678906",
        "131234567890A",
        "1312 345678907",
        " 1312345678907",
        "１３１２３４５６７８９０７",
    ],
    ids=[
        "empty",
        "12 digits",
        "14 digits",
        "wrong check digit",
        "a letter",
        "a space inside",
        "a leading space",
        "full-width digits",
    ],
)
def test_a_malformed_mpan_is_not_valid(mpan):
    assert not is_valid_mpan(mpan)


@PROPERTIES
@given(first_twelve=st.text(alphabet=DIGITS, min_size=12, max_size=12))
def test_twelve_digits_followed_by_their_check_digit_make_a_valid_mpan(first_twelve):
    assert is_valid_mpan(first_twelve + str(mpan_check_digit(first_twelve)))


@PROPERTIES
@given(first_twelve=st.text(alphabet=DIGITS, min_size=12, max_size=12), data=st.data())
def test_any_other_check_digit_makes_an_mpan_invalid(first_twelve, data):
    right = str(mpan_check_digit(first_twelve))
    wrong = data.draw(st.sampled_from(DIGITS).filter(lambda d: d != right))

    assert not is_valid_mpan(first_twelve + wrong)


# --- MPRN ---------------------------------------------------------------------------------------


def test_the_domain_example_mprn_is_valid():
    assert is_valid_mprn("3938424403")


def test_an_mprn_whose_weighted_sum_leaves_ten_has_check_digits_10():
    assert mprn_check_digits("39384259") == "10"
    assert is_valid_mprn("3938425910")


@pytest.mark.parametrize(
    "mprn",
    [
        "",
        "12345",
        "3938424404",
        "3938424430",
        "39384244A3",
        "3938 424403",
        "３９３８４２４４０３",
    ],
    ids=[
        "empty",
        "5 digits",
        "wrong last check digit",
        "check digits swapped",
        "a letter",
        "a space inside",
        "full-width digits",
    ],
)
def test_a_malformed_mprn_is_not_valid(mprn):
    assert not is_valid_mprn(mprn)


def test_an_mprn_of_eleven_digits_is_not_valid_even_with_correct_check_digits():
    body = "123456789"

    assert not is_valid_mprn(body + mprn_check_digits(body))


@PROPERTIES
@given(body=st.text(alphabet=DIGITS, min_size=4, max_size=8))
def test_a_body_of_4_to_8_digits_followed_by_its_check_digits_makes_a_valid_mprn(body):
    assert is_valid_mprn(body + mprn_check_digits(body))


@PROPERTIES
@given(
    body=st.text(alphabet=DIGITS, min_size=4, max_size=8),
    position=st.integers(0, 1),
    data=st.data(),
)
def test_any_single_changed_check_digit_makes_an_mprn_invalid(body, position, data):
    check = mprn_check_digits(body)
    wrong = data.draw(st.sampled_from(DIGITS).filter(lambda d: d != check[position]))
    changed = check[:position] + wrong + check[position + 1 :]

    assert not is_valid_mprn(body + changed)
