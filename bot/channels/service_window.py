"""Meta's 24-hour window, per conversation: a free-form message may only be sent within 24
hours of the person's last message (WhatsApp's customer-service window, Messenger's
standard messaging window); outside it WhatsApp allows an approved template, which we send
once until the person writes again.

People are named by their conversation id (a pseudonym of the number or PSID), never by
the platform's id. `ServiceWindow` keeps the window in the process's memory (one Rasa
process); `SharedServiceWindow` in Redis (`ma:window:<conversation id>`, a hash with the
last inbound time and whether the template went out), so that every replica sees a window
opened by a message another replica received.
"""
from __future__ import annotations

import time
from collections import OrderedDict
from typing import Callable

from bot.channels.shared_store import UNAVAILABLE, SharedStore, shared_store

WINDOW_SECONDS = 24 * 3600
# How long the shared entry lives after the last change: long after the window closed, the
# "template already sent" mark still avoids a second template (RETENTION_DAYS' default).
KEEP_SECONDS = 30 * 24 * 3600
MAX_PEOPLE = 100_000

# last = max(last, at): a late retry of an older message never shortens the window.
_INBOUND = """
local last = tonumber(redis.call('HGET', KEYS[1], 'last'))
local at = tonumber(ARGV[1])
if last == nil or at > last then last = at end
redis.call('HSET', KEYS[1], 'last', tostring(last))
redis.call('HDEL', KEYS[1], 'template')
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
"""


class ServiceWindow:
    """When each conversation's person last wrote, and whether the re-engagement template
    (WhatsApp) went out since then. In this process's memory, bounded."""

    def __init__(self, seconds: float = WINDOW_SECONDS, clock: Callable[[], float] = time.time,
                 max_people: int = MAX_PEOPLE) -> None:
        self.seconds, self.clock, self.max_people = seconds, clock, max_people
        # conversation id -> (last inbound, template sent)
        self._people: OrderedDict[str, tuple[float | None, bool]] = OrderedDict()

    def _at(self, at: float | None) -> float:
        now = self.clock()
        return now if at is None else min(at, now)  # never in the future

    async def inbound(self, conversation: str, at: float | None = None) -> None:
        """The person wrote at `at` (the platform's timestamp: a late retry must not stretch
        the window), or now."""
        self._inbound_here(conversation, self._at(at))

    def _inbound_here(self, conversation: str, at: float) -> None:
        last, _ = self._people.pop(conversation, (None, False))
        self._people[conversation] = (max(at, last or at), False)
        self._prune()

    async def is_open(self, conversation: str) -> bool:
        return self._open(self._people.get(conversation, (None, False))[0])

    def _open(self, last: float | None) -> bool:
        return last is not None and self.clock() - last < self.seconds

    async def claim_template(self, conversation: str) -> bool:
        """True once after each message of the person: whoever gets True sends the template
        (two sends at the same time give one template)."""
        return self._claim_here(conversation)

    def _claim_here(self, conversation: str) -> bool:
        last, sent = self._people.pop(conversation, (None, False))
        self._people[conversation] = (last, True)
        self._prune()
        return not sent

    def _prune(self) -> None:
        # Bounded memory: the least recently active are forgotten first (then treated as
        # outside the window, which is the safe side).
        while len(self._people) > self.max_people:
            self._people.popitem(last=False)


class SharedServiceWindow(ServiceWindow):
    """The same, in Redis. While Redis is unreachable, the per-process memory above: a
    person who writes meanwhile is answered by the replica that got the message; anyone
    else is outside the window (the safe side) and gets at most one template per replica."""

    def __init__(self, store: SharedStore, seconds: float = WINDOW_SECONDS, clock: Callable[[], float] = time.time,
                 keep_seconds: float = KEEP_SECONDS) -> None:
        super().__init__(seconds, clock)
        self.store, self.keep_ms = store, max(1, int(keep_seconds * 1000))

    def _name(self, conversation: str) -> str:
        return self.store.key("window", conversation)

    async def inbound(self, conversation: str, at: float | None = None) -> None:
        at = self._at(at)
        done = await self.store.run("service window", lambda client: client.register_script(_INBOUND)(
            keys=[self._name(conversation)], args=[repr(at), self.keep_ms]))
        if done is UNAVAILABLE:
            self._inbound_here(conversation, at)

    async def is_open(self, conversation: str) -> bool:
        last = await self.store.run("service window", lambda client: client.hget(self._name(conversation), "last"))
        if last is UNAVAILABLE:
            return await super().is_open(conversation)
        try:
            return self._open(float(last) if last is not None else None)
        except ValueError:
            return False

    async def claim_template(self, conversation: str) -> bool:
        name = self._name(conversation)

        async def claim(client) -> bool:
            async with client.pipeline(transaction=True) as pipe:
                claimed, _ = await pipe.hsetnx(name, "template", 1).pexpire(name, self.keep_ms).execute()
            return bool(claimed)

        claimed = await self.store.run("service window", claim)
        return self._claim_here(conversation) if claimed is UNAVAILABLE else claimed


def service_window() -> ServiceWindow:
    """Shared when REDIS_URL is set, else per process."""
    store = shared_store()
    return SharedServiceWindow(store) if store else ServiceWindow()
