"""Rate limiting per person (conversation id) and per client IP.

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

Two backends behind `RateLimits.from_env()`: `RateLimits`, in the process's memory (one
Rasa process: `make run`), and, when REDIS_URL is set, `SharedRateLimits` in Redis, so that
every replica behind the load balancer counts the same messages (the same sliding-window
log, one sorted set per key, checked and recorded in one atomic script). In Redis a key is
never a clear address or sender: `ma:rl:ip:<HMAC of the IP>`, `ma:rl:sender:<HMAC of the
conversation id>` (bot/channels/shared_store.py). While Redis is unreachable each replica
falls back to its own counters, as before.
"""
from __future__ import annotations

import math
import os
import secrets
import time
from collections import OrderedDict, deque
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from bot.channels.shared_store import UNAVAILABLE, SharedStore, shared_store

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
    """The two limits every public channel applies: per conversation and per client IP
    (in this process's memory; `from_env` picks the shared ones when REDIS_URL is set)."""

    def __init__(self, per_sender: int = DEFAULT_PER_SENDER, per_ip: int = DEFAULT_PER_IP,
                 window: float = WINDOW_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self.window = window
        self.sender = SlidingWindowLimiter(per_sender, window, clock)
        self.ip = SlidingWindowLimiter(per_ip, window, clock)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "RateLimits":
        environ = os.environ if environ is None else environ
        per_sender = _limit(environ, "RATE_LIMIT_PER_SENDER", DEFAULT_PER_SENDER)
        per_ip = _limit(environ, "RATE_LIMIT_PER_IP", DEFAULT_PER_IP)
        store = shared_store(environ)
        return SharedRateLimits(store, per_sender, per_ip) if store else cls(per_sender, per_ip)

    async def check(self, sender: str | None = None, ip: str | None = None) -> Decision:
        """Counts one message from `sender` and/or `ip` when both limits allow it; a
        refused message counts for neither (a flood does not extend its own wait)."""
        return self._check_here(sender, ip)

    def _check_here(self, sender: str | None, ip: str | None) -> Decision:
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


# The same sliding-window log as SlidingWindowLimiter, for up to two keys at once, atomic.
# KEYS: sender hits, sender refusal mark, IP hits, IP refusal mark.
# ARGV: now, window (seconds), sender limit, IP limit (0: not checked), a unique member.
# Returns {allowed, seconds to wait (as text: Lua numbers come back as integers), first refusal}.
_CHECK = """
local now, window, member = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[5]
local ttl = math.ceil(window * 1000)
local waits = {0, 0}
for i = 1, 2 do
  local limit, hits = tonumber(ARGV[2 + i]), KEYS[2 * i - 1]
  if limit > 0 then
    redis.call('ZREMRANGEBYSCORE', hits, '-inf', now - window)
    if redis.call('ZCARD', hits) >= limit then
      local oldest = tonumber(redis.call('ZRANGE', hits, 0, 0, 'WITHSCORES')[2])
      waits[i] = math.max(0, oldest + window - now)
    end
  end
end
if waits[1] > 0 or waits[2] > 0 then
  local mark = KEYS[4]
  if waits[1] > 0 then mark = KEYS[2] end
  local first = redis.call('EXISTS', mark) == 0
  redis.call('SET', mark, 1, 'PX', ttl)
  return {0, tostring(math.max(waits[1], waits[2])), first and 1 or 0}
end
for i = 1, 2 do
  if tonumber(ARGV[2 + i]) > 0 then
    redis.call('ZADD', KEYS[2 * i - 1], now, member)
    redis.call('PEXPIRE', KEYS[2 * i - 1], ttl)
    redis.call('DEL', KEYS[2 * i])
  end
end
return {1, '0', 0}
"""


class SharedRateLimits(RateLimits):
    """The same limits counted in Redis by every replica (wall clock: the replicas share
    it, not a monotonic one). While Redis is unreachable, this process's own counters."""

    def __init__(self, store: SharedStore, per_sender: int = DEFAULT_PER_SENDER, per_ip: int = DEFAULT_PER_IP,
                 window: float = WINDOW_SECONDS, clock: Callable[[], float] = time.time) -> None:
        super().__init__(per_sender, per_ip, window, clock)
        self.store, self.clock = store, clock

    def _keys(self, kind: str, value: str | None) -> list[str]:
        digest = self.store.digest(value) if value else "none"
        return [self.store.key("rl", kind, digest), self.store.key("rl", kind, digest, "refused")]

    async def check(self, sender: str | None = None, ip: str | None = None) -> Decision:
        sender_limit = self.sender.limit if sender and self.sender.enabled else 0
        ip_limit = self.ip.limit if ip and self.ip.enabled else 0
        if not sender_limit and not ip_limit:
            return ALLOWED
        now = self.clock()
        keys = self._keys("sender", sender if sender_limit else None) + self._keys("ip", ip if ip_limit else None)
        args = [repr(now), repr(self.window), sender_limit, ip_limit, f"{now!r}:{secrets.token_hex(6)}"]
        result = await self.store.run("rate limit", lambda client: client.register_script(_CHECK)(keys=keys,
                                                                                                 args=args))
        if result is UNAVAILABLE:
            return self._check_here(sender, ip)
        allowed, wait, first = result
        return ALLOWED if int(allowed) else Decision(False, float(wait), bool(int(first)))


def client_ip(request: Any) -> str | None:
    """The TCP peer, or the proxy's forwarded address when Sanic is configured to trust it."""
    return getattr(request, "remote_addr", None) or getattr(request, "ip", None) or None
