"""Rate limiting per person (conversation id) and per client IP, in process.

A sliding-window log: for each key, the times of its last accepted messages (at most
`limit` of them); a message is refused while `limit` were accepted in the last
`window` seconds, and the refusal says when the oldest one leaves the window
(`Retry-After`). Memory is bounded: a key whose last message left the window is
forgotten, and beyond `max_keys` keys the least recently seen are dropped first.

Configuration (environment, read when a channel is created):
- RATE_LIMIT_PER_SENDER: messages per minute for one conversation (default 20);
- RATE_LIMIT_PER_IP: requests per minute from one client IP (default 120);
- 0 (or a negative number) switches that limit off.

The client IP is the TCP peer (`request.remote_addr or request.ip`): Sanic fills
`remote_addr` from X-Forwarded-For / X-Real-IP only when told a proxy is in front
(SANIC_PROXIES_COUNT or SANIC_REAL_IP_HEADER in the environment); otherwise those
headers, which anyone can forge, are ignored.

In memory per process: several processes (or machines) behind a load balancer each
count on their own; a shared store (Redis) is a later issue.
"""
from __future__ import annotations

import math
import os
import time
from collections import OrderedDict, deque
from dataclasses import dataclass
from typing import Any, Callable, Mapping

DEFAULT_PER_SENDER = 20
DEFAULT_PER_IP = 120
WINDOW_SECONDS = 60.0
MAX_KEYS = 100_000


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: float = 0.0  # seconds until a message would be accepted again
    first_refusal: bool = False  # the first refusal since this key was last accepted

    @property
    def retry_after_header(self) -> str:
        return str(max(1, math.ceil(self.retry_after)))


ALLOWED = Decision(True)


class _Entry:
    __slots__ = ("hits", "refused")

    def __init__(self) -> None:
        self.hits: deque[float] = deque()
        self.refused = False


class SlidingWindowLimiter:
    """At most `limit` accepted hits per key in any `window` seconds (limit <= 0: no limit)."""

    def __init__(self, limit: int, window: float = WINDOW_SECONDS, clock: Callable[[], float] = time.monotonic,
                 max_keys: int = MAX_KEYS) -> None:
        self.limit, self.window, self.clock, self.max_keys = limit, window, clock, max_keys
        self._entries: OrderedDict[str, _Entry] = OrderedDict()

    @property
    def enabled(self) -> bool:
        return self.limit > 0

    def _entry(self, key: str, now: float) -> _Entry | None:
        entry = self._entries.get(key)
        if entry is not None:
            while entry.hits and entry.hits[0] <= now - self.window:
                entry.hits.popleft()
        return entry

    def peek(self, key: str) -> float:
        """Seconds until `key` may be accepted (0: now), without recording anything."""
        if not self.enabled:
            return 0.0
        now = self.clock()
        entry = self._entry(key, now)
        if entry is None or len(entry.hits) < self.limit:
            return 0.0
        return max(0.0, entry.hits[0] + self.window - now)

    def record(self, key: str) -> None:
        if not self.enabled:
            return
        now = self.clock()
        entry = self._entry(key, now) or _Entry()
        entry.hits.append(now)
        entry.refused = False
        self._entries[key] = entry
        self._entries.move_to_end(key)
        self._prune(now)

    def refuse(self, key: str) -> bool:
        """Notes a refusal; True when it is the first since `key` was last accepted."""
        entry = self._entries.get(key)
        if entry is None:
            return True
        first, entry.refused = not entry.refused, True
        return first

    def hit(self, key: str) -> Decision:
        wait = self.peek(key)
        if wait > 0:
            return Decision(False, wait, self.refuse(key))
        self.record(key)
        return ALLOWED

    def _prune(self, now: float) -> None:
        # Least recently seen first: forget keys whose messages all left the window,
        # and the oldest ones beyond max_keys.
        while self._entries:
            key, entry = next(iter(self._entries.items()))
            expired = not entry.hits or entry.hits[-1] <= now - self.window
            if not expired and len(self._entries) <= self.max_keys:
                break
            del self._entries[key]

    def __len__(self) -> int:
        return len(self._entries)


def _limit(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = (environ.get(name) or "").strip()
    try:
        return int(raw) if raw else default
    except ValueError:
        return default


class RateLimits:
    """The two limits every public channel applies: per conversation and per client IP."""

    def __init__(self, per_sender: int = DEFAULT_PER_SENDER, per_ip: int = DEFAULT_PER_IP,
                 window: float = WINDOW_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self.sender = SlidingWindowLimiter(per_sender, window, clock)
        self.ip = SlidingWindowLimiter(per_ip, window, clock)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "RateLimits":
        environ = os.environ if environ is None else environ
        return cls(_limit(environ, "RATE_LIMIT_PER_SENDER", DEFAULT_PER_SENDER),
                   _limit(environ, "RATE_LIMIT_PER_IP", DEFAULT_PER_IP))

    def check(self, sender: str | None = None, ip: str | None = None) -> Decision:
        """Counts one message from `sender` and/or `ip` when both limits allow it; a
        refused message counts for neither (a flood does not extend its own wait)."""
        sender_wait = self.sender.peek(f"s:{sender}") if sender else 0.0
        ip_wait = self.ip.peek(f"i:{ip}") if ip else 0.0
        if sender_wait > 0 or ip_wait > 0:
            first = self.sender.refuse(f"s:{sender}") if sender_wait > 0 else self.ip.refuse(f"i:{ip}")
            return Decision(False, max(sender_wait, ip_wait), first)
        if sender:
            self.sender.record(f"s:{sender}")
        if ip:
            self.ip.record(f"i:{ip}")
        return ALLOWED


def client_ip(request: Any) -> str | None:
    """The TCP peer, or the proxy's forwarded address when Sanic is configured to trust it."""
    return getattr(request, "remote_addr", None) or getattr(request, "ip", None) or None
