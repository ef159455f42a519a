"""The agenda's database settings (bot/agenda/db.py): which URL, and explicit pool sizes."""
from bot.agenda import db

POSTGRES = "postgresql://agenda@127.0.0.1:5432/agenda"


def test_the_url_is_agenda_database_url_else_database_url_else_sqlite(monkeypatch):
    monkeypatch.delenv("AGENDA_DATABASE_URL", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert db.database_url() == db.DEFAULT_URL and db.DEFAULT_URL.startswith("sqlite:///")
    monkeypatch.setenv("DATABASE_URL", "postgresql://shared@127.0.0.1/mediation")
    assert db.database_url() == "postgresql://shared@127.0.0.1/mediation"
    monkeypatch.setenv("AGENDA_DATABASE_URL", POSTGRES)
    assert db.database_url() == POSTGRES


def test_the_postgresql_pool_sizes_come_from_the_environment(monkeypatch):
    monkeypatch.delenv("AGENDA_POOL_SIZE", raising=False)
    monkeypatch.delenv("AGENDA_MAX_OVERFLOW", raising=False)
    engine = db.make_engine(POSTGRES)  # no connection is opened here
    assert (engine.pool.size(), engine.pool._max_overflow) == (10, 10)
    monkeypatch.setenv("AGENDA_POOL_SIZE", "3")
    monkeypatch.setenv("AGENDA_MAX_OVERFLOW", "7")
    engine = db.make_engine(POSTGRES.replace("postgresql://", "postgres://"))
    assert engine.dialect.name == "postgresql"
    assert (engine.pool.size(), engine.pool._max_overflow) == (3, 7)
    assert (db.make_engine(POSTGRES, pool_size=2, max_overflow=0).pool.size()) == 2  # explicit arguments win
