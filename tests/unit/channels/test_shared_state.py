"""The channels' state shared by several Rasa replicas through Redis (bot/channels/shared_store.py
and its users): each state type against both backends, two replicas sharing one Redis, Redis
stopped in the middle, and what the keys and values hold (never a clear number or address).

Redis is a throwaway `redis-server` on loopback (scripts/stack/redis_server.py; TEST_REDIS_URL to
use another one). Each test has its own key prefix, removed afterwards. The same behind the real
Rasa server: tests/e2e/test_shared_state.py."""
from __future__ import annotations

import asyncio
import logging
import secrets
import subprocess
import time
import urllib.parse
import urllib.request
from types import SimpleNamespace

import pytest
import redis
from twilio.request_validator import RequestValidator

from tests.support import meta_payloads as fx
from bot import content
from bot.channels import shared_store, whatsapp
from bot.channels.choices import ChoiceMemory, SharedChoiceMemory, choice_memory
from bot.channels.dedup import Deduplicator, SharedDeduplicator, deduplicator
from bot.channels.ordering import ConversationWorkers, PersonQueues, SharedPersonQueues, person_queues
from bot.channels.rate_limit import RateLimits, SharedRateLimits
from bot.channels.service_window import ServiceWindow, SharedServiceWindow, service_window
from bot.channels.shared_store import SharedStore
from bot.channels.signatures import meta_signature
from bot.channels.twilio import SignedTwilioInput, TwilioSettings, conversation_id
from tests.support.fake_platform import CHANNEL_TEST_SECRETS, whatsapp_messages_to
from tests.support.redis_dump import redis_dump
from scripts.stack.redis_server import redis_server, redis_url

from bot.paths import ROOT
WA_SECRET = CHANNEL_TEST_SECRETS["WHATSAPP_APP_SECRET"]
PHONE_NUMBER_ID = CHANNEL_TEST_SECRETS["WHATSAPP_PHONE_NUMBER_ID"]
TEMPLATE = CHANNEL_TEST_SECRETS["WHATSAPP_TEMPLATE_NAME"]
SID, AUTH_TOKEN, NUMBER = (CHANNEL_TEST_SECRETS[k] for k in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN",
                                                             "TWILIO_NUMBER"))
TWILIO_URL = "https://mediation.example.fr/webhooks/twilio/webhook"
CONSENT = [{"title": "J'accepte", "payload": "/affirm"}, {"title": "Je refuse", "payload": "/deny"}]
pytestmark = pytest.mark.usefixtures("conversation_id_key")


# ---- Fixtures --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def redis_at():
    with redis_url() as url:
        yield url


@pytest.fixture
def prefix(redis_at):
    """A key prefix of this test's own; its keys are removed afterwards."""
    prefix = f"ma:test{secrets.token_hex(4)}:"
    yield prefix
    spy = redis.Redis.from_url(redis_at, decode_responses=True)
    keys = list(spy.scan_iter(match=prefix + "*"))
    if keys:
        spy.delete(*keys)
    spy.close()


@pytest.fixture
def spy(redis_at, prefix):
    """A plain (blocking) client to look at what the channels stored."""
    client = redis.Redis.from_url(redis_at, decode_responses=True)
    yield client
    client.close()


def new_store(url, prefix, **kwargs) -> SharedStore:
    """One replica's connection to the shared store (each replica has its own)."""
    return SharedStore(url, prefix=prefix, **kwargs)


@pytest.fixture
async def store(redis_at, prefix):
    store = new_store(redis_at, prefix)
    yield store
    await store.close()
    # The shared backend really answered: no silent fallback to per-process memory.
    assert store.failures == 0


@pytest.fixture
def replicas(monkeypatch, redis_at, prefix):
    """Channels built as on a server with REDIS_URL set; each call to `replica(build)`
    stands for another Rasa process (its own SharedStore, its own connections)."""
    monkeypatch.setenv("REDIS_URL", redis_at)
    monkeypatch.setenv("REDIS_KEY_PREFIX", prefix)
    monkeypatch.setenv("RATE_LIMIT_PER_SENDER", "20")
    monkeypatch.setenv("RATE_LIMIT_PER_IP", "0")

    def replica(build):
        shared_store._store_for.cache_clear()
        return build()

    yield replica
    shared_store._store_for.cache_clear()


class Clock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["memory", "redis"])
def backend(request, redis_at, prefix):
    """Builds each state type on one backend; the same checks must pass on both."""
    if request.param == "memory":
        return SimpleNamespace(
            name="memory",
            dedup=lambda ttl: Deduplicator(ttl),
            window=lambda clock: ServiceWindow(clock=clock),
            choices=lambda ttl: ChoiceMemory(ttl=ttl),
            limits=lambda per_sender, per_ip, window, clock: RateLimits(per_sender, per_ip, window, clock),
            queues=lambda max_queued: PersonQueues(max_queued))
    store = request.getfixturevalue("store")
    return SimpleNamespace(
        name="redis", store=store,
        dedup=lambda ttl: SharedDeduplicator(store, "unit", ttl),
        window=lambda clock: SharedServiceWindow(store, clock=clock),
        choices=lambda ttl: SharedChoiceMemory(store, ttl=ttl),
        limits=lambda per_sender, per_ip, window, clock: SharedRateLimits(store, per_sender, per_ip, window, clock),
        queues=lambda max_queued: SharedPersonQueues(store, max_queued, poll_seconds=0.01))


# ---- Choosing the backend --------------------------------------------------------------


def test_without_redis_url_everything_stays_in_memory(monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    assert shared_store.shared_store() is None
    assert type(deduplicator("whatsapp")) is Deduplicator and type(service_window()) is ServiceWindow
    assert type(choice_memory()) is ChoiceMemory and type(person_queues()) is PersonQueues
    assert type(RateLimits.from_env()) is RateLimits


def test_with_redis_url_everything_is_shared_under_one_prefix(replicas, prefix):
    store = replicas(shared_store.shared_store)
    assert isinstance(store, SharedStore) and store.prefix == prefix
    assert store.key("window", "whatsapp-abc") == f"{prefix}window:whatsapp-abc"
    assert isinstance(deduplicator("whatsapp"), SharedDeduplicator)
    assert isinstance(service_window(), SharedServiceWindow)
    assert isinstance(choice_memory(), SharedChoiceMemory)
    assert isinstance(person_queues(), SharedPersonQueues)
    assert isinstance(RateLimits.from_env(), SharedRateLimits)
    assert shared_store.shared_store({"REDIS_URL": "redis://127.0.0.1:1/0"}).prefix == "ma:"  # the default


# ---- Each state type, both backends ----------------------------------------------------


async def test_deduplication(backend):
    seen = backend.dedup(0.3)
    assert await seen.first_time("wamid.1") and not await seen.first_time("wamid.1")
    assert await seen.first_time("wamid.2")
    assert await seen.first_time(None) and await seen.first_time(None)  # no id: always processed
    await asyncio.sleep(0.4)
    assert await seen.first_time("wamid.1")  # forgotten after its TTL


async def test_service_window(backend):
    clock = Clock()
    window = backend.window(clock)
    one, two, three = "whatsapp-one", "whatsapp-two", "whatsapp-three"
    assert not await window.is_open(one)
    await window.inbound(one)
    clock.now += 24 * 3600 - 1
    assert await window.is_open(one)
    clock.now += 1
    assert not await window.is_open(one)
    # The platform's timestamp counts; an older retry never shortens the window; never in the future.
    await window.inbound(two)
    await window.inbound(two, at=clock.now - 20 * 3600)
    clock.now += 23 * 3600
    assert await window.is_open(two)
    await window.inbound(three, at=clock.now + 10_000)
    clock.now += 24 * 3600
    assert not await window.is_open(three)
    # The template once, until the person writes again.
    assert await window.claim_template(one) and not await window.claim_template(one)
    await window.inbound(one)
    assert await window.is_open(one) and await window.claim_template(one)


async def test_numbered_choices(backend):
    memory = backend.choices(0.3)
    await memory.remember("twilio-a", CONSENT)
    assert await memory.take("twilio-a") == CONSENT
    assert await memory.take("twilio-a") == []  # one answer only
    await memory.remember("twilio-a", CONSENT)
    await memory.remember("twilio-a", CONSENT[:1])  # the latest offer wins
    assert await memory.take("twilio-a") == CONSENT[:1]
    await memory.remember("twilio-b", CONSENT)
    await asyncio.sleep(0.4)
    assert await memory.take("twilio-b") == []  # expired


async def test_rate_limits(backend):
    clock = Clock(1000.0)
    limits = backend.limits(3, 4, 60, clock)
    for _ in range(3):
        assert (await limits.check("alice", "10.0.0.1")).allowed
        clock.now += 1
    refused = await limits.check("alice", "10.0.0.1")
    assert not refused.allowed and refused.first_refusal and refused.retry_after == 57
    assert refused.retry_after_header == "57"
    assert not (await limits.check("alice", "10.0.0.1")).first_refusal  # told once
    # Refusals counted for neither key: one more from the IP is still accepted, then the IP is full.
    assert (await limits.check("bob", "10.0.0.1")).allowed
    by_ip = await limits.check("carol", "10.0.0.1")
    assert not by_ip.allowed and by_ip.first_refusal and by_ip.retry_after == 57
    assert (await limits.check("carol", "10.0.0.2")).allowed
    assert (await limits.check(ip="10.0.0.3")).allowed and (await limits.check("dave")).allowed
    clock.now = 1060  # alice's first message left the window
    assert (await limits.check("alice")).allowed
    assert not (await limits.check("alice")).allowed
    clock.now = 1200
    assert (await limits.check("alice")).allowed
    for _ in range(2):
        await limits.check("alice")
    assert (await limits.check("alice")).first_refusal  # a new block after an accepted message: told again
    off = backend.limits(0, 0, 60, clock)
    assert all([(await off.check("alice", "10.0.0.1")).allowed for _ in range(50)])


def _job(log: list[str], name: str, gate: asyncio.Event | None = None):
    async def run() -> None:
        log.append(f"start {name}")
        if gate is not None:
            await gate.wait()
        await asyncio.sleep(0.01)
        log.append(f"end {name}")
    return run


async def _until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.01)


async def test_order_of_one_person_and_concurrency_of_others(backend):
    workers = ConversationWorkers("unit", queues=backend.queues(20))
    log: list[str] = []
    gate = asyncio.Event()
    await workers.submit("whatsapp-ana", _job(log, "a1", gate))
    await workers.submit("whatsapp-ana", _job(log, "a2"))
    await workers.submit("whatsapp-bob", _job(log, "b1"))
    await workers.submit("whatsapp-ana", _job(log, "a3"))
    await _until(lambda: "end b1" in log)  # Bob is not stuck behind Ana
    await asyncio.sleep(0.1)
    assert "start a2" not in log
    gate.set()
    await workers.drain()
    assert [e for e in log if " a" in e] == ["start a1", "end a1", "start a2", "end a2", "start a3", "end a3"]
    assert len(workers.queues) == 0


async def test_flood_cap_and_a_failing_job(backend, caplog):
    workers = ConversationWorkers("unit", queues=backend.queues(2))
    gate = asyncio.Event()
    log: list[str] = []

    async def boom() -> None:
        raise ValueError("the person wrote: mon adresse est 3 rue des Lilas")

    assert await workers.submit("whatsapp-dan", boom)
    assert await workers.submit("whatsapp-dan", _job(log, "d2", gate))
    assert await workers.submit("whatsapp-dan", _job(log, "d3")) is None  # the cap
    assert await workers.submit("whatsapp-erin", _job(log, "e1")) is not None
    gate.set()
    with caplog.at_level(logging.ERROR):
        await workers.drain()
    assert log.count("end d2") == 1 and "end e1" in log
    assert "ValueError" in caplog.text and "Lilas" not in caplog.text
    assert await workers.submit("whatsapp-dan", _job(log, "d4"))  # room again
    await workers.drain()


async def test_cancelled_jobs_give_their_place_back(backend):
    workers = ConversationWorkers("unit", queues=backend.queues(20))
    gate = asyncio.Event()
    log: list[str] = []
    first = await workers.submit("whatsapp-fay", _job(log, "f1", gate))
    second = await workers.submit("whatsapp-fay", _job(log, "f2"))
    await _until(lambda: "start f1" in log)
    second.cancel()  # waiting
    first.cancel()  # running
    await workers.drain()
    assert len(workers.queues) == 0
    await workers.submit("whatsapp-fay", _job(log, "f3"))
    await asyncio.wait_for(workers.drain(), 5)  # not blocked by the cancelled ones
    assert log[-1] == "end f3"


# ---- Two replicas sharing one Redis ----------------------------------------------------


def _handler(blueprint, uri="/webhook", method="POST"):
    return next(route.handler for route in blueprint._future_routes if route.uri == uri and method in route.methods)


def whatsapp_channel(fake_platform) -> whatsapp.WhatsAppInput:
    return whatsapp.WhatsAppInput("verify", WA_SECRET, "wa-token", PHONE_NUMBER_ID, TEMPLATE, "fr",
                                  graph_base_url=fake_platform.url)


def whatsapp_post(raw: bytes):
    return SimpleNamespace(body=raw, headers={"X-Hub-Signature-256": meta_signature(WA_SECRET, raw)})


def twilio_channel(fake_platform) -> SignedTwilioInput:
    return SignedTwilioInput(TwilioSettings(SID, AUTH_TOKEN, NUMBER, fake_platform.url, TWILIO_URL))


def twilio_post(form):
    form = {"MessageSid": f"SM{time.time_ns()}", **form}  # Twilio always sends one (issue 16: each once)
    parsed = urllib.parse.urlsplit(TWILIO_URL)
    headers = {"Host": parsed.netloc,
               "X-Twilio-Signature": RequestValidator(AUTH_TOKEN).compute_signature(TWILIO_URL, form)}
    return SimpleNamespace(form={k: [v] for k, v in form.items()}, headers=headers, scheme=parsed.scheme,
                           path=parsed.path, query_string=parsed.query)


async def _close(*channels) -> None:
    from bot.channels import meta

    for channel in channels:
        await channel.workers.drain()
    await meta.close_sessions()


async def test_two_replicas_share_deduplication_and_the_24_hour_window(replicas, fake_platform):
    first, second = replicas(lambda: whatsapp_channel(fake_platform)), replicas(lambda: whatsapp_channel(fake_platform))
    assert first.window.store is not second.window.store  # two connections, as two processes have
    turns = []

    async def on_new_message(message):
        turns.append((message.sender_id, message.text))
        await message.output_channel.send_response(message.sender_id, {"text": "Bonjour, je vous écoute."})

    wa = "336" + fx.unique_id()[-8:]
    raw = fx.encode(fx.whatsapp_payload([fx.whatsapp_text(wa, "Bonjour", message_id=fx.unique_id("wamid."))]))
    assert (await _handler(first.blueprint(on_new_message))(whatsapp_post(raw))).status == 200
    # Meta's retry of the same delivery reaches the other replica: dropped there.
    assert (await _handler(second.blueprint(on_new_message))(whatsapp_post(raw))).status == 200
    await _close(first, second)
    assert turns == [(whatsapp.sender_id(wa), "Bonjour")]

    # The window the first replica opened lets the second one push a free-form message…
    await second.get_output_channel().send_text_message(whatsapp.sender_id(wa), "Votre rendez-vous est confirmé.")
    assert fake_platform.matching(whatsapp_messages_to(wa))[-1].json["text"] == {"body": "Votre rendez-vous est confirmé."}
    # …and someone who never wrote gets one template, whichever replica pushes.
    silent = "336" + fx.unique_id()[-8:]
    await first.get_output_channel().send_text_message(whatsapp.sender_id(silent), "Rappel")
    await second.get_output_channel().send_text_message(whatsapp.sender_id(silent), "Rappel")
    assert [r.json["type"] for r in fake_platform.matching(whatsapp_messages_to(silent))] == ["template"]
    await _close(first, second)


async def test_two_replicas_share_numbered_choices(replicas, fake_platform):
    offering = replicas(lambda: twilio_channel(fake_platform))
    answering = replicas(lambda: twilio_channel(fake_platform))
    person = f"whatsapp:+336{fx.unique_id()[-8:]}"
    texts = []

    async def offer(message):
        await message.output_channel.send_response(message.sender_id, {"text": "Acceptez-vous ?", "buttons": CONSENT})

    async def record(message):
        texts.append(message.text)
        await message.output_channel.send_response(message.sender_id, {"text": "Merci."})

    await _handler(offering.blueprint(offer))(twilio_post({"From": person, "To": NUMBER, "Body": "Bonjour"}))
    await offering.workers.drain()
    # The answer "2" reaches the other replica: read as the second button, once.
    await _handler(answering.blueprint(record))(twilio_post({"From": person, "To": NUMBER, "Body": "2"}))
    await _handler(answering.blueprint(record))(twilio_post({"From": person, "To": NUMBER, "Body": "2"}))
    await answering.workers.drain()
    assert texts == ["/deny", "2"]


async def test_two_replicas_count_one_rate_limit(redis_at, prefix):
    first = SharedRateLimits(new_store(redis_at, prefix), per_sender=3, per_ip=4)
    second = SharedRateLimits(new_store(redis_at, prefix), per_sender=3, per_ip=4)
    person = whatsapp.sender_id("33612345678")
    assert (await first.check(person)).allowed and (await second.check(person)).allowed
    assert (await first.check(person)).allowed
    refused = await second.check(person)
    assert not refused.allowed and refused.first_refusal and 1 <= int(refused.retry_after_header) <= 60
    assert not (await first.check(person)).first_refusal  # told once, whichever replica
    for limits in (first, second, first, second):
        assert (await limits.check(ip="10.9.8.7")).allowed
    assert not (await first.check(ip="10.9.8.7")).allowed  # per address too
    assert first.store.failures == second.store.failures == 0


async def test_two_replicas_keep_one_persons_order_and_the_cap(redis_at, prefix):
    stores = new_store(redis_at, prefix), new_store(redis_at, prefix)
    first, second = (ConversationWorkers("unit", queues=SharedPersonQueues(s, 3, poll_seconds=0.01)) for s in stores)
    log: list[str] = []
    gate = asyncio.Event()
    await first.submit("whatsapp-ana", _job(log, "a1", gate))
    await second.submit("whatsapp-ana", _job(log, "a2"))
    await second.submit("whatsapp-bob", _job(log, "b1"))
    await first.submit("whatsapp-ana", _job(log, "a3"))
    # Ana has 3 waiting or running, over both replicas: a fourth is dropped on either.
    assert await second.submit("whatsapp-ana", _job(log, "a4")) is None
    assert await first.submit("whatsapp-ana", _job(log, "a4")) is None
    await _until(lambda: "end b1" in log)  # Bob runs at once on the second replica
    await asyncio.sleep(0.2)
    assert "start a2" not in log and "start a3" not in log
    gate.set()
    await first.drain()
    await second.drain()
    assert [e for e in log if " a" in e] == ["start a1", "end a1", "start a2", "end a2", "start a3", "end a3"]
    assert all(s.failures == 0 for s in stores)
    for store in stores:
        await store.close()


async def test_a_dead_replicas_ticket_expires(redis_at, prefix):
    dead = SharedPersonQueues(new_store(redis_at, prefix), ticket_seconds=0.5, poll_seconds=0.01)
    alive = ConversationWorkers("unit", queues=SharedPersonQueues(new_store(redis_at, prefix), ticket_seconds=0.5,
                                                                  poll_seconds=0.01))
    assert await dead.enter("whatsapp-gil")  # a ticket taken, then the process died
    log: list[str] = []
    started = time.monotonic()
    await alive.submit("whatsapp-gil", _job(log, "g1"))
    await asyncio.wait_for(alive.drain(), 5)
    assert log == ["start g1", "end g1"] and 0.3 < time.monotonic() - started < 3


# ---- Redis stopped in the middle -------------------------------------------------------


async def test_redis_down_in_the_middle_falls_back_to_each_process_and_comes_back(
        monkeypatch, prefix, fake_platform, caplog):
    with redis_server() as server:  # a private server: this test stops it
        monkeypatch.setenv("REDIS_URL", server.url)
        monkeypatch.setenv("REDIS_KEY_PREFIX", prefix)
        monkeypatch.setenv("RATE_LIMIT_PER_SENDER", "2")
        shared_store._store_for.cache_clear()
        channel = whatsapp_channel(fake_platform)
        store = channel.seen.store
        store.retry_seconds = 0.2
        wa, earlier = "336" + fx.unique_id()[-8:], "336" + fx.unique_id()[-8:]
        conversation = whatsapp.sender_id(wa)
        await channel.window.inbound(whatsapp.sender_id(earlier))
        assert await channel.window.is_open(whatsapp.sender_id(earlier)) and store.failures == 0

        turns = []

        async def on_new_message(message):
            turns.append(message.text)
            await message.output_channel.send_response(message.sender_id, {"text": "Bonjour, je vous écoute."})

        receive = _handler(channel.blueprint(on_new_message))
        server.stop()
        with caplog.at_level(logging.INFO):
            # The webhook still answers and the person still gets the answer (window open locally).
            raws = [fx.encode(fx.whatsapp_payload([fx.whatsapp_text(wa, f"message {n}", message_id=f"wamid.{n}")]))
                    for n in range(4)]
            for raw in (raws[0], raws[0], raws[1], raws[2], raws[3]):
                assert (await receive(whatsapp_post(raw))).status == 200
            await channel.workers.drain()
            assert turns == ["message 0", "message 1"]  # duplicate dropped, then the local rate limit (2)
            replies = [r.json for r in fake_platform.matching(whatsapp_messages_to(wa))]
            assert [r["type"] for r in replies] == ["text", "text", "text"], replies  # 2 answers, 1 notice
            assert replies[-1]["text"]["body"] == content.RATE_LIMITED
            assert await channel.window.is_open(conversation)  # opened in this process's memory
            # Someone whose window was opened before the outage: closed now (the safe side), one template.
            out = channel.get_output_channel()
            await out.send_text_message(whatsapp.sender_id(earlier), "Rappel")
            await out.send_text_message(whatsapp.sender_id(earlier), "Rappel")
            assert [r.json["type"] for r in fake_platform.matching(whatsapp_messages_to(earlier))] == ["template"]
            # Numbered choices: this process's memory.
            memory = SharedChoiceMemory(store)
            await memory.remember(conversation_id("+33611223344"), CONSENT)
            assert await memory.take(conversation_id("+33611223344")) == CONSENT
        assert store.failures > 0
        failures = [r for r in caplog.records if r.name == "bot.channels.shared_store"]
        assert len(failures) == 1 and "ConnectionError" in failures[0].getMessage()  # once per outage
        assert not any(r.exc_info for r in caplog.records)  # no trace
        for leaked in (wa, str(server.port), "message 0", "Traceback"):
            assert leaked not in caplog.text

        server.start()  # same port, empty (no persistence)
        await asyncio.sleep(0.3)
        caplog.clear()
        with caplog.at_level(logging.INFO):
            shared_store._store_for.cache_clear()
            again = whatsapp_channel(fake_platform)  # another replica
            assert await channel.seen.first_time("wamid.after")
            assert not await again.seen.first_time("wamid.after")  # shared again
        assert "reachable again" in caplog.text
        await _close(channel, again)
        await store.close()


# ---- What the keys and values hold ------------------------------------------------------


async def test_the_shared_store_holds_no_clear_number_or_address(replicas, prefix, spy, fake_platform,
                                                                  monkeypatch):
    monkeypatch.setenv("RATE_LIMIT_PER_IP", "100")
    wa, sms = "33687654321", "+33611223344"
    ip = "10.203.44.55"
    wa_channel = replicas(lambda: whatsapp_channel(fake_platform))
    tw_channel = replicas(lambda: twilio_channel(fake_platform))
    rest_limits = replicas(RateLimits.from_env)
    seen_while_running: dict[str, tuple[str, int]] = {}
    release = asyncio.Event()

    async def on_new_message(message):
        await message.output_channel.send_response(message.sender_id, {"text": "Acceptez-vous ?", "buttons": CONSENT})
        if message.text == "Bonjour":
            seen_while_running.update(redis_dump(spy, prefix))  # the order keys exist only now
            await release.wait()

    wa_receive = _handler(wa_channel.blueprint(on_new_message))
    tw_receive = _handler(tw_channel.blueprint(on_new_message))
    await wa_receive(whatsapp_post(fx.encode(fx.whatsapp_payload([fx.whatsapp_text(wa, "Bonjour", "wamid.p1")]))))
    await wa_receive(whatsapp_post(fx.encode(fx.whatsapp_payload([fx.whatsapp_text(wa, "1", "wamid.p2")]))))
    await tw_receive(twilio_post({"From": f"whatsapp:{sms}", "To": NUMBER, "Body": "Bonjour"}))
    assert (await rest_limits.check(f"rest-{sms}", ip)).allowed
    await _until(lambda: len(seen_while_running) > 0)
    release.set()
    await _close(wa_channel, tw_channel)
    await tw_receive(twilio_post({"From": f"whatsapp:{sms}", "To": NUMBER, "Body": "Salut"}))
    await _close(tw_channel)

    stored = {**seen_while_running, **redis_dump(spy, prefix)}
    kinds = {key[len(prefix):].split(":")[0] for key in stored}
    assert {"seen", "window", "choices", "rl", "order"} <= kinds, kinds
    # Keyed by the pseudonym…
    assert f"{prefix}window:{whatsapp.sender_id(wa)}" in stored
    assert f"{prefix}choices:{conversation_id(f'whatsapp:{sms}')}" in stored
    assert f"{prefix}order:{whatsapp.sender_id(wa)}" in seen_while_running
    everything = " ".join(text for text, _ in stored.values())
    # …never the number (whole or its last digits), the address or a message id in clear.
    for clear in (wa, wa[-8:], sms, sms[-8:], ip, "10.203", "wamid.p1", "Bonjour"):
        assert clear not in everything, clear
    # Every key expires.
    assert all(ttl > 0 for _, ttl in stored.values()), {k: ttl for k, (_, ttl) in stored.items() if ttl <= 0}


# ---- Setup ------------------------------------------------------------------------------


def test_make_test_makes_sure_redis_and_nginx_are_installed():
    recipe = subprocess.run(["make", "-n", "test"], cwd=ROOT, capture_output=True, text=True).stdout
    assert "scripts/ensure_cluster_packages.sh" in recipe
    assert subprocess.run([str(ROOT / "scripts" / "ensure_cluster_packages.sh")], capture_output=True).returncode == 0


def test_the_throwaway_server_is_on_loopback_and_test_redis_url_wins(monkeypatch):
    monkeypatch.delenv("TEST_REDIS_URL", raising=False)
    with redis_server() as server:
        client = redis.Redis.from_url(server.url)
        assert urllib.parse.urlsplit(server.url).hostname == "127.0.0.1" and client.ping()
        assert client.config_get("requirepass")["requirepass"]  # never without a password
        assert client.config_get("save") == {"save": ""} and client.config_get("bind") == {"bind": "127.0.0.1"}
        client.close()
    assert server.process is None
    monkeypatch.setenv("TEST_REDIS_URL", "redis://127.0.0.1:1/9")
    with redis_url() as url:
        assert url == "redis://127.0.0.1:1/9"
