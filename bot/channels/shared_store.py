"""The store the Rasa replicas share for the channels' short-lived state: Redis, when
REDIS_URL is set (e.g. `redis://127.0.0.1:6379/0`); otherwise each process keeps that state
in its own memory, which is right for one process (`make run`).

What uses it (each with an in-memory twin, chosen by `shared_store()`): Meta's duplicate
deliveries and 24-hour window (bot/channels/dedup.py, bot/channels/service_window.py),
Twilio's numbered choices (bot/channels/choices.py), the rate limits
(bot/channels/rate_limit.py) and the order of one person's messages
(bot/channels/ordering.py).

Rules for whatever goes in:
- every key starts with PREFIX (`ma:`, or REDIS_KEY_PREFIX) and has a TTL: nothing grows
  without bound;
- a person is named by the conversation id, which for Messenger, WhatsApp and Twilio is a
  pseudonym (bot/privacy/pseudonyms.py), never a phone number or PSID; anything else that
  could point at someone (an IP address, a sender the caller chose, a platform's message id)
  is stored only as an HMAC-SHA256 digest (`digest`), keyed by CONVERSATION_ID_KEY;
- when Redis fails (down, timeout, refused), `run` returns UNAVAILABLE and the caller uses
  its per-process twin, i.e. exactly what one replica did before the store existed. The
  failure is logged by its type only (never a key, a value or the URL, which may hold a
  password), once per outage, and Redis is left alone for RETRY_SECONDS before the next try,
  so that an outage does not slow every webhook down.
"""
from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import logging
import os
import secrets
import time
import weakref
from typing import Any, Awaitable, Callable, Mapping, TypeVar

import redis.asyncio as redis
from redis.exceptions import RedisError

from bot.privacy import pseudonyms

logger = logging.getLogger(__name__)

URL_VARIABLE = "REDIS_URL"
PREFIX_VARIABLE = "REDIS_KEY_PREFIX"  # e.g. two deployments sharing one Redis; default PREFIX
PREFIX = "ma:"
RETRY_SECONDS = 2.0
TIMEOUT_SECONDS = 1.0  # loopback or the same network: a slower Redis is treated as down
T = TypeVar("T")


class _Unavailable:
    """What `SharedStore.run` returns when Redis could not answer."""

    def __repr__(self) -> str:
        return "UNAVAILABLE"


UNAVAILABLE: Any = _Unavailable()


def _digest_key() -> bytes:
    secret = os.environ.get(pseudonyms.KEY_VARIABLE, "").strip()
    if secret:
        # A key of its own, derived from the pseudonym key (never that key itself).
        return hmac.new(secret.encode(), b"shared-store-digest", hashlib.sha256).digest()
    logger.warning("%s is not set: the shared store's digests use a per-process key, so rate limits per "
                   "address and per REST sender are not shared between replicas", pseudonyms.KEY_VARIABLE)
    return secrets.token_bytes(32)


class SharedStore:
    """One Redis database seen through redis.asyncio; one client per event loop (a client's
    connections belong to the loop that opened them)."""

    def __init__(self, url: str, prefix: str = PREFIX, timeout: float = TIMEOUT_SECONDS,
                 retry_seconds: float = RETRY_SECONDS) -> None:
        self.url, self.prefix, self.timeout, self.retry_seconds = url, prefix, timeout, retry_seconds
        self._clients: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, redis.Redis]" = \
            weakref.WeakKeyDictionary()
        self._digest_key = _digest_key()
        self._down_until = 0.0
        self._down = False
        self.failures = 0  # calls that fell back to per-process state

    def client(self) -> redis.Redis:
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            client = self._clients[loop] = redis.Redis.from_url(
                self.url, socket_timeout=self.timeout, socket_connect_timeout=self.timeout, decode_responses=True)
        return client

    async def close(self) -> None:
        client = self._clients.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.close(close_connection_pool=True)

    def key(self, *parts: str) -> str:
        return self.prefix + ":".join(parts)

    def digest(self, value: str) -> str:
        """HMAC-SHA256 of `value` (hex): the same on every replica that shares the key."""
        return hmac.new(self._digest_key, value.encode("utf-8"), hashlib.sha256).hexdigest()

    @property
    def available(self) -> bool:
        return time.monotonic() >= self._down_until

    async def run(self, what: str, operation: Callable[[redis.Redis], Awaitable[T]]) -> T:
        """`operation(client)`'s result, or UNAVAILABLE when Redis fails (or failed less than
        `retry_seconds` ago). Never raises for a Redis problem."""
        if not self.available:
            self.failures += 1
            return UNAVAILABLE
        try:
            result = await operation(self.client())
        except (RedisError, OSError, asyncio.TimeoutError) as failure:
            self.failures += 1
            self._down_until = time.monotonic() + self.retry_seconds
            if not self._down:
                self._down = True
                logger.error("shared store unreachable (%s during %s): per-process state until it is back",
                             type(failure).__name__, what)
            return UNAVAILABLE
        if self._down:
            self._down = False
            logger.warning("shared store reachable again")
        return result


@functools.lru_cache(maxsize=4)
def _store_for(url: str, prefix: str) -> SharedStore:
    return SharedStore(url, prefix)


def shared_store(environ: Mapping[str, str] | None = None) -> SharedStore | None:
    """The process's store for REDIS_URL, or None (per-process memory) when it is unset."""
    environ = os.environ if environ is None else environ
    url = environ.get(URL_VARIABLE, "").strip()
    return _store_for(url, environ.get(PREFIX_VARIABLE, "").strip() or PREFIX) if url else None
