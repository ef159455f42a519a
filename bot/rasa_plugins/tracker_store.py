"""A SQL tracker store that keeps no user words before consent and forgets a refusal.

- Until the person accepts the notice (slot `consent` == "given"), user texts,
  entities and free-text slot values are written redacted: the dialogue state
  (intent names, actions) survives, the person's words do not.
- When the person refuses (slot `consent` == "refused"), every stored event of that
  conversation is deleted and nothing of it is written.
- Every event is stored encrypted (`data` column, Fernet keys from TRACKER_ENCRYPTION_KEYS,
  bot/privacy/crypto.py); the clear columns hold only the event type, the timestamp and,
  for a slot event, the slot's name. Rows written before encryption are still read.
Works on SQLite (default) and PostgreSQL like Rasa's own SQLTrackerStore. With
`url_from_env: DATABASE_URL` in endpoints.yml, a set DATABASE_URL (e.g.
postgresql://user:pw@host:5432/mediation) replaces the configured SQLite file; its pool
holds DATABASE_POOL_SIZE connections (default 5) plus DATABASE_MAX_OVERFLOW (default 5).
"""
from __future__ import annotations

import contextlib
import json
import logging
import os
import re
from typing import Any, Iterator, Optional

import sqlalchemy
from rasa.core.tracker_store import SQLTrackerStore, ensure_schema_exists
from rasa.shared.core.trackers import DialogueStateTracker

from bot.privacy import crypto
from bot.privacy.wal import checkpoint_wal
from bot.rasa_plugins import offered_buttons

offered_buttons.install()  # the Rasa server loads this module from endpoints.yml: there a payload counts only when its button was offered
logger = logging.getLogger(__name__)
CONSENT_SLOT = "consent"
REDACTED = None
_CODE_VALUE = re.compile(r"^[a-z_]{1,32}$")
DEFAULT_POOL_SIZE, DEFAULT_MAX_OVERFLOW = 5, 5


def redact_event(data: dict[str, Any]) -> dict[str, Any]:
    """The event as stored before consent: no user words, no entity values."""
    data = json.loads(json.dumps(data))  # deep copy of JSON-able data
    if data.get("event") == "user":
        data["text"] = REDACTED
        parse_data = data.get("parse_data") or {}
        parse_data["text"] = REDACTED
        parse_data["entities"] = []
        data["parse_data"] = parse_data
        data.pop("metadata", None)
    elif data.get("event") == "slot":
        value = data.get("value")
        if isinstance(value, str) and not _CODE_VALUE.match(value):
            data["value"] = REDACTED
    return data


def _sqlite_settings(connection: Any, _record: Any) -> None:
    # secure_delete: an erased conversation must not linger in SQLite's free pages (PostgreSQL:
    # VACUUM reclaims them, docs/security.md).
    # WAL + synchronous=NORMAL: a commit appends to the log without an fsync (0.9 → 0.1 ms
    # here, docs/performance.md). A crash of the process loses nothing; a power cut may lose
    # the last turns, never corrupt the file. Deleted rows' old pages may sit in the log:
    # checkpoint_wal() after every erasure, purge and rotation.
    connection.execute("PRAGMA secure_delete = ON")
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = NORMAL")


def sqlite_engine(url: Any) -> Any:
    """SQLAlchemy 1.4 gives a SQLite file a NullPool: a new connection, and its PRAGMAs, for
    every session, twice a turn; and in WAL mode the last connection to close checkpoints
    the log each time. A small pool keeps them open instead (SQLAlchemy 2's default for a
    file). A pooled connection serves one session at a time, from whichever thread: hence
    check_same_thread off. Every connection gets our settings (_sqlite_settings)."""
    engine = sqlalchemy.create_engine(url, poolclass=sqlalchemy.pool.QueuePool, pool_size=DEFAULT_POOL_SIZE,
                                      max_overflow=DEFAULT_MAX_OVERFLOW, connect_args={"check_same_thread": False})
    sqlalchemy.event.listen(engine, "connect", _sqlite_settings)
    return engine


def connection_settings(url: str) -> dict[str, Any]:
    """SQLTrackerStore's keyword arguments for a database URL (postgres:// accepted)."""
    if url.startswith("postgres://"):  # the form many hosts hand out
        url = "postgresql://" + url[len("postgres://"):]
    parsed = sqlalchemy.engine.make_url(url)
    return {"dialect": parsed.drivername, "host": parsed.host, "port": parsed.port, "db": parsed.database,
            "username": parsed.username, "password": parsed.password, "query": dict(parsed.query) or None}


def apply_pool_sizes() -> None:
    """Our pool sizes, where Rasa's SQLTrackerStore reads them when it creates its engine
    (SQL_POOL_SIZE / SQL_MAX_OVERFLOW in create_engine_kwargs, PostgreSQL only). Rasa's own
    defaults, 50 + 100 per process, would let two replicas exhaust PostgreSQL's 100 connections;
    a replica's turns use the store from one event loop, a few connections suffice."""
    os.environ["SQL_POOL_SIZE"] = str(int(os.environ.get("DATABASE_POOL_SIZE") or DEFAULT_POOL_SIZE))
    os.environ["SQL_MAX_OVERFLOW"] = str(int(os.environ.get("DATABASE_MAX_OVERFLOW") or DEFAULT_MAX_OVERFLOW))


class ConsentAwareSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, url_from_env: str | None = None, **kwargs: Any) -> None:
        """`url_from_env`: the environment variable whose database URL, when set, replaces
        the dialect/host/port/db/username/password given (endpoints.yml: DATABASE_URL)."""
        self.fernet = crypto.load_keys()  # before connecting: no key, no store
        url = os.environ.get(url_from_env) if url_from_env else None
        if url:
            kwargs.pop("host", None)  # endpoints.yml's `url`, if any: the variable wins
            kwargs.update(connection_settings(url))
        apply_pool_sizes()
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name == "sqlite":
            self.engine.dispose()
            self.engine = sqlite_engine(self.engine.url)
            self.sessionmaker = sqlalchemy.orm.sessionmaker(bind=self.engine)

    @contextlib.contextmanager
    def session_scope(self) -> Iterator[Any]:
        """Rasa's session scope, minus its `except ValueError: sys.exit(1)`: Rasa reads every
        ValueError as "the PostgreSQL schema is missing" and ends the process, yet a sender id
        the driver cannot bind (a lone surrogate: UnicodeEncodeError; a NUL byte on PostgreSQL)
        is a ValueError too. Here an error is an error: the turn fails (the channel apologises,
        bot/channels/turn.py) and the server keeps serving everybody else."""
        session = self.sessionmaker()
        try:
            ensure_schema_exists(session)
            yield session
        except Exception:
            session.rollback()
            raise
        finally:
            session.close()

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool) -> Optional[DialogueStateTracker]:
        # Rasa's SQLTrackerStore._retrieve, decrypting the `data` column.
        with self.session_scope() as session:
            # Only the `data` column: the same rows in the same order, without building an ORM
            # object per event (a third of the retrieval's time under load, py-spy).
            rows = self._event_query(session, sender_id, fetch_events_from_all_sessions=fetch_events_from_all_sessions) \
                .with_entities(self.SQLEvent.data).all()
            events = [crypto.decrypt_event(self.fernet, row.data) for row in rows]
        if self.domain and events:
            return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        return None

    async def save(self, tracker: DialogueStateTracker) -> None:
        consent = tracker.get_slot(CONSENT_SLOT)
        if consent == "refused":
            self.erase(tracker.sender_id)
            return
        await self.stream_events(tracker)
        with self.session_scope() as session:
            for event in self._additional_events(session, tracker):
                data = event.as_dict()
                if consent != "given":
                    data = redact_event(data)
                session.add(
                    self.SQLEvent(
                        sender_id=tracker.sender_id,
                        type_name=event.type_name,
                        timestamp=data.get("timestamp"),
                        # Clear columns reveal nothing of the situation: no intent name (it
                        # would tell `safety_alert` or the dispute's domain), no action name;
                        # a slot event keeps its slot's name (the retention purge looks for
                        # `booking_reference`), its value is in the encrypted data.
                        intent_name=None,
                        action_name=data.get("name") if event.type_name == "slot" else None,
                        data=crypto.encrypt_event(self.fernet, data),
                    )
                )
            session.commit()

    def erase(self, sender_id: str) -> int:
        """Delete every stored event of one conversation; returns how many rows went."""
        with self.session_scope() as session:
            deleted = session.query(self.SQLEvent).filter(self.SQLEvent.sender_id == sender_id).delete()
            session.commit()
        checkpoint_wal(self.engine)
        logger.info("Erased a conversation (%d events)", deleted)
        return deleted
