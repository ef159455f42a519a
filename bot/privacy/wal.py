"""SQLite's write-ahead log must not keep what was erased.

The tracker store runs SQLite in WAL mode (bot/rasa_plugins/tracker_store.py): a change is
appended to `<db>-wal` and copied into the database file later. Old frames of the log can
still hold pages of rows since deleted (erasure, retention purge) or re-encrypted (key
rotation), and `secure_delete` only overwrites the database file. After each of these, the
log is checkpointed and truncated to zero bytes.
"""
from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger(__name__)


def checkpoint_wal(engine: Any) -> bool:
    """Copy the log into the database file and truncate it; True when done (always on a
    database other than SQLite, or SQLite not in WAL mode: nothing to do)."""
    if engine.dialect.name != "sqlite":
        return True
    with engine.connect() as connection:
        busy, _, _ = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    if busy:  # a reader still holds an older snapshot: the next checkpoint finishes the job
        logger.warning("SQLite WAL checkpoint incomplete (a reader was active); it is retried at the next erasure")
    return not busy
