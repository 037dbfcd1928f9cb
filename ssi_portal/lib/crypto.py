"""Authenticated encryption of small secrets (install codes) with a rotating key ring.

A sealed value is ``version (1 byte) | key id (4 bytes) | nonce (12 bytes) | AES-256-GCM
ciphertext+tag``. The caller binds the value to its row with ``aad`` (associated data), so a
ciphertext copied to another row does not open. Keys are base64 of 32 random bytes; the
first key of the ring seals, every key opens, which lets keys be rotated without downtime.
"""

import base64
import hashlib
import os
from functools import cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

VERSION = 1
_NONCE_BYTES = 12


class SecretError(Exception):
    """A sealed value could not be opened (wrong row, unknown key or tampered bytes)."""


def generate_key() -> str:
    return base64.b64encode(AESGCM.generate_key(bit_length=256)).decode("ascii")


def _key_id(key: bytes) -> bytes:
    return hashlib.sha256(key).digest()[:4]


class KeyRing:
    def __init__(self, encoded_keys: list[str]):
        if not encoded_keys:
            raise SecretError("No install-code encryption key is configured.")
        keys = []
        for position, encoded in enumerate(encoded_keys, start=1):
            try:
                key = base64.b64decode(encoded.strip(), validate=True)
            except ValueError as exc:
                raise SecretError(f"Encryption key {position} is not valid base64.") from exc
            if len(key) != 32:
                raise SecretError(f"Encryption key {position} must be 32 bytes, not {len(key)}.")
            keys.append(key)
        self._sealing_key = keys[0]
        self._by_id = {_key_id(k): AESGCM(k) for k in keys}

    def seal(self, plaintext: bytes, *, aad: bytes) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        key_id = _key_id(self._sealing_key)
        ciphertext = self._by_id[key_id].encrypt(nonce, plaintext, aad)
        return bytes([VERSION]) + key_id + nonce + ciphertext

    def open(self, sealed: bytes, *, aad: bytes) -> bytes:
        sealed = bytes(sealed)
        if len(sealed) < 1 + 4 + _NONCE_BYTES + 16 or sealed[0] != VERSION:
            raise SecretError("The sealed value has an unknown format.")
        aead = self._by_id.get(sealed[1:5])
        if aead is None:
            raise SecretError("The sealed value was made with a key that is not configured.")
        nonce = sealed[5 : 5 + _NONCE_BYTES]
        try:
            return aead.decrypt(nonce, sealed[5 + _NONCE_BYTES :], aad)
        except InvalidTag as exc:
            raise SecretError("The sealed value does not belong here or was altered.") from exc

    def is_current(self, sealed: bytes) -> bool:
        return bytes(sealed)[1:5] == _key_id(self._sealing_key)


@cache
def _ring_for(keys: tuple[str, ...]) -> KeyRing:
    return KeyRing(list(keys))


def key_ring() -> KeyRing:
    """The ring configured in settings (``INSTALL_CODE_KEYS`` or ``INSTALL_CODE_KEYS_FILE``)."""
    from django.conf import settings

    keys = list(settings.INSTALL_CODE_KEYS)
    if not keys and settings.INSTALL_CODE_KEYS_FILE:
        with open(settings.INSTALL_CODE_KEYS_FILE, encoding="ascii") as fh:
            keys = [line.strip() for line in fh if line.strip() and not line.startswith("#")]
    return _ring_for(tuple(keys))
