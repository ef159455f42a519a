"""Booking references a person can read aloud (MED-7K3Q9) and the secret that goes with them.

The secret (the booking's code) is stored as HMAC-SHA256, keyed by AGENDA_SECRET_KEY (a
secret of the agenda service's own, in .env, never in the database), of its SHA-256: so a
copy of the database alone does not let anyone test guesses offline, and the bookings
made before (stored as the bare SHA-256, scheme NULL) are migrated without knowing their
codes (migration 0002). The calendar link carries its own random token, stored the same way.
"""
from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import os
import re
import secrets


# No 0/O, 1/I/L or U: nothing to confuse on the phone or in handwriting.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
REFERENCE_PATTERN = re.compile(r"\bMED-[" + ALPHABET + r"]{5}\b")
# The secret is only looked for after the word "code", never as any 8-letter word.
SECRET_PATTERN = re.compile(r"\bcode\s*:?\s*([a-z2-9]{8})\b", re.IGNORECASE)
_SECRET_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def new_reference() -> str:
    return "MED-" + "".join(secrets.choice(ALPHABET) for _ in range(5))


def new_secret() -> str:
    """8 characters, ~39 bits: enough with rate limits, short enough to type."""
    return "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(8))


KEY_VARIABLE = "AGENDA_SECRET_KEY"
SCHEME = "hmac-sha256"  # bookings.secret_scheme; NULL: the bare SHA-256 of before
logger = logging.getLogger(__name__)


@functools.lru_cache(maxsize=4)
def _key(configured: str, token: str) -> bytes:
    if configured:
        return hashlib.sha256(b"agenda-secret-key:" + configured.encode()).digest()
    if token:
        logger.warning("%s is not set: booking codes are keyed by a key derived from AGENDA_TOKEN "
                       "(scripts/make_env.sh generates %s)", KEY_VARIABLE, KEY_VARIABLE)
        return hmac.new(token.encode(), b"agenda-booking-codes", hashlib.sha256).digest()
    logger.warning("%s and AGENDA_TOKEN are not set: booking codes use a development key", KEY_VARIABLE)
    return b"development-only-agenda-secret-key"


def secret_key() -> bytes:
    return _key(os.environ.get(KEY_VARIABLE, "").strip(), os.environ.get("AGENDA_TOKEN", "").strip())


def legacy_hash(secret: str) -> str:
    return hashlib.sha256(secret.strip().lower().encode()).hexdigest()


def keyed(digest: str) -> str:
    """The stored form of a legacy digest: HMAC-SHA256 under the agenda's key."""
    return hmac.new(secret_key(), digest.encode(), hashlib.sha256).hexdigest()


def hash_secret(secret: str) -> str:
    return keyed(legacy_hash(secret))


def secret_matches(secret: str | None, stored_hash: str, scheme: str | None = SCHEME) -> bool:
    if not secret:
        return False
    candidate = hash_secret(secret) if scheme == SCHEME else legacy_hash(secret)
    return hmac.compare_digest(candidate, stored_hash)


def new_calendar_token() -> str:
    """The calendar link's token: 192 random bits, unrelated to the code."""
    return secrets.token_urlsafe(24)


def hash_calendar_token(token: str) -> str:
    return hmac.new(secret_key(), b"calendar:" + token.encode(), hashlib.sha256).hexdigest()


def find_reference(text: str | None) -> str | None:
    match = REFERENCE_PATTERN.search((text or "").upper())
    return match.group(0) if match else None


def find_secret(text: str | None) -> str | None:
    match = SECRET_PATTERN.search(text or "")
    return match.group(1).lower() if match else None
