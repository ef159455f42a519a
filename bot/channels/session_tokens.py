"""Conversation tokens the server mints for the website widget.

The browser never chooses its conversation id (Rasa's socket.io `session_request`
lets it, so anyone knowing an id could join that conversation). The server mints a
random id and signs it in a short JWT; every socket and HTTP call proves it with the
token, and the id is read from the token only.
"""
from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

import jwt

from bot.channels import conversation_ids

ALGORITHM = "HS256"
AUDIENCE = "mediation-accueil-widget"
LIFETIME_SECONDS = 30 * 24 * 3600  # a conversation can be resumed for 30 days
PREFIX = conversation_ids.WIDGET


@dataclass(frozen=True)
class Session:
    conversation_id: str
    token: str
    expires_at: int  # Unix time


class SessionTokens:
    def __init__(self, secret: str, lifetime_seconds: int = LIFETIME_SECONDS, clock=time.time) -> None:
        if len(secret) < 32:
            raise ValueError("the widget secret must have at least 32 characters")
        self._secret = secret
        self._lifetime = lifetime_seconds
        self._clock = clock

    def mint(self, conversation_id: str | None = None) -> Session:
        """A token for `conversation_id`, or for a new random conversation."""
        conversation_id = conversation_id or PREFIX + secrets.token_hex(16)
        now = int(self._clock())
        expires_at = now + self._lifetime
        token = jwt.encode({"sub": conversation_id, "aud": AUDIENCE, "iat": now, "exp": expires_at},
                           self._secret, algorithm=ALGORITHM)
        return Session(conversation_id, token, expires_at)

    def conversation_of(self, token: object) -> str | None:
        """The conversation id a genuine, unexpired token names; None for anything else."""
        # A JWT is ASCII: anything else (a lone surrogate made PyJWT raise while encoding) is no token.
        if not isinstance(token, str) or not token or len(token) > 2048 or not token.isascii():
            return None
        try:
            # Expiry is checked against our clock (injectable for tests), not PyJWT's.
            claims = jwt.decode(token, self._secret, algorithms=[ALGORITHM], audience=AUDIENCE,
                                options={"require": ["sub", "exp", "aud"], "verify_exp": False})
        except jwt.PyJWTError:
            return None
        if not isinstance(claims.get("exp"), int) or claims["exp"] <= self._clock():
            return None
        subject = claims.get("sub")
        if isinstance(subject, str) and subject.startswith(PREFIX) and len(subject) <= 64 \
                and conversation_ids.valid(subject):
            return subject
        return None
