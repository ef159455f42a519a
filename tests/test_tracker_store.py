"""The consent-aware SQL tracker store: no user words before consent, erase on refusal,
every event encrypted at rest."""
import asyncio
import json
import sqlite3

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.privacy import crypto
from bot.tracker_store import ConsentAwareSQLTrackerStore, redact_event

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
    assert ciphertexts and all(c.encode() in open(tracker_store.engine.url.database, "rb").read() for c in ciphertexts)
    tracker_store.erase("p3")
    raw = open(tracker_store.engine.url.database, "rb").read()
    assert not any(c.encode()[:40] in raw for c in ciphertexts)


def test_redact_event_keeps_codes_and_drops_free_text():
    assert redact_event({"event": "slot", "name": "situation_domain", "value": "family"})["value"] == "family"
    assert redact_event({"event": "slot", "name": "situation_description", "value": SECRET})["value"] is None
    event = redact_event({"event": "user", "text": SECRET, "parse_data": {"text": SECRET, "entities": [1]},
                          "metadata": {"x": 1}})
    assert event["text"] is None and event["parse_data"] == {"text": None, "entities": []}
    assert "metadata" not in event
