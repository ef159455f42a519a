"""Encryption at rest of the tracker store and the retention purge (bot/privacy/)."""
import asyncio
import json
import sqlite3
import subprocess
import sys
import time

import pytest
from cryptography.fernet import Fernet
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.privacy import crypto, retention
from bot.rasa_plugins.tracker_store import ConsentAwareSQLTrackerStore

from bot.paths import ROOT
OLD_KEY, NEW_KEY = Fernet.generate_key().decode(), Fernet.generate_key().decode()
SENTENCE = "mon beau-frère Anatole garde la tondeuse depuis mars"
DAY = 86400
DOMAIN = Domain.load(str(ROOT / "domain.yml"))


def make_store(path, monkeypatch, keys):
    monkeypatch.setenv("TRACKER_ENCRYPTION_KEYS", keys)
    return ConsentAwareSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(path))


def rows_by_sender(path):
    with sqlite3.connect(path) as connection:
        return connection.execute("SELECT sender_id, data FROM events").fetchall()


def raw(path):
    with sqlite3.connect(path) as db:
        return [data for (data,) in db.execute("SELECT data FROM events ORDER BY id")]


def conversation(sender, *events, at=None):
    events = [SlotSet("consent", "given"), UserUttered(SENTENCE, {"name": "inform", "confidence": 1.0}),
              SlotSet("postal_code", "69003"), *events]
    if at is not None:
        for offset, event in enumerate(events):
            event.timestamp = at + offset
    return DialogueStateTracker.from_events(sender, events, slots=DOMAIN.slots)


def test_round_trip_marks_and_hides_the_event():
    fernet = crypto.load_keys(NEW_KEY)
    event = {"event": "user", "text": SENTENCE}
    column = crypto.encrypt_event(fernet, event)
    assert "Anatole" not in column and crypto.is_encrypted(column)
    assert json.loads(column)["enc"] == "fernet-v1"
    assert crypto.decrypt_event(fernet, column) == event


def test_rotation_with_two_keys():
    old = crypto.load_keys(OLD_KEY)
    column = crypto.encrypt_event(old, {"event": "user", "text": SENTENCE})
    both = crypto.load_keys(f"{NEW_KEY}, {OLD_KEY}")  # newest first
    assert crypto.decrypt_event(both, column)["text"] == SENTENCE
    rotated = crypto.rotate_column(both, column)
    assert crypto.decrypt_event(crypto.load_keys(NEW_KEY), rotated)["text"] == SENTENCE
    with pytest.raises(crypto.TrackerKeyError):
        crypto.decrypt_event(crypto.load_keys(OLD_KEY), rotated)


def test_legacy_plaintext_row_is_read_and_rotation_encrypts_it():
    fernet = crypto.load_keys(NEW_KEY)
    legacy = json.dumps({"event": "user", "text": SENTENCE})
    assert crypto.decrypt_event(fernet, legacy)["text"] == SENTENCE
    rotated = crypto.rotate_column(fernet, legacy)
    assert "Anatole" not in rotated and crypto.decrypt_event(fernet, rotated)["text"] == SENTENCE


def test_wrong_or_missing_key_is_a_clear_error_without_content(monkeypatch):
    column = crypto.encrypt_event(crypto.load_keys(OLD_KEY), {"event": "user", "text": SENTENCE})
    with pytest.raises(crypto.TrackerKeyError, match="TRACKER_ENCRYPTION_KEYS") as error:
        crypto.decrypt_event(crypto.load_keys(NEW_KEY), column)
    assert "Anatole" not in str(error.value) and column not in str(error.value)
    with pytest.raises(crypto.TrackerKeyError, match="not a Fernet key"):
        crypto.load_keys("not-a-key")
    monkeypatch.delenv("TRACKER_ENCRYPTION_KEYS", raising=False)
    with pytest.raises(crypto.TrackerKeyError, match="setup.sh"):
        ConsentAwareSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db="unused.db")


def test_store_rows_hold_no_clear_text_and_read_back(tmp_path, monkeypatch):
    db = tmp_path / "t.db"
    store = make_store(db, monkeypatch, NEW_KEY)
    asyncio.run(store.save(conversation("p1")))
    content = "\n".join(raw(db))
    for clear in ("Anatole", "tondeuse", "69003", "inform"):
        assert clear not in content
    tracker = asyncio.run(store.retrieve("p1"))
    assert tracker.latest_message.text == SENTENCE and tracker.get_slot("postal_code") == "69003"
    with sqlite3.connect(db) as connection:  # the clear columns: event type, time, slot name
        columns = connection.execute("SELECT type_name, intent_name, action_name FROM events").fetchall()
    assert ("user", None, None) in columns and ("slot", None, "postal_code") in columns


def test_store_reads_legacy_rows_and_rotate_reencrypts_everything(tmp_path, monkeypatch):
    db = tmp_path / "t.db"
    store = make_store(db, monkeypatch, OLD_KEY)
    asyncio.run(store.save(conversation("p1")))
    with sqlite3.connect(db) as connection:  # a row written before encryption existed
        connection.execute("INSERT INTO events (sender_id, type_name, timestamp, intent_name, data) "
                           "VALUES (?, ?, ?, ?, ?)", ("p1", "slot", time.time(), "safety_alert",
                            json.dumps({"event": "slot", "name": "amount_eur", "value": 4321, "timestamp": time.time()})))
    store = make_store(db, monkeypatch, f"{NEW_KEY},{OLD_KEY}")
    assert asyncio.run(store.retrieve("p1")).get_slot("amount_eur") == 4321
    old_ciphertexts = raw(db)
    assert retention.rotate(store) == len(raw(db))
    assert "4321" not in "\n".join(raw(db))
    on_disk = db.read_bytes() + (db.parent / (db.name + "-wal")).read_bytes()  # SQLite's log too
    assert not any(ciphertext.encode()[-60:] in on_disk for ciphertext in old_ciphertexts)
    assert b"4321" not in on_disk
    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT count(*) FROM events WHERE intent_name IS NOT NULL").fetchone() == (0,)
    store = make_store(db, monkeypatch, NEW_KEY)  # the old key dropped
    tracker = asyncio.run(store.retrieve("p1"))
    assert tracker.latest_message.text == SENTENCE and tracker.get_slot("amount_eur") == 4321


def test_purge_deletes_old_conversations_without_booking_only(tmp_path, monkeypatch):
    db = tmp_path / "t.db"
    store = make_store(db, monkeypatch, NEW_KEY)
    now = time.time()
    asyncio.run(store.save(conversation("old", at=now - 40 * DAY)))
    asyncio.run(store.save(conversation("old-booked", SlotSet("booking_reference", "MED-1234"),
                                        ActionExecuted("action_listen"), at=now - 40 * DAY)))
    asyncio.run(store.save(conversation("old-reference-cleared", SlotSet("booking_reference", None),
                                        at=now - 40 * DAY)))
    asyncio.run(store.save(conversation("recent", at=now - 10 * DAY)))
    # started long ago but still active: the LAST event counts
    tracker = conversation("active", at=now - 40 * DAY)
    asyncio.run(store.save(tracker))
    tracker.update(UserUttered("encore là", {"name": "inform", "confidence": 1.0}, timestamp=now - DAY))
    asyncio.run(store.save(tracker))

    dry = retention.purge(store, 30, dry_run=True, now=now)
    assert (dry.conversations, dry.kept_with_booking) == (2, 1) and dry.events > 0
    assert len(asyncio.run(store.keys())) == 5

    doomed = [data for sender, data in rows_by_sender(db) if sender in ("old", "old-reference-cleared")]
    result = retention.purge(store, 30, now=now)
    assert result == dry
    on_disk = db.read_bytes() + (db.parent / (db.name + "-wal")).read_bytes()  # SQLite's log too
    assert doomed and not any(data.encode()[-60:] in on_disk for data in doomed)
    assert sorted(asyncio.run(store.keys())) == ["active", "old-booked", "recent"]
    assert asyncio.run(store.retrieve("old-booked")).get_slot("booking_reference") == "MED-1234"
    assert retention.purge(store, 5, now=now).conversations == 1  # "recent" now too old


def test_retention_days_default_and_validation(monkeypatch):
    monkeypatch.delenv("RETENTION_DAYS", raising=False)
    assert retention.retention_days() == 30
    assert retention.retention_days("90") == 90
    with pytest.raises(ValueError):
        retention.retention_days("0")


def test_purge_and_rotate_commands(tmp_path, monkeypatch):
    db = tmp_path / "cli.db"
    store = make_store(db, monkeypatch, OLD_KEY)
    now = time.time()
    asyncio.run(store.save(conversation("old", at=now - 40 * DAY)))
    asyncio.run(store.save(conversation("recent", at=now - DAY)))
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "TRACKER_DB": str(db), "RASA_TELEMETRY_ENABLED": "false",
           "TRACKER_ENCRYPTION_KEYS": f"{NEW_KEY},{OLD_KEY}", "RETENTION_DAYS": "30", "HOME": str(tmp_path)}

    def run(*args):
        done = subprocess.run([sys.executable, "-m", "bot.privacy", *args], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        assert "old" not in done.stdout and "Anatole" not in done.stdout + done.stderr
        return done.stdout

    assert "would delete 1 conversations" in run("purge", "--dry-run")
    assert len(asyncio.run(store.keys())) == 2
    assert "deleted 1 conversations" in run("purge")
    assert asyncio.run(store.keys()) == ["recent"]
    assert "Re-encrypted" in run("rotate")
    wrong = subprocess.run([sys.executable, "-m", "bot.privacy", "rotate"], cwd=tmp_path, capture_output=True, text=True,
                           env={**env, "TRACKER_ENCRYPTION_KEYS": OLD_KEY}, timeout=300)  # rows now need NEW_KEY
    assert wrong.returncode == 2 and "TRACKER_ENCRYPTION_KEYS" in wrong.stderr
    assert "Traceback" not in wrong.stderr and "Anatole" not in wrong.stderr
    store = make_store(db, monkeypatch, NEW_KEY)
    assert asyncio.run(store.retrieve("recent")).latest_message.text == SENTENCE

    # The operator's erasure of one conversation; with a booking it needs the agenda first.
    asyncio.run(store.save(conversation("booked", SlotSet("booking_reference", "MED-2345A"),
                                        SlotSet("booking_secret", "abcd2345"), at=now)))
    env["TRACKER_ENCRYPTION_KEYS"] = NEW_KEY
    env["AGENDA_URL"] = f"http://127.0.0.1:{closed_port()}"
    down = subprocess.run([sys.executable, "-m", "bot.privacy", "erase", "booked"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert down.returncode == 3 and "nothing was erased" in down.stderr and "Traceback" not in down.stderr
    assert sorted(asyncio.run(store.keys())) == ["booked", "recent"]
    assert run("erase", "recent").startswith("Erased ")
    assert asyncio.run(store.keys()) == ["booked"]


def closed_port():
    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_postgresql_rows_hold_no_clear_text_and_purge_works(monkeypatch):
    import sqlalchemy as sa
    from scripts.stack.postgres_server import postgres_url

    with postgres_url() as url:
        parsed = sa.engine.make_url(url)
        monkeypatch.setenv("TRACKER_ENCRYPTION_KEYS", NEW_KEY)
        store = ConsentAwareSQLTrackerStore(domain=DOMAIN, dialect="postgresql", host=parsed.host,
                                            port=parsed.port, db=parsed.database, username=parsed.username)
        now = time.time()
        asyncio.run(store.save(conversation("pg-old", at=now - 40 * DAY)))
        asyncio.run(store.save(conversation("pg-recent", SlotSet("amount_eur", 4321.0), at=now - DAY)))
        with store.engine.connect() as connection:
            content = "\n".join(str(column) for row in connection.exec_driver_sql("SELECT * FROM events")
                                for column in row)
        for clear in ("Anatole", "tondeuse", "69003", "4321", "inform"):
            assert clear not in content
        tracker = asyncio.run(store.retrieve("pg-recent"))
        assert tracker.latest_message.text == SENTENCE and tracker.get_slot("amount_eur") == 4321.0
        assert retention.purge(store, 30, now=now).conversations == 1
        assert asyncio.run(store.keys()) == ["pg-recent"]
        monkeypatch.setenv("TRACKER_ENCRYPTION_KEYS", f"{OLD_KEY},{NEW_KEY}")
        store = ConsentAwareSQLTrackerStore(domain=DOMAIN, dialect="postgresql", host=parsed.host,
                                            port=parsed.port, db=parsed.database, username=parsed.username)
        assert retention.rotate(store) > 0
        store.engine.dispose()
        monkeypatch.setenv("TRACKER_ENCRYPTION_KEYS", OLD_KEY)  # the rotated rows need only the first key
        store = ConsentAwareSQLTrackerStore(domain=DOMAIN, dialect="postgresql", host=parsed.host,
                                            port=parsed.port, db=parsed.database, username=parsed.username)
        assert asyncio.run(store.retrieve("pg-recent")).get_slot("amount_eur") == 4321.0
        store.engine.dispose()
