"""The widget's socket.io bus between replicas (bot/channels/socket_bus.py), on a real Redis:
sealed messages, nothing in clear on the channel, foreign or replayed messages dropped."""
import asyncio
import json

import pytest
import redis
from cryptography.fernet import Fernet

from bot.channels import socket_bus
from bot.channels.widget import WidgetInput

from scripts.stack.redis_server import redis_server

SECRET = "w" * 40
REPLY = "Votre dossier concerne Mme Ginette Lefort, 69003"


@pytest.fixture(scope="module")
def redis_url():
    with redis_server() as server:
        yield server.url


def emit_message(room="widget-1"):
    return {"method": "emit", "event": "bot_uttered", "data": {"text": REPLY}, "namespace": "/", "room": room,
            "skip_sid": None, "callback": None, "host_id": "replica-a"}


async def receive(manager, count, timeout=5.0):
    """The first `count` messages the manager's listener yields (what it would deliver)."""
    received = []

    async def listen():
        async for message in manager._listen():
            received.append(message)
            if len(received) == count:
                return

    await asyncio.wait_for(listen(), timeout)
    return received


def test_a_message_crosses_redis_sealed_and_arrives_whole(redis_url):
    async def scenario():
        sender, receiver = (socket_bus.SealedRedisManager(redis_url, SECRET) for _ in range(2))
        spy = redis.asyncio.Redis.from_url(redis_url).pubsub()
        await spy.subscribe(socket_bus.CHANNEL)
        listening = asyncio.create_task(receive(receiver, 1))
        await asyncio.sleep(0.3)  # the receiver has subscribed
        await sender._publish(emit_message())
        raw = None
        while raw is None:
            raw = await spy.get_message(ignore_subscribe_messages=True, timeout=5)
        return await listening, raw["data"]

    (delivered,), on_the_wire = asyncio.run(scenario())
    assert delivered == emit_message()
    assert b"Ginette" not in on_the_wire and b"69003" not in on_the_wire and b"widget-1" not in on_the_wire
    assert json.loads(Fernet(socket_bus.bus_key(SECRET)).decrypt(on_the_wire)) == emit_message()


def test_unsealed_foreign_or_replayed_messages_are_dropped(redis_url, monkeypatch):
    async def scenario():
        receiver = socket_bus.SealedRedisManager(redis_url, SECRET)
        publisher = redis.asyncio.Redis.from_url(redis_url)
        listening = asyncio.create_task(receive(receiver, 1))
        await asyncio.sleep(0.3)
        stale = Fernet(socket_bus.bus_key(SECRET)).encrypt_at_time(json.dumps(emit_message("old")).encode(), 1)
        for message in (json.dumps(emit_message("clear")),  # unsealed, what AsyncRedisManager would read
                        Fernet(socket_bus.bus_key("x" * 40)).encrypt(json.dumps(emit_message("foreign")).encode()),
                        stale,  # sealed by us, but long ago: a replay
                        Fernet(socket_bus.bus_key(SECRET)).encrypt(json.dumps(emit_message("genuine")).encode())):
            await publisher.publish(socket_bus.CHANNEL, message)
        return await listening

    assert [message["room"] for message in asyncio.run(scenario())] == ["genuine"]


def test_the_bus_key_is_not_the_widget_secret_and_depends_on_it():
    assert socket_bus.bus_key(SECRET) != socket_bus.bus_key("v" * 40)
    assert SECRET.encode() not in socket_bus.bus_key(SECRET)
    Fernet(socket_bus.bus_key(SECRET))  # a valid Fernet key


def test_the_widget_uses_the_bus_only_with_redis_url(monkeypatch, redis_url):
    from bot.channels.session_tokens import SessionTokens

    monkeypatch.delenv("REDIS_URL", raising=False)
    channel = WidgetInput(SessionTokens(SECRET))
    channel.blueprint(on_new_message=None)
    assert not isinstance(channel.sio.manager, socket_bus.SealedRedisManager)

    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("WIDGET_SECRET", SECRET)
    channel = WidgetInput(SessionTokens(SECRET))
    channel.blueprint(on_new_message=None)
    assert isinstance(channel.sio.manager, socket_bus.SealedRedisManager)

    monkeypatch.setenv("WIDGET_SECRET", "short")  # each replica would mint tokens the others refuse
    with pytest.raises(socket_bus.BusSettingError, match="WIDGET_SECRET"):
        WidgetInput(SessionTokens(SECRET)).blueprint(on_new_message=None)
