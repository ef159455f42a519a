"""The in-process rate limiter (bot/channels/rate_limit.py), with a fake clock."""
from bot.channels.rate_limit import RateLimits, SlidingWindowLimiter


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_sliding_window_refuses_over_the_limit_and_says_when_to_retry():
    clock = Clock()
    limiter = SlidingWindowLimiter(3, window=60, clock=clock)
    for _ in range(3):
        assert limiter.hit("a").allowed
        clock.now += 1
    refused = limiter.hit("a")
    assert not refused.allowed and refused.first_refusal
    assert refused.retry_after == 57  # the first hit (t=1000) leaves the window at t=1060
    assert refused.retry_after_header == "57"
    assert not limiter.hit("a").first_refusal  # told once
    assert limiter.hit("b").allowed  # another key is independent
    clock.now = 1060
    assert limiter.hit("a").allowed  # the oldest hit left the window
    assert not limiter.hit("a").allowed
    assert limiter.hit("a").first_refusal is False
    clock.now = 1200
    assert limiter.hit("a").allowed
    clock.now += 1
    for _ in range(2):
        limiter.hit("a")
    assert limiter.hit("a").first_refusal  # a new block after an accepted message: told again


def test_refused_messages_do_not_extend_the_wait():
    clock = Clock()
    limiter = SlidingWindowLimiter(2, window=10, clock=clock)
    limiter.hit("a"), limiter.hit("a")
    for _ in range(50):
        clock.now += 0.1
        assert not limiter.hit("a").allowed
    clock.now = 1010
    assert limiter.hit("a").allowed


def test_zero_or_negative_limit_switches_it_off():
    limiter = SlidingWindowLimiter(0, clock=Clock())
    assert all(limiter.hit("a").allowed for _ in range(1000))
    assert len(limiter) == 0


def test_memory_is_bounded_and_idle_keys_expire():
    clock = Clock()
    limiter = SlidingWindowLimiter(5, window=60, clock=clock, max_keys=100)
    for i in range(1000):
        limiter.hit(f"k{i}")
    assert len(limiter) == 100
    clock.now += 61
    limiter.hit("fresh")
    assert len(limiter) == 1


async def test_rate_limits_per_sender_and_per_ip():
    # The shared (Redis) limits pass the same checks: tests/e2e/test_shared_state.py.
    clock = Clock()
    limits = RateLimits(per_sender=2, per_ip=3, window=60, clock=clock)
    assert (await limits.check("alice", "10.0.0.1")).allowed
    assert (await limits.check("alice", "10.0.0.1")).allowed
    assert not (await limits.check("alice", "10.0.0.1")).allowed  # per sender
    assert (await limits.check("bob", "10.0.0.1")).allowed  # the refusal above did not count for the IP
    refused = await limits.check("carol", "10.0.0.1")  # per IP: 3 accepted
    assert not refused.allowed and refused.first_refusal and refused.retry_after == 60
    assert (await limits.check("carol", "10.0.0.2")).allowed
    assert (await limits.check(ip="10.0.0.3")).allowed  # IP only (the widget's session route)
    assert (await limits.check("dave")).allowed  # sender only (Meta, Twilio)


def test_configuration_from_the_environment():
    limits = RateLimits.from_env({"RATE_LIMIT_PER_SENDER": "5", "RATE_LIMIT_PER_IP": "0"})
    assert limits.sender.limit == 5 and not limits.ip.enabled and type(limits) is RateLimits  # no REDIS_URL
    defaults = RateLimits.from_env({"RATE_LIMIT_PER_SENDER": "beaucoup"})
    assert defaults.sender.limit == 20 and defaults.ip.limit == 120


# ---- Meta and Twilio: the platform is the caller, the person is told once --------------

import asyncio
import urllib.parse
from types import SimpleNamespace

import pytest

from rasa.core.channels.channel import CollectingOutputChannel

from bot import content
from bot.channels import meta
from bot.channels.twilio import SignedTwilioInput, TwilioSettings


class FakeMeta(meta.MetaWebhookInput):
    channel = "fakemeta"

    def __init__(self):
        super().__init__("verify", "secret", "token", True, "http://127.0.0.1:9", None)
        self.output = CollectingOutputChannel()

    def sender_id(self, user):
        return f"fakemeta-{user}"

    def new_output(self):
        return self.output


def test_meta_floods_are_cut_per_person_and_told_once_never_a_429_to_meta():
    async def run():
        channel = FakeMeta()
        channel.limits = RateLimits(per_sender=2, per_ip=0)
        turns = []

        async def on_new_message(message):
            turns.append((message.sender_id, message.text))
            await message.output_channel.send_text_message(message.sender_id, "ok")

        for i in range(6):
            await channel.accept(on_new_message, meta.Inbound("ana", f"m{i}", f"message {i}"))
        await channel.accept(on_new_message, meta.Inbound("bob", "b1", "bonjour"))
        await channel.workers.drain()
        # One person's messages in order; two people run concurrently (no order between them).
        assert [turn for turn in turns if turn[0] == "fakemeta-ana"] == [("fakemeta-ana", "message 0"),
                                                                          ("fakemeta-ana", "message 1")]
        assert [turn for turn in turns if turn[0] == "fakemeta-bob"] == [("fakemeta-bob", "bonjour")]
        notices = [m for m in channel.output.messages if m.get("text") == content.RATE_LIMITED]
        assert [m["recipient_id"] for m in notices] == ["fakemeta-ana"]  # once, to her only
    asyncio.run(run())


@pytest.mark.usefixtures("conversation_id_key")  # Twilio names conversations with it
def test_twilio_floods_are_cut_per_person_and_twilio_always_gets_its_200():
    from twilio.request_validator import RequestValidator

    from tests.support.fake_platform import CHANNEL_TEST_SECRETS

    sid, auth, number = (CHANNEL_TEST_SECRETS[k] for k in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN",
                                                            "TWILIO_NUMBER"))
    url = "http://127.0.0.1:5005/webhooks/twilio/webhook"

    def request(form):
        parsed = urllib.parse.urlsplit(url)
        headers = {"Host": parsed.netloc, "X-Twilio-Signature": RequestValidator(auth).compute_signature(url, form)}
        return SimpleNamespace(form={k: [v] for k, v in form.items()}, headers=headers, scheme=parsed.scheme,
                               path=parsed.path, query_string=parsed.query)

    async def run():
        channel = SignedTwilioInput(TwilioSettings(sid, auth, number, url))
        channel.limits = RateLimits(per_sender=2, per_ip=0)
        processed = []

        async def process(on_new_message, form, rate_limited=False):
            processed.append((form["From"], form["Body"], rate_limited))

        channel.process = process
        blueprint = channel.blueprint(None)
        receive = next(route.handler for route in blueprint._future_routes if route.uri == "/webhook")
        for i in range(5):
            answer = await receive(request({"From": "+33600000001", "To": number, "Body": f"m{i}",
                                            "MessageSid": f"SM{i:032d}"}))
            assert answer.status == 200 and answer.body.startswith(b"<?xml")
        await receive(request({"From": "+33600000002", "To": number, "Body": "bonjour", "MessageSid": "SM" + "9" * 32}))
        await channel.workers.drain()
        # One person's messages in order; two people run concurrently (no order between them).
        assert [p for p in processed if p[0] == "+33600000001"] == [
            ("+33600000001", "m0", False), ("+33600000001", "m1", False),
            ("+33600000001", "m2", True)]  # the notice, once; m3 and m4 dropped
        assert [p for p in processed if p[0] == "+33600000002"] == [("+33600000002", "bonjour", False)]
    asyncio.run(run())


@pytest.mark.usefixtures("conversation_id_key")  # Twilio names conversations with it
def test_twilio_notice_goes_out_without_a_turn(fake_platform):
    from tests.support.fake_platform import CHANNEL_TEST_SECRETS

    settings = TwilioSettings(CHANNEL_TEST_SECRETS["TWILIO_ACCOUNT_SID"], CHANNEL_TEST_SECRETS["TWILIO_AUTH_TOKEN"],
                              CHANNEL_TEST_SECRETS["TWILIO_NUMBER"], api_url=fake_platform.url)
    channel = SignedTwilioInput(settings)
    person = "+33600000777"

    async def no_turn(message):
        raise AssertionError("no turn when rate limited")

    asyncio.run(channel.process(no_turn, {"From": person, "To": settings.number, "Body": "encore"},
                                rate_limited=True))
    sent = fake_platform.matching(lambda r: r.path.endswith("/Messages.json") and r.form.get("To") == person)
    assert [r.form.get("Body") for r in sent] == [content.RATE_LIMITED]
