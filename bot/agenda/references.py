"""Booking references a person can read aloud (MED-7K3Q9) and the secret that goes with them."""
from __future__ import annotations

import hashlib
import hmac
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


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.strip().lower().encode()).hexdigest()


def secret_matches(secret: str | None, stored_hash: str) -> bool:
    return bool(secret) and hmac.compare_digest(hash_secret(secret), stored_hash)


def find_reference(text: str | None) -> str | None:
    match = REFERENCE_PATTERN.search((text or "").upper())
    return match.group(0) if match else None


def find_secret(text: str | None) -> str | None:
    match = SECRET_PATTERN.search(text or "")
    return match.group(1).lower() if match else None
