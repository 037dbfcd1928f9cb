"""Sealing install codes with AES-256-GCM under a rotating key ring."""

import base64
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ssi_portal.lib.crypto import KeyRing, SecretError, generate_key

OLD_KEY = generate_key()
NEW_KEY = generate_key()
OLD_RING = KeyRing([OLD_KEY])
ROTATED_RING = KeyRing([NEW_KEY, OLD_KEY])
NEW_ONLY_RING = KeyRing([NEW_KEY])

INSTALL_CODE = bytes.fromhex("83FED3407A939723A5C639B26916D505")
AAD = b"incident:7f3c1a"

# Layout of a sealed value: version (1) | key id (4) | nonce (12) | ciphertext | tag (16).
TAMPERED_PART_AND_MESSAGE = [
    (0, "unknown format"),
    (1, "made with a key that is not configured"),
    (5, "does not belong here or was altered"),
    (17, "does not belong here or was altered"),
    (-1, "does not belong here or was altered"),
]


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _flip_bit(sealed: bytes, index: int) -> bytes:
    changed = bytearray(sealed)
    changed[index] ^= 0x01
    return bytes(changed)


# --- Sealing and opening ------------------------------------------------------------------------


def test_a_sealed_value_opens_to_its_plaintext():
    assert OLD_RING.open(OLD_RING.seal(INSTALL_CODE, aad=AAD), aad=AAD) == INSTALL_CODE


@settings(max_examples=100, deadline=None)
@given(plaintext=st.binary(max_size=64), aad=st.binary(max_size=64))
def test_any_plaintext_and_associated_data_round_trip(plaintext, aad):
    assert OLD_RING.open(OLD_RING.seal(plaintext, aad=aad), aad=aad) == plaintext


def test_a_sealed_value_opens_from_a_memoryview_as_a_database_driver_may_return_it():
    sealed = OLD_RING.seal(INSTALL_CODE, aad=AAD)

    assert OLD_RING.open(memoryview(sealed), aad=AAD) == INSTALL_CODE


@pytest.mark.parametrize(
    "other_aad",
    [b"incident:7f3c1b", b"", AAD + b" ", AAD.upper()],
    ids=["another row", "empty", "a trailing space", "different case"],
)
def test_a_sealed_value_does_not_open_with_different_associated_data(other_aad):
    sealed = OLD_RING.seal(INSTALL_CODE, aad=AAD)

    with pytest.raises(SecretError, match="does not belong here or was altered"):
        OLD_RING.open(sealed, aad=other_aad)


@pytest.mark.parametrize(
    ("index", "message"),
    TAMPERED_PART_AND_MESSAGE,
    ids=["version", "key id", "nonce", "ciphertext", "tag"],
)
def test_a_sealed_value_with_a_changed_byte_does_not_open(index, message):
    sealed = OLD_RING.seal(INSTALL_CODE, aad=AAD)

    with pytest.raises(SecretError, match=message):
        OLD_RING.open(_flip_bit(sealed, index), aad=AAD)


@pytest.mark.parametrize("length", [0, 1, 32], ids=["empty", "one byte", "one short of a tag"])
def test_a_truncated_sealed_value_is_refused_as_an_unknown_format(length):
    sealed = OLD_RING.seal(b"", aad=AAD)

    with pytest.raises(SecretError, match="unknown format"):
        OLD_RING.open(sealed[:length], aad=AAD)


def test_the_ciphertext_does_not_contain_the_plaintext():
    assert INSTALL_CODE not in OLD_RING.seal(INSTALL_CODE, aad=AAD)


def test_two_seals_of_the_same_plaintext_differ():
    assert OLD_RING.seal(INSTALL_CODE, aad=AAD) != OLD_RING.seal(INSTALL_CODE, aad=AAD)


def test_two_seals_of_the_same_plaintext_use_different_nonces():
    first, second = (OLD_RING.seal(INSTALL_CODE, aad=AAD) for _ in range(2))

    assert first[5:17] != second[5:17]


# --- Rotation -----------------------------------------------------------------------------------


def test_a_value_sealed_under_the_old_key_opens_after_a_new_key_is_put_first():
    sealed = OLD_RING.seal(INSTALL_CODE, aad=AAD)

    assert ROTATED_RING.open(sealed, aad=AAD) == INSTALL_CODE


def test_a_value_sealed_under_the_old_key_is_not_current_after_rotation():
    assert not ROTATED_RING.is_current(OLD_RING.seal(INSTALL_CODE, aad=AAD))


def test_a_value_sealed_after_rotation_is_current():
    assert ROTATED_RING.is_current(ROTATED_RING.seal(INSTALL_CODE, aad=AAD))


def test_a_value_sealed_after_rotation_uses_the_new_key():
    sealed = ROTATED_RING.seal(INSTALL_CODE, aad=AAD)

    assert NEW_ONLY_RING.open(sealed, aad=AAD) == INSTALL_CODE


def test_a_ring_without_the_sealing_key_refuses_with_a_clear_message():
    sealed = OLD_RING.seal(INSTALL_CODE, aad=AAD)

    with pytest.raises(
        SecretError, match="The sealed value was made with a key that is not configured."
    ):
        NEW_ONLY_RING.open(sealed, aad=AAD)


# --- Configuring keys ---------------------------------------------------------------------------


def test_an_empty_ring_is_refused():
    with pytest.raises(SecretError, match="No install-code encryption key is configured."):
        KeyRing([])


@pytest.mark.parametrize(
    "bad_key",
    ["not base64!", NEW_KEY[:-1], NEW_KEY.replace("=", "") + "é", "a" * 43 + "-"],
    ids=["punctuation", "missing padding", "non-ASCII", "URL-safe alphabet"],
)
def test_a_key_that_is_not_base64_is_named_by_its_position(bad_key):
    with pytest.raises(SecretError, match="^Encryption key 2 is not valid base64.$"):
        KeyRing([OLD_KEY, bad_key])


@pytest.mark.parametrize("length", [0, 16, 24, 31, 33, 64])
def test_a_key_of_the_wrong_length_is_named_by_its_position_and_length(length):
    with pytest.raises(SecretError, match=f"^Encryption key 3 must be 32 bytes, not {length}.$"):
        KeyRing([OLD_KEY, NEW_KEY, _b64(os.urandom(length))])


def test_whitespace_around_a_key_is_ignored():
    ring = KeyRing([f"  {OLD_KEY}\n"])

    assert ring.open(OLD_RING.seal(INSTALL_CODE, aad=AAD), aad=AAD) == INSTALL_CODE


def test_a_generated_key_is_base64_of_32_bytes():
    assert len(base64.b64decode(generate_key(), validate=True)) == 32


def test_two_generated_keys_differ():
    assert generate_key() != generate_key()
