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


def test_bookings_made_before_keyed_hashes_keep_their_code_and_the_file_is_private(tmp_path, monkeypatch):
    """Issue 16 (3): migration 0002 keys the bare SHA-256 of older bookings with
    AGENDA_SECRET_KEY; their code still works, and what the database holds is no longer
    a hash anyone can test guesses against."""
    import hashlib
    import stat
    from datetime import datetime

    import sqlalchemy as sa

    from bot.agenda import references
    from bot.agenda.schema import bookings, holds, slots as slot_table, mediators
    from bot.agenda.store import AgendaStore
    from tests.support.agenda_fixtures import mediator_row

    monkeypatch.setenv("AGENDA_SECRET_KEY", "a-test-key-of-the-agenda-service-0123456789")
    engine = db.make_engine(f"sqlite:///{tmp_path}/agenda.db")
    db.migrate(engine, "0001")
    now = datetime(2026, 11, 23, 8, 0)
    legacy = hashlib.sha256(b"k7m2x9pq").hexdigest()
    with engine.begin() as connection:
        mediator = connection.execute(mediators.insert().values(
            **mediator_row("m1", ["family"], ["video"], "75011", "75", "Paris"))).inserted_primary_key[0]
        slot = connection.execute(slot_table.insert().values(
            mediator_id=mediator, starts_at=datetime(2026, 11, 25, 9), ends_at=datetime(2026, 11, 25, 10),
            modes=["video"], status="booked", source="demo")).inserted_primary_key[0]
        connection.execute(holds.insert().values(id="h1", slot_id=slot, mode="video", created_at=now,
                                                 expires_at=now, status="confirmed"))
        connection.execute(sa.text(
            "INSERT INTO bookings (reference, slot_id, hold_id, mode, secret_hash, person_name, contact_consent_at, "
            "brief, status, created_at, updated_at) VALUES ('MED-ABCDE', :slot, 'h1', 'video', :hash, 'Marie', "
            ":now, '{}', 'confirmed', :now, :now)"), {"slot": slot, "hash": legacy, "now": now})
    db.migrate(engine)
    with engine.connect() as connection:
        row = connection.execute(sa.select(bookings.c.secret_hash, bookings.c.secret_scheme)).one()
    assert row.secret_scheme == references.SCHEME and row.secret_hash != legacy
    store = AgendaStore(engine, clock=lambda: now)
    assert store.booking("MED-ABCDE", "k7m2x9pq")["reference"] == "MED-ABCDE"
    assert stat.S_IMODE((tmp_path / "agenda.db").stat().st_mode) == 0o600
