"""Encryption at rest of the agenda's personal data: the person's name and contact, the
brief, and the outbox's recipients, bodies and attachments.

Same keys and rotation as the conversations (bot/privacy/crypto.py: TRACKER_ENCRYPTION_KEYS,
newest first; `make rotate` re-encrypts with the newest key, then the old key can go).
A text column holds "fernet-v1:<token>"; a JSON column (the brief) holds
{"enc": "fernet-v1", "token": "<token>"}, the tracker's own format. Values written before
encryption (plain text, plain JSON) are still read as they are, and `rotate` encrypts them.

Without TRACKER_ENCRYPTION_KEYS (a unit test, a bare `python -m bot.agenda serve`) a fixed
development key is used with a warning, as references.py does for the booking codes:
`make run` and the deployments always have the keys (scripts/make_env.sh writes them).
"""
from __future__ import annotations

import base64
import functools
import hashlib
import json
import logging
import os
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from bot.privacy import crypto

PREFIX = crypto.MARK + ":"
log = logging.getLogger(__name__)


class SealError(RuntimeError):
    """A stored value can't be decrypted with the configured keys (the message holds no data)."""


@functools.lru_cache(maxsize=4)
def _fernet(value: str) -> MultiFernet:
    if value.strip():
        return crypto.load_keys(value)
    log.warning("%s is not set: the agenda's personal data is encrypted with a development key",
                crypto.KEYS_VARIABLE)
    key = base64.urlsafe_b64encode(hashlib.sha256(b"development-only-agenda-encryption-key").digest())
    return MultiFernet([Fernet(key)])


def fernet() -> MultiFernet:
    return _fernet(os.environ.get(crypto.KEYS_VARIABLE, ""))


def _decrypt(token: str) -> bytes:
    try:
        return fernet().decrypt(token.encode("ascii"))
    except InvalidToken:
        raise SealError(f"An agenda value can't be decrypted with the keys in {crypto.KEYS_VARIABLE}: "
                        "was a key dropped before running `make rotate`?") from None


# ---- text columns -------------------------------------------------------------------------
def seal(text: str | None) -> str | None:
    if text is None:
        return None
    return PREFIX + fernet().encrypt(text.encode("utf-8")).decode("ascii")


def is_sealed(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


def unseal(value: str | None) -> str | None:
    if not is_sealed(value):
        return value  # None, or a value written before encryption
    return _decrypt(value[len(PREFIX):]).decode("utf-8")


def seal_bytes(data: bytes) -> str:
    return PREFIX + fernet().encrypt(data).decode("ascii")


def unseal_bytes(value: str) -> bytes:
    if not is_sealed(value):
        return value.encode("utf-8")
    return _decrypt(value[len(PREFIX):])


# ---- JSON columns -------------------------------------------------------------------------
def seal_json(data: Any) -> dict[str, str]:
    return {"enc": crypto.MARK, "token": fernet().encrypt(json.dumps(data).encode("utf-8")).decode("ascii")}


def is_sealed_json(value: Any) -> bool:
    return isinstance(value, dict) and value.get("enc") == crypto.MARK and set(value) == {"enc", "token"}


def unseal_json(value: Any) -> Any:
    if not is_sealed_json(value):
        return value
    return json.loads(_decrypt(value["token"]))


# ---- rotation ------------------------------------------------------------------------------
def rotate(value: Any) -> Any:
    """The stored value re-encrypted with the newest key; a plain (older) value gets encrypted."""
    if value is None:
        return None
    if is_sealed(value):
        try:
            return PREFIX + fernet().rotate(value[len(PREFIX):].encode("ascii")).decode("ascii")
        except InvalidToken:
            raise SealError(f"An agenda value can't be decrypted with the keys in {crypto.KEYS_VARIABLE}") from None
    if is_sealed_json(value):
        try:
            return {"enc": crypto.MARK, "token": fernet().rotate(value["token"].encode("ascii")).decode("ascii")}
        except InvalidToken:
            raise SealError(f"An agenda value can't be decrypted with the keys in {crypto.KEYS_VARIABLE}") from None
    return seal(value) if isinstance(value, str) else seal_json(value)
