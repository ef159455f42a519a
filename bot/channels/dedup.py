"""Platforms deliver webhooks at least once, and a captured (signed) request can be sent
again: an event already seen is dropped, and so is an event older than a bound.

Every platform's events are keyed by their id (Meta's mid / wamid, Twilio's MessageSid);
an event without one (a Messenger postback without mid) by a digest of the event itself
(`event_key`). An event whose platform timestamp is older than MAX_EVENT_AGE_SECONDS
(EVENT_MAX_AGE_SECONDS, default 6 hours; below the 24 hours ids are remembered) is dropped
(`too_old`): a replay of it can no longer be told from a new message by its id alone.
Twilio's webhook has no timestamp: its ids are remembered for TWILIO_TTL_SECONDS (30 days).

`Deduplicator` remembers ids in the process's memory (one Rasa process);
`SharedDeduplicator` in Redis (`SET ma:seen:<channel>:<digest> 1 NX PX ttl`), so a
retry that reaches another replica is dropped too. Message ids are not personal data,
but they are stored as digests anyway (it costs nothing).
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections import OrderedDict
from typing import Any, Callable

from bot.channels.shared_store import UNAVAILABLE, SharedStore, shared_store

TTL_SECONDS = 24 * 3600  # Meta retries for hours
TWILIO_TTL_SECONDS = 30 * 24 * 3600  # no timestamp to bound a replay's age: remembered longer
MAX_SIZE = 50_000
MAX_EVENT_AGE_SECONDS = 6 * 3600
logger = logging.getLogger(__name__)


def max_event_age() -> float:
    try:
        return max(1.0, float(os.environ.get("EVENT_MAX_AGE_SECONDS", MAX_EVENT_AGE_SECONDS)))
    except ValueError:
        return float(MAX_EVENT_AGE_SECONDS)


def too_old(timestamp: float | None, now: float | None = None) -> bool:
    """Whether a platform's event (its timestamp, seconds since the epoch) is past the bound."""
    if timestamp is None:
        return False
    return (time.time() if now is None else now) - timestamp > max_event_age()


def event_key(event_id: str | None, *fields: Any) -> str:
    """The platform's id when there is one; else a digest of the event (never its content)."""
    if event_id:
        return event_id
    return "digest:" + hashlib.sha256(json.dumps(fields, default=str, ensure_ascii=False).encode()).hexdigest()


class Deduplicator:
    """Remembers message ids for `ttl` seconds, at most `max_size` of them (the oldest are
    forgotten first)."""

    def __init__(self, ttl: float = TTL_SECONDS, max_size: int = MAX_SIZE,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl, self.max_size, self.clock = ttl, max_size, clock
        self._seen: OrderedDict[str, float] = OrderedDict()

    async def first_time(self, key: str | None) -> bool:
        """True the first time `key` is seen (and records it); a missing id is never a duplicate."""
        if not key:
            return True
        return self._first_time_here(key)

    def _first_time_here(self, key: str) -> bool:
        now = self.clock()
        while self._seen and (next(iter(self._seen.values())) <= now - self.ttl or len(self._seen) >= self.max_size):
            self._seen.popitem(last=False)
        if key in self._seen:
            return False
        self._seen[key] = now
        return True

    def __len__(self) -> int:
        return len(self._seen)


class SharedDeduplicator(Deduplicator):
    """The same, in Redis; while Redis is unreachable, the per-process memory above (a
    retry reaching another replica meanwhile is processed twice: better than dropped)."""

    def __init__(self, store: SharedStore, channel: str, ttl: float = TTL_SECONDS) -> None:
        super().__init__(ttl)
        self.store, self.channel = store, channel

    async def first_time(self, key: str | None) -> bool:
        if not key:
            return True
        name = self.store.key("seen", self.channel, self.store.digest(key))
        created = await self.store.run("deduplication", lambda client: client.set(
            name, 1, nx=True, px=max(1, int(self.ttl * 1000))))
        if created is UNAVAILABLE:
            return self._first_time_here(key)
        return bool(created)


def deduplicator(channel: str, ttl: float = TTL_SECONDS) -> Deduplicator:
    """Shared when REDIS_URL is set, else per process."""
    store = shared_store()
    return SharedDeduplicator(store, channel, ttl) if store else Deduplicator(ttl)
