"""Database engine and migrations for the agenda service.

SQLite by default (var/agenda.db), PostgreSQL when AGENDA_DATABASE_URL (else DATABASE_URL)
says so. SQLite gets WAL and a busy timeout so that concurrent writers wait instead of
failing; its writes are serialised, which with the conditional updates in store.py gives
one winner. On PostgreSQL the pool holds AGENDA_POOL_SIZE connections (default 10) plus
AGENDA_MAX_OVERFLOW (default 10): the service runs its queries on 16 threads (service.py).
The schema is Alembic's (migrations/), brought to the newest revision by `migrate`.
"""
from __future__ import annotations

import os
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from bot.paths import VAR

DEFAULT_URL = f"sqlite:///{VAR / 'agenda.db'}"
DEFAULT_POOL_SIZE, DEFAULT_MAX_OVERFLOW = 10, 10
MIGRATIONS = Path(__file__).parent / "migrations"


def database_url() -> str:
    return os.environ.get("AGENDA_DATABASE_URL") or os.environ.get("DATABASE_URL") or DEFAULT_URL


def make_engine(url: str | None = None, pool_size: int | None = None,
                max_overflow: int | None = None) -> sa.engine.Engine:
    url = url or database_url()
    if url.startswith("postgres://"):  # the form many hosts hand out
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, future=True)

        @sa.event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # noqa: ANN001
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    if pool_size is None:
        pool_size = int(os.environ.get("AGENDA_POOL_SIZE") or DEFAULT_POOL_SIZE)
    if max_overflow is None:
        max_overflow = int(os.environ.get("AGENDA_MAX_OVERFLOW") or DEFAULT_MAX_OVERFLOW)
    return sa.create_engine(url, pool_size=pool_size, max_overflow=max_overflow, pool_pre_ping=True, future=True)


def migrate(engine: sa.engine.Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` with Alembic (idempotent)."""
    if engine.url.get_backend_name() == "sqlite" and engine.url.database:
        Path(engine.url.database).parent.mkdir(parents=True, exist_ok=True)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    if engine.url.get_backend_name() == "sqlite" and engine.url.database:
        # The bookings hold names and contacts: readable by the service's own user only.
        for suffix in ("", "-wal", "-shm"):
            path = Path(engine.url.database + suffix)
            if path.exists():
                path.chmod(0o600)
