"""bot/channels/dedup.py (issue 16, 6): every event is keyed (its id, else a digest of the
event), and events past the age bound are dropped. Servers' tests: tests/e2e/test_hardening_e2e.py."""
import time

from bot.channels.dedup import Deduplicator, event_key, max_event_age, too_old


def test_an_event_without_id_is_keyed_by_a_digest_of_itself():
    first = event_key(None, "psid-1", 1700000000.123, "/affirm", True)
    assert first == event_key(None, "psid-1", 1700000000.123, "/affirm", True)
    assert first != event_key(None, "psid-1", 1700000001.0, "/affirm", True)  # pressed again later
    assert "affirm" not in first and "psid" not in first  # a digest, never the content
    assert event_key("m_1", "psid-1") == "m_1"


async def test_a_replayed_event_without_id_is_dropped():
    seen = Deduplicator()
    key = event_key(None, "psid-1", 1700000000.123, '/erase_data{"choice":"confirm"}', True)
    assert await seen.first_time(key) and not await seen.first_time(key)


def test_events_past_the_bound_are_too_old(monkeypatch):
    now = time.time()
    assert not too_old(None) and not too_old(now - 60, now)
    assert too_old(now - max_event_age() - 1, now)
    monkeypatch.setenv("EVENT_MAX_AGE_SECONDS", "30")
    assert too_old(now - 31, now) and not too_old(now - 29, now)
