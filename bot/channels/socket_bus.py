"""The widget's socket.io message queue between Rasa replicas, on Redis pub/sub.

Behind the load balancer, one conversation's open tabs may be connected to different
replicas, and a reply or the erasure notice is emitted by whichever replica handled the
request. python-socketio's AsyncRedisManager publishes every emit on a Redis channel and
each replica delivers it to its own sockets. Two changes to it:
- the messages carry the assistant's replies: they cross Redis sealed (Fernet, with a key
  derived from WIDGET_SECRET, which every replica must share anyway), never in clear;
- JSON instead of pickle, read only once the seal is verified: whoever can write to Redis
  cannot make a replica unpickle anything or show anything in a tab.
Without REDIS_URL (one process, `make run`) socket.io keeps its in-process manager.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
from typing import Any, AsyncIterator

import socketio
from cryptography.fernet import Fernet, InvalidToken
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)
CHANNEL = "mediation-widget"
MAX_AGE_SECONDS = 60  # an older sealed message (a replay) is dropped


class BusSettingError(RuntimeError):
    pass


def bus_key(secret: str) -> bytes:
    """A Fernet key of its own, derived from the widget secret (never the secret itself)."""
    return base64.urlsafe_b64encode(hmac.new(secret.encode(), b"socket.io bus v1", hashlib.sha256).digest())


class SealedRedisManager(socketio.AsyncRedisManager):
    name = "sealed-redis"

    def __init__(self, url: str, secret: str, channel: str = CHANNEL) -> None:
        self.fernet = Fernet(bus_key(secret))
        super().__init__(url, channel=channel)

    async def _publish(self, data: dict[str, Any]) -> None:
        sealed = self.fernet.encrypt(json.dumps(data).encode())
        for attempt in (1, 2):  # a second time on a fresh connection, like AsyncRedisManager
            try:
                await self.redis.publish(self.channel, sealed)
                return
            except RedisError:
                logger.error("Cannot publish on the socket.io bus (attempt %d)", attempt)
                self._redis_connect()

    async def _listen(self) -> AsyncIterator[dict[str, Any]]:
        async for sealed in super()._listen():
            try:
                yield json.loads(self.fernet.decrypt(sealed, ttl=MAX_AGE_SECONDS))
            except (InvalidToken, TypeError, ValueError):
                logger.warning("Dropped a socket.io bus message not sealed by this deployment, or too old")


def from_environment() -> SealedRedisManager | None:
    """The shared message queue when REDIS_URL is set (several replicas), else None."""
    url = os.environ.get("REDIS_URL")
    if not url:
        return None
    secret = os.environ.get("WIDGET_SECRET", "")
    if len(secret) < 32:
        raise BusSettingError("REDIS_URL is set (several replicas): WIDGET_SECRET (32 characters or more) "
                              "must be set, the same on every replica")
    return SealedRedisManager(url, secret)
