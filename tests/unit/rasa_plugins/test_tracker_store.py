"""The consent-aware SQL tracker store: no user words before consent, erase on refusal,
every event encrypted at rest."""
import asyncio
import json
import sqlite3
from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.privacy import crypto
from bot.rasa_plugins.tracker_store import ConsentAwareSQLTrackerStore, redact_event

SECRET = "ma soeur Ginette refuse de vendre la maison"
KEY = "cw_0x689RpI-jtRR7oJ8otLs4mMVQ-hsWnOEHY4LB5w="


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_ENCRYPTION_KEYS", KEY)
    domain = Domain.load("domain.yml")
    return ConsentAwareSQLTrackerStore(domain=domain, dialect="sqlite", db=str(tmp_path / "t.db")), domain


def raw_rows(store):
    with sqlite3.connect(store.engine.url.database) as db:
        return [data for (data,) in db.execute("SELECT data FROM events ORDER BY id")]


def rows(store):
    return [crypto.decrypt_event(store.fernet, data) for data in raw_rows(store)]


def user(text, intent="situation_family"):
    return UserUttered(text, {"name": intent, "confidence": 0.9},
                       entities=[{"entity": "choice", "value": text, "start": 0, "end": 3}])


def test_words_before_consent_are_not_stored_but_after_consent_they_are(store):
    tracker_store, domain = store
    tracker = DialogueStateTracker.from_events("p1", [user(SECRET), SlotSet("situation_domain", "family")],
                                               slots=domain.slots)
    asyncio.run(tracker_store.save(tracker))
    stored = json.dumps(rows(tracker_store))
    assert "Ginette" not in stored
    assert '"situation_family"' in stored  # the dialogue state survives

    tracker.update(SlotSet("consent", "given"))
    tracker.update(user("mon voisin Marcel", "inform"))
    asyncio.run(tracker_store.save(tracker))
    stored = json.dumps(rows(tracker_store))
    assert "Marcel" in stored and "Ginette" not in stored

    retrieved = asyncio.run(tracker_store.retrieve("p1"))
    assert retrieved.get_slot("situation_domain") == "family"


def test_refusal_erases_the_conversation(store):
    tracker_store, domain = store
    tracker = DialogueStateTracker.from_events("p2", [user(SECRET)], slots=domain.slots)
    asyncio.run(tracker_store.save(tracker))
    assert rows(tracker_store)
    tracker.update(SlotSet("consent", "refused"))
    asyncio.run(tracker_store.save(tracker))
    assert rows(tracker_store) == []
    assert asyncio.run(tracker_store.retrieve("p2")) is None


def test_an_erased_conversation_leaves_nothing_in_the_sqlite_file(store):
    """secure_delete: the deleted rows' bytes are overwritten, not left in free pages. (Debian's SQLite
    defaults to it; the store turns it on for builds that do not.)"""
    tracker_store, domain = store
    tracker = DialogueStateTracker.from_events("p3", [SlotSet("consent", "given"), user(SECRET * 20)],
                                               slots=domain.slots)
    asyncio.run(tracker_store.save(tracker))
    ciphertexts = raw_rows(tracker_store)
    on_disk = open(tracker_store.engine.url.database, "rb").read() + wal_bytes(tracker_store)
    assert ciphertexts and all(c.encode() in on_disk for c in ciphertexts)
    tracker_store.erase("p3")
    raw = open(tracker_store.engine.url.database, "rb").read()
    assert not any(c.encode()[:40] in raw for c in ciphertexts)
    assert wal_bytes(tracker_store) == b""  # nor in the write-ahead log


def wal_bytes(tracker_store) -> bytes:
    wal = Path(tracker_store.engine.url.database + "-wal")
    return wal.read_bytes() if wal.exists() else b""


def test_sqlite_runs_in_wal_mode_without_an_fsync_per_commit(store):
    tracker_store, domain = store
    asyncio.run(tracker_store.save(DialogueStateTracker.from_events("p4", [user("bonjour")], slots=domain.slots)))
    with tracker_store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        assert connection.exec_driver_sql("PRAGMA secure_delete").scalar() == 1


def test_an_erased_conversation_leaves_nothing_in_the_write_ahead_log(store):
    """Without the checkpoint the log still holds the inserted pages after the delete."""
    tracker_store, domain = store
    tracker = DialogueStateTracker.from_events("p5", [SlotSet("consent", "given"), user(SECRET * 20)],
                                               slots=domain.slots)
    asyncio.run(tracker_store.save(tracker))
    ciphertexts = raw_rows(tracker_store)
    assert any(c.encode()[-60:] in wal_bytes(tracker_store) for c in ciphertexts)  # the log holds them now
    other = DialogueStateTracker.from_events("p6", [SlotSet("consent", "given"), user("autre")], slots=domain.slots)
    asyncio.run(tracker_store.save(other))
    tracker_store.erase("p5")
    database = open(tracker_store.engine.url.database, "rb").read()
    # The end of each ciphertext (its start, version and timestamp, is the same for every row).
    assert not any(c.encode()[-60:] in database + wal_bytes(tracker_store) for c in ciphertexts)
    assert asyncio.run(tracker_store.retrieve("p6")).latest_message.text == "autre"  # the rest is kept


def test_redact_event_keeps_codes_and_drops_free_text():
    assert redact_event({"event": "slot", "name": "situation_domain", "value": "family"})["value"] == "family"
    assert redact_event({"event": "slot", "name": "situation_description", "value": SECRET})["value"] is None
    event = redact_event({"event": "user", "text": SECRET, "parse_data": {"text": SECRET, "entities": [1]},
                          "metadata": {"x": 1}})
    assert event["text"] is None and event["parse_data"] == {"text": None, "entities": []}
    assert "metadata" not in event


# --- DATABASE_URL: the same store on PostgreSQL (endpoints.yml's url_from_env) ------------------

def endpoints_store(domain, tmp_path, monkeypatch):
    """The tracker store exactly as `rasa run --endpoints endpoints.yml` builds it."""
    from rasa.core.tracker_store import TrackerStore
    from rasa.utils.endpoints import read_endpoint_config

    monkeypatch.setenv("TRACKER_DB", str(tmp_path / "tracker.db"))
    monkeypatch.setenv("ACTION_SERVER_PORT", "5055")
    monkeypatch.setenv("ACTION_SERVER_TOKEN", "unused")
    return TrackerStore.create(read_endpoint_config("endpoints.yml", "tracker_store"), domain)


def test_without_database_url_the_store_is_the_sqlite_file(tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_ENCRYPTION_KEYS", KEY)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    store = endpoints_store(Domain.load("domain.yml"), tmp_path, monkeypatch)
    assert isinstance(store, ConsentAwareSQLTrackerStore) and store.engine.dialect.name == "sqlite"
    assert (tmp_path / "tracker.db").exists()


def test_database_url_moves_the_store_to_postgresql_with_explicit_pool_sizes(tmp_path, monkeypatch):

    import sqlalchemy as sa

    from scripts.stack.postgres_server import postgres_url

    monkeypatch.setenv("TRACKER_ENCRYPTION_KEYS", KEY)
    domain = Domain.load("domain.yml")
    with postgres_url() as url:
        monkeypatch.setenv("DATABASE_URL", url.replace("postgresql://", "postgres://"))  # the hosts' form too
        monkeypatch.delenv("DATABASE_POOL_SIZE", raising=False)
        monkeypatch.delenv("DATABASE_MAX_OVERFLOW", raising=False)
        monkeypatch.setenv("SQL_POOL_SIZE", "50")  # Rasa's own variable: ours decide
        monkeypatch.setenv("SQL_MAX_OVERFLOW", "100")
        store = endpoints_store(domain, tmp_path, monkeypatch)
        assert store.engine.dialect.name == "postgresql"
        assert (store.engine.pool.size(), store.engine.pool._max_overflow) == (5, 5)  # not Rasa's 50 + 100
        tracker = DialogueStateTracker.from_events("pg-1", [SlotSet("consent", "given"), user(SECRET)],
                                                   slots=domain.slots)
        asyncio.run(store.save(tracker))
        store.engine.dispose()

        monkeypatch.setenv("DATABASE_POOL_SIZE", "3")
        monkeypatch.setenv("DATABASE_MAX_OVERFLOW", "4")
        other = endpoints_store(domain, tmp_path, monkeypatch)  # another replica
        assert (other.engine.pool.size(), other.engine.pool._max_overflow) == (3, 4)
        assert asyncio.run(other.retrieve("pg-1")).latest_message.text == SECRET
        other.engine.dispose()
        engine = sa.create_engine(url)
        with engine.connect() as connection:
            assert connection.execute(sa.text("SELECT count(*) FROM events WHERE sender_id = 'pg-1'")).scalar() == 2
        engine.dispose()
    assert not (tmp_path / "tracker.db").exists()  # the SQLite file of endpoints.yml was never opened


def test_a_store_built_in_code_ignores_database_url(tmp_path, monkeypatch):
    """Only endpoints.yml's `url_from_env` reads it: a test's own store never reaches an exported one."""
    monkeypatch.setenv("TRACKER_ENCRYPTION_KEYS", KEY)
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    store = ConsentAwareSQLTrackerStore(domain=Domain.load("domain.yml"), dialect="sqlite", db=str(tmp_path / "t.db"))
    assert store.engine.dialect.name == "sqlite"


# --- An unbindable sender id is an error, never an exit (issue 16) -----------------------------

UNBINDABLE_SENDERS = ["x-\udfff", "x-\ud800y"]


def _error_not_exit(store, domain, sender):
    tracker = DialogueStateTracker.from_events(sender, [SlotSet("consent", "given"), user(SECRET)],
                                               slots=domain.slots)
    for call in (lambda: store.save(tracker), lambda: store.retrieve(sender)):
        with pytest.raises(Exception) as caught:  # SystemExit is not an Exception: it would escape
            asyncio.run(call())
        assert not isinstance(caught.value, SystemExit)
    # The store still works for everybody else.
    asyncio.run(store.save(DialogueStateTracker.from_events("ok", [user(SECRET)], slots=domain.slots)))
    assert asyncio.run(store.retrieve("ok")) is not None


@pytest.mark.parametrize("sender", UNBINDABLE_SENDERS)
def test_an_unbindable_sender_is_an_error_not_an_exit_on_sqlite(store, sender):
    _error_not_exit(*store, sender)


def test_an_unbindable_sender_is_an_error_not_an_exit_on_postgresql(tmp_path, monkeypatch):

    from scripts.stack.postgres_server import postgres_url

    monkeypatch.setenv("TRACKER_ENCRYPTION_KEYS", KEY)
    domain = Domain.load("domain.yml")
    with postgres_url() as url:
        monkeypatch.setenv("DATABASE_URL", url)
        store = endpoints_store(domain, tmp_path, monkeypatch)
        try:
            for sender in UNBINDABLE_SENDERS + ["x-\x00y"]:  # PostgreSQL refuses NUL in text too
                _error_not_exit(store, domain, sender)
        finally:
            store.engine.dispose()


def test_retrieval_reads_the_latest_session_in_order_and_all_sessions_when_asked(store):
    from rasa.shared.core.events import SessionStarted
    tracker_store, domain = store
    events = [user("avant", "greet"), SessionStarted(), SlotSet("consent", "given"), user("un"), user("deux")]
    for number, event in enumerate(events):
        event.timestamp = 1000.0 + number
    asyncio.run(tracker_store.save(DialogueStateTracker.from_events("p7", events, slots=domain.slots)))
    latest = asyncio.run(tracker_store.retrieve("p7"))
    assert [e.text for e in latest.events if isinstance(e, UserUttered)] == ["un", "deux"]
    everything = asyncio.run(tracker_store.retrieve_full_tracker("p7"))
    assert [e.text for e in everything.events if isinstance(e, UserUttered)] == ["avant", "un", "deux"]
