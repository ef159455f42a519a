"""Sign-in by e-mailed link, sessions, CSRF tokens and the sign-in rate limits.

- A link's token is 256 random bits, stored only as a keyed hash, valid 15 minutes and
  redeemed once (a conditional UPDATE: of two simultaneous redemptions one wins).
  Opening the link shows a button; only the POST redeems it, so that mail scanners that
  fetch links do not burn it.
- A session id is 256 random bits in a cookie, stored as a keyed hash with its expiry.
- A CSRF token is an HMAC of what the form is bound to (the session id, or before sign-in
  a random pre-session cookie): nothing to store, and useless to another browser.
- Sign-in requests are counted per address and per client in code_attempts (shared by
  every replica); the answer is the same whether the address is known or not.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot import content
from bot.agenda import messages, references
from bot.privacy.crypto import same_secret
from bot.agenda.outbox import enqueue
from bot.agenda.schema import code_attempts, mediator_sessions, mediators, signin_links

LINK_TTL = timedelta(minutes=15)
SESSION_TTL = timedelta(hours=8)


@dataclass(frozen=True)
class SigninLimits:
    per_address: int = 3
    per_client: int = 10
    window: timedelta = timedelta(minutes=15)  # expire_holds forgets counters after 15 minutes


class RateLimited(Exception):
    def __init__(self, retry_after: int):
        super().__init__("too many sign-in requests")
        self.retry_after = retry_after


def _keyed(purpose: str, value: str) -> str:
    return hmac.new(references.secret_key(), f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def csrf_token(binding: str) -> str:
    return _keyed("csrf", binding)[:43]


def csrf_ok(binding: str | None, given: Any) -> bool:
    return bool(binding) and same_secret(given, csrf_token(binding))


def _count(connection: sa.engine.Connection, key: str, limit: int, window: timedelta, now: datetime) -> int | None:
    """Count one request under `key`; the seconds to wait if the limit is already reached."""
    dialect_insert = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
    connection.execute(dialect_insert(code_attempts).values(key=key, failures=0, window_started=now)
                       .on_conflict_do_nothing(index_elements=["key"]))
    row = code_attempts.c
    connection.execute(code_attempts.update().where(row.key == key, row.window_started <= now - window)
                       .values(failures=0, window_started=now))
    current = connection.execute(sa.select(code_attempts).where(row.key == key)).first()
    if current.failures >= limit:
        return max(1, int((current.window_started + window - now).total_seconds()) + 1)
    connection.execute(code_attempts.update().where(row.key == key).values(failures=row.failures + 1))
    return None


def request_link(engine: sa.engine.Engine, email: str, client: str, now: datetime, space_url: str,
                 limits: SigninLimits = SigninLimits()) -> None:
    """Send a sign-in link if `email` is an active mediator's; the caller answers the same
    either way. Raises RateLimited past the limits (for known and unknown addresses alike)."""
    address = email.strip().lower()
    with engine.begin() as connection:
        waits = [_count(connection, "signin-client:" + _keyed("client", client)[:60], limits.per_client,
                        limits.window, now),
                 _count(connection, "signin-mail:" + _keyed("mail", address)[:60], limits.per_address,
                        limits.window, now)]
        waits = [wait for wait in waits if wait]
        if waits:
            raise RateLimited(max(waits))
        mediator = connection.execute(sa.select(mediators.c.id, mediators.c.email).where(
            sa.func.lower(mediators.c.email) == address, mediators.c.active.is_(True))).first()
        if mediator is None:
            return
        token = new_token()
        token_hash = _keyed("signin", token)
        connection.execute(signin_links.insert().values(token_hash=token_hash, mediator_id=mediator.id,
                                                        created_at=now, expires_at=now + LINK_TTL))
        link = f"{space_url}/connexion/{token}"
        text = content.SPACE_SIGNIN_TEXT.format(link=link, minutes=int(LINK_TTL.total_seconds() // 60))
        enqueue(connection, dedup_key=f"signin:{token_hash[:40]}", channel="email", recipient=mediator.email,
                recipient_kind="mediator", subject=content.SPACE_SIGNIN_SUBJECT, text=text,
                html=messages.to_html(content.SPACE_SIGNIN_SUBJECT, text), mediator_id=mediator.id, now=now)


def link_usable(engine: sa.engine.Engine, token: str, now: datetime) -> bool:
    with engine.connect() as connection:
        return connection.execute(sa.select(signin_links.c.token_hash).where(
            signin_links.c.token_hash == _keyed("signin", token), signin_links.c.used_at.is_(None),
            signin_links.c.expires_at > now)).first() is not None


def redeem_link(engine: sa.engine.Engine, token: str, now: datetime) -> str | None:
    """A new session id if the link is valid, unused and not expired (then it is used up)."""
    token_hash = _keyed("signin", token)
    with engine.begin() as connection:
        used = connection.execute(signin_links.update().where(
            signin_links.c.token_hash == token_hash, signin_links.c.used_at.is_(None),
            signin_links.c.expires_at > now).values(used_at=now)).rowcount
        if used != 1:
            return None
        mediator_id = connection.execute(sa.select(signin_links.c.mediator_id)
                                         .where(signin_links.c.token_hash == token_hash)).scalar()
        active = connection.execute(sa.select(mediators.c.active).where(mediators.c.id == mediator_id)).scalar()
        if not active:
            return None
        session_id = new_token()
        connection.execute(mediator_sessions.insert().values(id_hash=_keyed("session", session_id),
                                                             mediator_id=mediator_id, created_at=now,
                                                             expires_at=now + SESSION_TTL))
        # Old links and sessions are of no use: forget them here rather than in a separate job.
        connection.execute(signin_links.delete().where(signin_links.c.expires_at < now - timedelta(days=1)))
        connection.execute(mediator_sessions.delete().where(mediator_sessions.c.expires_at < now))
        return session_id


def session_mediator(engine: sa.engine.Engine, session_id: str | None, now: datetime) -> dict | None:
    """The active mediator of a live session, else None."""
    if not session_id or len(session_id) > 64:
        return None
    with engine.connect() as connection:
        row = connection.execute(sa.select(mediators).join(
            mediator_sessions, mediator_sessions.c.mediator_id == mediators.c.id).where(
            mediator_sessions.c.id_hash == _keyed("session", session_id), mediator_sessions.c.expires_at > now,
            mediators.c.active.is_(True))).first()
        return dict(row._mapping) if row else None


def end_session(engine: sa.engine.Engine, session_id: str | None) -> None:
    if session_id:
        with engine.begin() as connection:
            connection.execute(mediator_sessions.delete().where(
                mediator_sessions.c.id_hash == _keyed("session", session_id)))


def end_all_sessions(connection: sa.engine.Connection, mediator_id: int) -> None:
    """A deactivated mediator is signed out everywhere."""
    connection.execute(mediator_sessions.delete().where(mediator_sessions.c.mediator_id == mediator_id))
    connection.execute(signin_links.delete().where(signin_links.c.mediator_id == mediator_id))
