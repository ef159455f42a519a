"""Pseudonymous conversation ids for the channels that know a person by a phone number
or a Facebook PSID (WhatsApp, Messenger, Twilio).

The conversation id is `prefix + token`, with token = AES-SIV(key, platform id,
associated data = the channel prefix) in lowercase base32 without padding. AES-SIV is
deterministic and authenticated:
- the same person on the same channel always gets the same id, so the conversation goes on;
- the id decrypts back to the platform id, so replies (also those pushed later through
  Rasa's HTTP API) can be sent, with no mapping table to store;
- the same number on two channels gives two unrelated ids;
- a forged, altered or foreign id decodes to nothing.

Key: CONVERSATION_ID_KEY, the url-safe base64 (padding optional) of 64 random bytes
(AES-SIV with two 256-bit keys); scripts/setup.sh generates one into .env. Without a
valid key there are no ids: the channels refuse their webhooks (503), never fall back
to clear numbers.

Rotation: a new key gives everybody new ids, so a person who writes again starts a new
conversation (the old one is purged by the 30-day retention). To still reach the old
conversations meanwhile (a reminder pushed through the HTTP API), put the previous
key(s) in CONVERSATION_ID_OLD_KEYS (comma-separated): they decode, never encode.
"""
from __future__ import annotations

import base64
import binascii
import functools
import os
import re

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESSIV

KEY_VARIABLE = "CONVERSATION_ID_KEY"
OLD_KEYS_VARIABLE = "CONVERSATION_ID_OLD_KEYS"
KEY_BYTES = 64
# Phone numbers and PSIDs end in digits: up to 38 of them are packed as one number
# (17 bytes at most), which keeps the ids short (<= 64 characters for real ids).
_TRAILING_DIGITS = re.compile(r"[0-9]{0,38}\Z")


class PseudonymKeyError(RuntimeError):
    """CONVERSATION_ID_KEY is missing or is not 64 bytes in url-safe base64.

    Messages never contain the key."""


@functools.lru_cache(maxsize=8)
def _cipher(encoded: str) -> AESSIV:
    try:
        key = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != KEY_BYTES:
        raise PseudonymKeyError(f"{KEY_VARIABLE} must be the url-safe base64 of {KEY_BYTES} random bytes: "
                                "run scripts/setup.sh (it writes one into .env)")
    return AESSIV(key)


def _encoding_cipher() -> AESSIV:
    encoded = os.environ.get(KEY_VARIABLE, "").strip()
    if not encoded:
        raise PseudonymKeyError(f"{KEY_VARIABLE} is not set: the Messenger, WhatsApp and Twilio channels need it "
                                "to name conversations without phone numbers. Run scripts/setup.sh.")
    return _cipher(encoded)


def _decoding_ciphers() -> list[AESSIV]:
    """The current key, then the old ones; invalid ones are skipped (decoding never raises)."""
    values = [os.environ.get(KEY_VARIABLE, ""), *os.environ.get(OLD_KEYS_VARIABLE, "").split(",")]
    ciphers = []
    for value in filter(None, (v.strip() for v in values)):
        try:
            ciphers.append(_cipher(value))
        except PseudonymKeyError:
            continue
    return ciphers


def configured() -> bool:
    """True when CONVERSATION_ID_KEY holds a valid key."""
    try:
        _encoding_cipher()
    except PseudonymKeyError:
        return False
    return True


def _pack(platform_id: str) -> bytes:
    digits = _TRAILING_DIGITS.search(platform_id).group()
    number = int("1" + digits)  # the leading 1 keeps leading zeros
    packed = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return bytes([len(packed)]) + packed + platform_id[:len(platform_id) - len(digits)].encode("utf-8")


def _unpack(plain: bytes) -> str:
    size = plain[0]
    digits = str(int.from_bytes(plain[1:1 + size], "big"))[1:]
    return plain[1 + size:].decode("utf-8") + digits


def _token(ciphertext: bytes) -> str:
    return base64.b32encode(ciphertext).decode("ascii").rstrip("=").lower()


def _ciphertext(token: str) -> bytes | None:
    """The bytes of a token in its one canonical spelling, else None."""
    try:
        raw = base64.b32decode(token.upper() + "=" * (-len(token) % 8))
    except (binascii.Error, ValueError):
        return None
    return raw if _token(raw) == token else None


def pseudonym(channel_prefix: str, platform_id: str) -> str:
    """The conversation id of `platform_id` on the channel of `channel_prefix`.

    Raises PseudonymKeyError without a valid key: never a clear id."""
    sealed = _encoding_cipher().encrypt(_pack(platform_id), [channel_prefix.encode("utf-8")])
    return channel_prefix + _token(sealed)


def platform_id(channel_prefix: str, conversation_id: str) -> str | None:
    """The platform id inside a conversation id of this channel; None for another
    channel's id, a forged or altered one, or when no key can open it. Never raises."""
    if not isinstance(conversation_id, str) or not conversation_id.startswith(channel_prefix):
        return None
    sealed = _ciphertext(conversation_id[len(channel_prefix):])
    if not sealed:
        return None
    for cipher in _decoding_ciphers():
        try:
            return _unpack(cipher.decrypt(sealed, [channel_prefix.encode("utf-8")]))
        except (InvalidTag, ValueError, IndexError):
            continue
    return None
