"""Retention and key rotation on the tracker store (ConsentAwareSQLTrackerStore).

- purge: every event of a conversation whose last event is older than N days
  (RETENTION_DAYS, default 30) is deleted, unless the conversation led to a booking
  (a `booking_reference` slot was set to a value in it).
- rotate: every row is re-encrypted with the newest key of TRACKER_ENCRYPTION_KEYS
  (rows written before encryption get encrypted, and their clear intent/action names cleared).
Both only report counts: no conversation id, no content.
"""
from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass

import sqlalchemy as sa

from bot.privacy import crypto
from bot.privacy.wal import checkpoint_wal

logger = logging.getLogger(__name__)
DEFAULT_RETENTION_DAYS = 30
BOOKING_SLOT = "booking_reference"
_BATCH = 500


def retention_days(value: str | None = None) -> int:
    value = os.environ.get("RETENTION_DAYS", "") if value is None else value
    days = int(value) if value.strip() else DEFAULT_RETENTION_DAYS
    if days < 1:
        raise ValueError("RETENTION_DAYS must be at least 1")
    return days


@dataclass
class PurgeResult:
    conversations: int
    events: int
    kept_with_booking: int


def booked_conversations(store) -> set[str]:
    """Sender ids of the conversations in which a booking reference was set."""
    event = store.SQLEvent
    booked = set()
    with store.session_scope() as session:
        rows = session.query(event.sender_id, event.data).filter(event.type_name == "slot",
                                                                 event.action_name == BOOKING_SLOT)
        for sender_id, data in rows:
            if sender_id not in booked and crypto.decrypt_event(store.fernet, data).get("value"):
                booked.add(sender_id)
    return booked


def purge(store, days: int, dry_run: bool = False, now: float | None = None) -> PurgeResult:
    """Delete the conversations idle for more than `days` days that led to no booking."""
    cutoff = (time.time() if now is None else now) - days * 86400
    event = store.SQLEvent
    with store.session_scope() as session:
        stale = [sender_id for (sender_id,) in session.query(event.sender_id)
                 .group_by(event.sender_id).having(sa.func.max(event.timestamp) < cutoff)]
    booked = booked_conversations(store) if stale else set()
    doomed = [sender_id for sender_id in stale if sender_id not in booked]
    events = 0
    with store.session_scope() as session:
        for start in range(0, len(doomed), _BATCH):
            query = session.query(event).filter(event.sender_id.in_(doomed[start:start + _BATCH]))
            events += query.count() if dry_run else query.delete(synchronize_session=False)
        if not dry_run:
            session.commit()
    if events and not dry_run:
        _vacuum(store)
    result = PurgeResult(conversations=len(doomed), events=events, kept_with_booking=len(set(stale) & booked))
    logger.info("Retention purge (%d days%s): %d conversations, %d events; %d kept for a booking",
                days, ", dry run" if dry_run else "", result.conversations, result.events, result.kept_with_booking)
    return result


def rotate(store) -> int:
    """Re-encrypt every row with the newest key; returns how many rows were rewritten."""
    event = store.SQLEvent
    last_id, rewritten = 0, 0
    while True:
        with store.session_scope() as session:
            rows = session.query(event).filter(event.id > last_id).order_by(event.id).limit(_BATCH).all()
            if not rows:
                break
            for row in rows:
                row.data = crypto.rotate_column(store.fernet, row.data)
                row.intent_name = None  # legacy rows had them in clear (see bot/rasa_plugins/tracker_store.py)
                if row.type_name != "slot":
                    row.action_name = None
                rewritten += 1
            last_id = rows[-1].id
            session.commit()
    if rewritten:
        _vacuum(store)  # don't leave old ciphertexts or legacy clear rows in free pages
    logger.info("Key rotation: %d events re-encrypted", rewritten)
    return rewritten


def _vacuum(store) -> None:
    statement = {"sqlite": "VACUUM", "postgresql": f"VACUUM {store.SQLEvent.__tablename__}"}.get(
        store.engine.dialect.name)
    if statement:
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql(statement)
    checkpoint_wal(store.engine)  # SQLite in WAL mode: nothing of the old pages left in the log
