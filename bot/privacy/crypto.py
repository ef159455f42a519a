"""Encryption at rest of the tracker store's event rows.

Keys come from the environment variable TRACKER_ENCRYPTION_KEYS: comma-separated
Fernet keys, newest first. The first key encrypts; any of them decrypts. Rotation:
prepend a new key, run `python -m bot.privacy rotate` (re-encrypts every row with the
first key), then drop the old key. scripts/setup.sh generates a key into .env.

A stored row's `data` column holds `{"enc": "fernet-v1", "token": "<Fernet token>"}`
instead of the event JSON. Rows written before encryption (plain event JSON) are still
read, and `rotate` encrypts them.
"""
from __future__ import annotations

import hmac
import json
import os
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

KEYS_VARIABLE = "TRACKER_ENCRYPTION_KEYS"
MARK = "fernet-v1"


class TrackerKeyError(RuntimeError):
    """The encryption keys are missing or invalid, or a row can't be decrypted with them.

    Messages never contain stored content."""


def load_keys(value: str | None = None) -> MultiFernet:
    """The MultiFernet of TRACKER_ENCRYPTION_KEYS (or of `value`), newest key first."""
    value = os.environ.get(KEYS_VARIABLE, "") if value is None else value
    raw_keys = [key.strip() for key in value.split(",") if key.strip()]
    if not raw_keys:
        raise TrackerKeyError(
            f"{KEYS_VARIABLE} is not set: the tracker store encrypts conversations at rest and needs "
            "at least one Fernet key. Run scripts/setup.sh (it writes one into .env), or set it to the "
            "output of: python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
        )
    try:
        return MultiFernet([Fernet(key.encode()) for key in raw_keys])
    except (ValueError, TypeError):
        raise TrackerKeyError(f"{KEYS_VARIABLE} holds a value that is not a Fernet key "
                              "(32 url-safe base64-encoded bytes)") from None


def encrypt_event(fernet: MultiFernet, data: dict[str, Any]) -> str:
    """The `data` column value of an event: its JSON, encrypted and marked."""
    token = fernet.encrypt(json.dumps(data).encode("utf-8")).decode("ascii")
    return json.dumps({"enc": MARK, "token": token})


def _token(stored: Any) -> str | None:
    if isinstance(stored, dict) and stored.get("enc") == MARK and set(stored) == {"enc", "token"}:
        return stored["token"]
    return None


def is_encrypted(column: str) -> bool:
    try:
        return _token(json.loads(column)) is not None
    except ValueError:
        return False


def decrypt_event(fernet: MultiFernet, column: str) -> dict[str, Any]:
    """The event dict of a stored `data` column; plain (legacy) event JSON is returned as is."""
    try:
        stored = json.loads(column)
    except ValueError:
        raise TrackerKeyError("A stored tracker event is neither JSON nor an encrypted event") from None
    token = _token(stored)
    if token is None:
        return stored
    try:
        return json.loads(fernet.decrypt(token.encode("ascii")))
    except InvalidToken:
        raise TrackerKeyError(
            f"A stored tracker event can't be decrypted with the keys in {KEYS_VARIABLE}: "
            "was a key dropped before running `python -m bot.privacy rotate`?"
        ) from None


def rotate_column(fernet: MultiFernet, column: str) -> str:
    """The column re-encrypted with the newest key (a legacy plain row gets encrypted)."""
    token = _token(json.loads(column))
    if token is None:
        return encrypt_event(fernet, json.loads(column))
    try:
        new_token = fernet.rotate(token.encode("ascii")).decode("ascii")
    except InvalidToken:
        raise TrackerKeyError(f"A stored tracker event can't be decrypted with the keys in {KEYS_VARIABLE}") from None
    return json.dumps({"enc": MARK, "token": new_token})


def same_secret(given: object, expected: str) -> bool:
    """Constant-time comparison of what a client sent (a header, a form field, a button's payload:
    any text, non-ASCII and lone surrogates included) with the expected secret; never raises."""
    return isinstance(given, str) and hmac.compare_digest(given.encode("utf-8", "surrogatepass"),
                                                          expected.encode("utf-8"))
