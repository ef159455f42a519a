"""The lock store of endpoints.yml (bot/rasa_plugins/lock_store.py): Rasa's RedisLockStore when REDIS_URL
is set, in memory otherwise; two processes on one Redis wait for each other's lock."""
import asyncio

import pytest
import redis
from rasa.core.lock_store import InMemoryLockStore, LockStore, RedisLockStore
from rasa.utils.endpoints import read_endpoint_config

from bot.rasa_plugins.lock_store import EnvLockStore, LockStoreSettingError, redis_lock_store

from bot.paths import ROOT
from scripts.stack.redis_server import redis_server


@pytest.fixture(scope="module")
def redis_url():
    with redis_server() as server:
        yield server.url


@pytest.fixture(autouse=True)
def endpoints_variables(monkeypatch):
    """endpoints.yml names these; reading any section of it needs them set."""
    monkeypatch.setenv("TRACKER_DB", "unused.db")
    monkeypatch.setenv("ACTION_SERVER_PORT", "5055")
    monkeypatch.setenv("ACTION_SERVER_TOKEN", "unused")


def endpoints_lock_store():
    """The lock store exactly as `rasa run --endpoints endpoints.yml` builds it."""
    return LockStore.create(read_endpoint_config(str(ROOT / "endpoints.yml"), "lock_store"))


def test_without_redis_url_the_locks_are_in_memory(monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("SANIC_WORKERS", raising=False)
    store = endpoints_lock_store()
    assert isinstance(store, EnvLockStore) and isinstance(store.backend, InMemoryLockStore)


def test_several_sanic_workers_without_redis_are_refused(monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("SANIC_WORKERS", "2")
    with pytest.raises(LockStoreSettingError, match="REDIS_URL"):
        endpoints_lock_store()


def test_the_redis_url_is_read_with_its_password_database_and_tls():
    store = redis_lock_store("rediss://:s%40cret@cache.example:6380/3")
    settings = store.red.connection_pool.connection_kwargs
    assert (settings["host"], settings["port"], settings["db"], settings["password"]) == ("cache.example", 6380, 3, "s@cret")
    assert store.red.connection_pool.connection_class is redis.connection.SSLConnection
    plain = redis_lock_store("redis://127.0.0.1:6379")
    assert plain.red.connection_pool.connection_class is redis.connection.Connection
    assert plain.red.connection_pool.connection_kwargs["db"] == 0


def test_with_redis_url_two_processes_share_the_locks(monkeypatch, redis_url):
    monkeypatch.setenv("REDIS_URL", redis_url)
    first, second = endpoints_lock_store(), endpoints_lock_store()  # two replicas
    assert isinstance(first.backend, RedisLockStore)
    client = redis.Redis.from_url(redis_url)

    async def scenario():
        order = []
        async with first.lock("conversation-1"):
            assert client.exists("lock:conversation-1")  # in Redis, under Rasa's prefix

            async def second_turn():
                async with second.lock("conversation-1", wait_time_in_seconds=0.05):
                    order.append("second")

            waiting = asyncio.create_task(second_turn())
            await asyncio.sleep(0.6)
            assert not waiting.done()  # the other replica waits for this one
            order.append("first")
        await asyncio.wait_for(waiting, 5)
        return order

    assert asyncio.run(scenario()) == ["first", "second"]
    assert not client.exists("lock:conversation-1")  # cleaned up once nobody waits


def test_an_unreachable_redis_fails_the_turn_instead_of_skipping_the_lock(monkeypatch):
    from rasa.core.lock_store import LockError
    from scripts.stack.redis_server import _free_port

    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{_free_port()}/0")
    store = endpoints_lock_store()

    async def turn():
        async with store.lock("conversation-2"):
            pass

    with pytest.raises(LockError):
        asyncio.run(turn())


def test_simultaneous_tickets_from_two_replicas_are_all_distinct(monkeypatch, redis_url):
    """Rasa's RedisLockStore reads, changes and writes a lock: from two processes at once,
    tickets overwrite each other (two turns with one number run together). Not here."""
    import threading

    monkeypatch.setenv("REDIS_URL", redis_url)
    stores = [endpoints_lock_store(), endpoints_lock_store()]
    tickets, start = [], threading.Barrier(16)

    def issue(number):
        start.wait()
        tickets.append(stores[number % 2].issue_ticket("conversation-3"))

    threads = [threading.Thread(target=issue, args=(number,)) for number in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(tickets) == list(range(16))
    assert len(stores[0].get_lock("conversation-3").tickets) == 16
    for ticket in tickets:
        stores[ticket % 2].cleanup("conversation-3", ticket)
    assert stores[0].get_lock("conversation-3") is None
    assert not redis.Redis.from_url(redis_url).keys("mutex:*")  # every mutex released
