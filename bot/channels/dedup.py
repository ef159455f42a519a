"""Meta delivers webhooks at least once: a message id already seen is dropped.

`Deduplicator` remembers ids in the process's memory (one Rasa process);
`SharedDeduplicator` in Redis (`SET ma:seen:<channel>:<digest> 1 NX PX ttl`), so a
retry that reaches another replica is dropped too. Message ids are not personal data,
but they are stored as digests anyway (it costs nothing).
"""
from __future__ import annotations

import time
from collections import OrderedDict
from typing import Callable

from bot.channels.shared_store import UNAVAILABLE, SharedStore, shared_store

TTL_SECONDS = 24 * 3600  # Meta retries for hours
MAX_SIZE = 50_000


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


def deduplicator(channel: str) -> Deduplicator:
    """Shared when REDIS_URL is set, else per process."""
    store = shared_store()
    return SharedDeduplicator(store, channel) if store else Deduplicator()
