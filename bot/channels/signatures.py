"""Webhook signatures: a request that is not signed by the platform never reaches the bot.

- Meta (Messenger and WhatsApp Cloud API): header X-Hub-Signature-256 = "sha256=" +
  HMAC-SHA256(app secret, raw body), compared in constant time against the RAW bytes
  (re-serialised JSON would not match).
- Twilio: header X-Twilio-Signature, checked by Twilio's own RequestValidator.
"""
from __future__ import annotations

import hashlib
import hmac
from typing import Mapping

from twilio.request_validator import RequestValidator

META_HEADER = "X-Hub-Signature-256"
TWILIO_HEADER = "X-Twilio-Signature"


def meta_signature(app_secret: str, raw_body: bytes) -> str:
    return "sha256=" + hmac.new(app_secret.encode(), raw_body, hashlib.sha256).hexdigest()


def meta_signature_valid(app_secret: str | None, raw_body: bytes, header: str | None) -> bool:
    """False when the secret is not configured, the header is missing or malformed, or it differs."""
    if not app_secret or not header or not header.startswith("sha256="):
        return False
    return hmac.compare_digest(meta_signature(app_secret, raw_body).encode(), header.strip().encode())


def twilio_signature_valid(auth_token: str | None, url: str, params: Mapping[str, str], header: str | None) -> bool:
    if not auth_token or not header:
        return False
    return RequestValidator(auth_token).validate(url, dict(params), header)
