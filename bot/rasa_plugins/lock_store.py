"""The lock store that endpoints.yml names: Rasa's RedisLockStore when REDIS_URL is set,
Rasa's InMemoryLockStore otherwise.

Rasa processes one conversation's turns one at a time with ticket locks. In one process an
in-memory lock is enough (`make run`); several Rasa replicas must share their locks, or two
turns of one conversation received by two replicas would interleave. One endpoints.yml for
both: the environment chooses. The ticket logic stays Rasa's (LockStore.lock, issue_ticket,
cleanup…); it only calls get_lock, save_lock and delete_lock, delegated here.
"""
from __future__ import annotations

import contextlib
import logging
import os
from typing import Iterator, Optional

import redis.connection
import redis.exceptions
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, InMemoryLockStore, LockError, LockStore, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)
DEFAULT_URL_VARIABLE = "REDIS_URL"
MUTEX_SECONDS = 5  # a ticket operation takes a few milliseconds; a crashed holder frees it by then


class LockStoreSettingError(RuntimeError):
    pass


def redis_lock_store(url: str, key_prefix: str | None = None) -> RedisLockStore:
    """Rasa's RedisLockStore for a redis:// or rediss:// (TLS) URL, parsed by redis-py."""
    settings = redis.connection.parse_url(url)
    return RedisLockStore(
        host=settings.get("host", "localhost"), port=settings.get("port", 6379), db=settings.get("db", 0),
        username=settings.get("username"), password=settings.get("password"),
        use_ssl=settings.get("connection_class") is redis.connection.SSLConnection, key_prefix=key_prefix)


class EnvLockStore(LockStore):
    def __init__(self, endpoint_config: EndpointConfig | None = None) -> None:
        settings = endpoint_config.kwargs if endpoint_config else {}
        url = os.environ.get(settings.get("url_from_env") or DEFAULT_URL_VARIABLE)
        if url:
            self.backend: LockStore = redis_lock_store(url, settings.get("key_prefix"))
        else:
            # Rasa lets a custom lock store run several Sanic workers (SANIC_WORKERS): with
            # in-memory locks they would not see each other's.
            if int(os.environ.get("SANIC_WORKERS") or 1) > 1:
                raise LockStoreSettingError("SANIC_WORKERS > 1 needs REDIS_URL: the workers must share their locks")
            self.backend = InMemoryLockStore()
        logger.info("Lock store: %s", type(self.backend).__name__)
        super().__init__()

    def get_lock(self, conversation_id: str) -> Optional[TicketLock]:
        return self.backend.get_lock(conversation_id)

    def delete_lock(self, conversation_id: str) -> None:
        self.backend.delete_lock(conversation_id)

    def save_lock(self, lock: TicketLock) -> None:
        self.backend.save_lock(lock)

    # ---- Rasa's read-modify-write ticket operations, made atomic across replicas -------------

    @contextlib.contextmanager
    def _exclusive(self, conversation_id: str) -> Iterator[None]:
        if not isinstance(self.backend, RedisLockStore):
            yield  # one process: Rasa's operations do not await in between, nothing interleaves
            return
        # "mutex:lock:<id>": outside the "lock:" keys, whatever a conversation id holds.
        mutex = self.backend.red.lock(f"mutex:{self.backend.key_prefix}{conversation_id}",
                                      timeout=MUTEX_SECONDS, blocking_timeout=MUTEX_SECONDS)
        try:
            with mutex:
                yield
        except redis.exceptions.RedisError as error:  # not acquired in time, or Redis unreachable
            raise LockError(f"Could not lock conversation '{conversation_id}' to change its tickets") from error

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        with self._exclusive(conversation_id):
            return super().issue_ticket(conversation_id, lock_lifetime)

    def update_lock(self, conversation_id: str) -> None:
        with self._exclusive(conversation_id):
            super().update_lock(conversation_id)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        # Rasa's cleanup calls finish_serving and delete_lock: one mutex for the three steps.
        with self._exclusive(conversation_id):
            super().cleanup(conversation_id, ticket_number)
