"""The numbered choices last offered to a person by SMS (Twilio texts have no buttons), so
that their next message may be the number or the label.

Keyed by the conversation id (a pseudonym of the number). `ChoiceMemory` keeps them in the
process's memory (one Rasa process); `SharedChoiceMemory` in Redis
(`ma:choices:<conversation id>`, the buttons as JSON, with a TTL), read and deleted in one
step (GETDEL), so the replica that receives the answer reads what another one offered, and
only once.
"""
from __future__ import annotations

import json
import time
from collections import OrderedDict

from bot.channels.shared_store import UNAVAILABLE, SharedStore, shared_store

MAX_REMEMBERED = 10_000
TTL_SECONDS = 24 * 3600

Buttons = list[dict[str, str]]


class ChoiceMemory:
    """The buttons last offered to each conversation, for its next message (bounded, in memory)."""

    def __init__(self, size: int = MAX_REMEMBERED, ttl: float = TTL_SECONDS) -> None:
        self.size, self.ttl = size, ttl
        self._offers: OrderedDict[str, tuple[float, Buttons]] = OrderedDict()

    async def remember(self, conversation: str, buttons: Buttons) -> None:
        self._remember_here(conversation, buttons)

    def _remember_here(self, conversation: str, buttons: Buttons) -> None:
        self._offers.pop(conversation, None)
        self._offers[conversation] = (time.monotonic(), buttons)
        while len(self._offers) > self.size:
            self._offers.popitem(last=False)

    async def take(self, conversation: str) -> Buttons:
        """The buttons offered to the conversation, forgotten once read (they answer one message)."""
        return self._take_here(conversation)

    def _take_here(self, conversation: str) -> Buttons:
        offered = self._offers.pop(conversation, None)
        if offered is None or time.monotonic() - offered[0] > self.ttl:
            return []
        return offered[1]


def _buttons(raw: str | None) -> Buttons:
    try:
        value = json.loads(raw) if raw else []
    except ValueError:
        return []
    if not isinstance(value, list):
        return []
    return [{"title": b["title"], "payload": b["payload"]} for b in value
            if isinstance(b, dict) and isinstance(b.get("title"), str) and isinstance(b.get("payload"), str)]


class SharedChoiceMemory(ChoiceMemory):
    """The same, in Redis; while Redis is unreachable, the per-process memory above."""

    def __init__(self, store: SharedStore, ttl: float = TTL_SECONDS) -> None:
        super().__init__(ttl=ttl)
        self.store = store

    def _name(self, conversation: str) -> str:
        return self.store.key("choices", conversation)

    async def remember(self, conversation: str, buttons: Buttons) -> None:
        value = json.dumps(buttons, ensure_ascii=False)
        done = await self.store.run("numbered choices", lambda client: client.set(
            self._name(conversation), value, px=max(1, int(self.ttl * 1000))))
        if done is UNAVAILABLE:
            self._remember_here(conversation, buttons)

    async def take(self, conversation: str) -> Buttons:
        raw = await self.store.run("numbered choices", lambda client: client.getdel(self._name(conversation)))
        local = self._take_here(conversation)  # offered while Redis was down, if any
        if raw is UNAVAILABLE or raw is None:
            return local
        return _buttons(raw)


def choice_memory() -> ChoiceMemory:
    """Shared when REDIS_URL is set, else per process."""
    store = shared_store()
    return SharedChoiceMemory(store) if store else ChoiceMemory()
