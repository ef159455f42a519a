"""The signature-checked Twilio channel (bot/channels/twilio.py): plain-Python pieces and the
output channel against the fake Twilio API (the real server: tests/e2e/test_channel_twilio.py)."""
from __future__ import annotations

import asyncio
import base64
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from types import SimpleNamespace

import aiohttp
import pytest
from twilio.request_validator import RequestValidator

from bot import content
from bot.channels.choices import ChoiceMemory
from bot.channels.twilio import (SignedTwilioInput, TwilioOutput, TwilioSettings, choose, conversation_id,
                                 form_params, numbered_text, signed_url)
from tests.support.fake_platform import CHANNEL_TEST_SECRETS, new_mobile_digits, twilio_messages_to

SID = CHANNEL_TEST_SECRETS["TWILIO_ACCOUNT_SID"]
AUTH_TOKEN = CHANNEL_TEST_SECRETS["TWILIO_AUTH_TOKEN"]
NUMBER = CHANNEL_TEST_SECRETS["TWILIO_NUMBER"]
CONSENT = [{"title": "J'accepte", "payload": "/affirm"}, {"title": "Je refuse", "payload": "/deny"},
           {"title": "En savoir plus", "payload": "/ask_confidentiality"}]
pytestmark = pytest.mark.usefixtures("conversation_id_key")


# ---- plain Python ---------------------------------------------------------------------

def test_signature_ok_and_bad():
    from bot.channels.signatures import twilio_signature_valid

    url = "https://mediation.example.fr/webhooks/twilio/webhook"
    params = {"From": "whatsapp:+33611111111", "Body": "Bonjour", "To": NUMBER}
    good = RequestValidator(AUTH_TOKEN).compute_signature(url, params)
    assert twilio_signature_valid(AUTH_TOKEN, url, params, good)
    assert not twilio_signature_valid(AUTH_TOKEN, url, {**params, "Body": "Bonjour!"}, good)
    assert not twilio_signature_valid(AUTH_TOKEN, url.replace("https", "http"), params, good)
    assert not twilio_signature_valid("another-token", url, params, good)
    assert not twilio_signature_valid(AUTH_TOKEN, url, params, None)
    assert not twilio_signature_valid(None, url, params, good)


def test_signed_url_is_the_configured_one_or_rebuilt_from_the_request():
    headers = {"Host": "127.0.0.1:5005"}
    assert signed_url("http", headers, "/webhooks/twilio/webhook", "") == "http://127.0.0.1:5005/webhooks/twilio/webhook"
    assert signed_url("http", headers, "/webhooks/twilio/webhook", "a=1&b=2") == \
        "http://127.0.0.1:5005/webhooks/twilio/webhook?a=1&b=2"
    behind_proxy = {"Host": "rasa:5005", "X-Forwarded-Proto": "https, http", "X-Forwarded-Host": "bot.example.fr"}
    assert signed_url("http", behind_proxy, "/webhooks/twilio/webhook", "") == \
        "https://bot.example.fr/webhooks/twilio/webhook"
    assert signed_url("http", behind_proxy, "/webhooks/twilio/webhook", "",
                      "https://public.example.fr/tw/webhook") == "https://public.example.fr/tw/webhook"


def test_form_params_flattens_sanic_lists():
    assert form_params({"Body": ["Bonjour"], "From": ["+33611111111"]}) == {"Body": "Bonjour", "From": "+33611111111"}


def test_numbered_choices_and_the_answer_read_back():
    text = numbered_text("Acceptez-vous ?", CONSENT)
    assert text == "Acceptez-vous ?\n\n1. J'accepte\n2. Je refuse\n3. En savoir plus\n" + content.TWILIO_CHOICES_HINT
    for answer, payload in (("1", "/affirm"), (" 2 ", "/deny"), ("3.", "/ask_confidentiality"), ("2)", "/deny"),
                            ("j’accepte", "/affirm"), ("JE REFUSE !", "/deny"), ("en savoir plus", "/ask_confidentiality"),
                            ("1. J'accepte", "/affirm")):
        assert choose(CONSENT, answer) == payload, answer
    for answer in ("0", "4", "12", "oui j'accepte mais", "2 ans", "", "accepte"):
        assert choose(CONSENT, answer) is None, answer
    assert choose([], "1") is None


async def test_choice_memory_answers_one_message_and_stays_bounded():
    memory = ChoiceMemory(size=3)
    await memory.remember("a", CONSENT)
    assert await memory.take("a") == CONSENT
    assert await memory.take("a") == []  # forgotten once read
    for sender in "bcde":
        await memory.remember(sender, CONSENT)
    assert await memory.take("b") == []  # oldest dropped
    assert await memory.take("e") == CONSENT
    stale = ChoiceMemory(ttl=-1)
    await stale.remember("a", CONSENT)
    assert await stale.take("a") == []


async def test_incoming_message_kinds():
    channel = SignedTwilioInput(TwilioSettings(SID, AUTH_TOKEN, NUMBER))
    sender = conversation_id("whatsapp:+33611111111")
    person = {"From": "whatsapp:+33611111111", "To": NUMBER}
    assert await channel.incoming({**person, "Body": "/affirm"}, sender) == ("/affirm", False, None)  # typed
    await channel.memory.remember(sender, CONSENT)
    assert await channel.incoming({**person, "Body": "1"}, sender) == ("/affirm", True, None)  # a numbered choice
    assert await channel.incoming({**person, "Body": "1"}, sender) == ("1", False, None)  # answers one message
    media = {**person, "NumMedia": "1", "MediaUrl0": "https://api.twilio.com/x.jpg"}
    assert await channel.incoming(media, sender) == (None, False, content.TWILIO_TEXT_ONLY)
    assert await channel.incoming({**media, "Body": ""}, sender) == (None, False, content.TWILIO_TEXT_ONLY)
    assert await channel.incoming({**media, "Body": "Voici la photo"}, sender) == \
        ("Voici la photo", False, content.TWILIO_MEDIA_IGNORED)
    location = {**person, "Latitude": "45.75", "Longitude": "4.85"}
    assert await channel.incoming(location, sender) == (None, False, content.TWILIO_TEXT_ONLY)
    sms = {"From": "+33611111111", "To": "+33100000000", "Body": "marie¡exemple.fr"}
    assert (await channel.incoming(sms, conversation_id("+33611111111")))[0] == "marie@exemple.fr"


def test_replies_come_from_the_configured_number_with_the_right_prefix():
    channel = SignedTwilioInput(TwilioSettings(SID, AUTH_TOKEN, "+33100000000"))
    assert channel.reply_from({"From": "whatsapp:+33611111111", "To": "whatsapp:+33100000000"}) == "whatsapp:+33100000000"
    assert channel.reply_from({"From": "+33611111111", "To": "+33100000000"}) == "+33100000000"
    unset = SignedTwilioInput(TwilioSettings(SID, AUTH_TOKEN, None))
    assert unset.reply_from({"From": "+33611111111", "To": "+33199999999"}) == "+33199999999"


def test_channel_without_secrets_still_loads():
    channel = SignedTwilioInput.from_credentials(None)
    assert channel.name() == "twilio"


def _handler(channel, on_new_message, uri="/webhook"):
    blueprint = channel.blueprint(on_new_message)
    return next(route.handler for route in blueprint._future_routes if route.uri == uri)


def _request(form, signature=None, url="http://127.0.0.1:5005/webhooks/twilio/webhook"):
    parsed = urllib.parse.urlsplit(url)
    headers = {"Host": parsed.netloc}
    if signature == "sign":
        signature = RequestValidator(AUTH_TOKEN).compute_signature(url, form)
    if signature:
        headers["X-Twilio-Signature"] = signature
    return SimpleNamespace(form={k: [v] for k, v in form.items()}, headers=headers, scheme=parsed.scheme,
                           path=parsed.path, query_string=parsed.query)


def test_webhook_refusals_without_a_server():
    async def run():
        turns = []

        async def on_new_message(message):
            turns.append(message)

        not_configured = _handler(SignedTwilioInput(TwilioSettings()), on_new_message)
        answer = await not_configured(_request({"From": "+33611111111", "Body": "Bonjour"}, "sign"))
        assert answer.status == 503 and json.loads(answer.body)["error"]["code"] == "channel_not_configured"

        channel = SignedTwilioInput(TwilioSettings(SID, AUTH_TOKEN, NUMBER, "http://127.0.0.1:9"))
        receive = _handler(channel, on_new_message)
        answer = await receive(_request({"From": "+33611111111", "Body": "Bonjour"}))
        assert answer.status == 403 and json.loads(answer.body)["error"]["code"] == "invalid_signature"
        answer = await receive(_request({"Body": "Bonjour"}, "sign"))
        assert answer.status == 400 and json.loads(answer.body)["error"]["code"] == "bad_request"
        status_callback = {"From": NUMBER, "To": "+33611111111", "MessageSid": "SM1", "MessageStatus": "delivered",
                           "SmsStatus": "delivered"}
        answer = await receive(_request(status_callback, "sign"))
        assert answer.status == 200  # acknowledged, never answered with "text only"
        await asyncio.sleep(0)
        assert turns == [] and not channel.workers.pending
    asyncio.run(run())


def test_without_the_conversation_id_key_the_webhook_answers_503(monkeypatch, caplog):
    monkeypatch.delenv("CONVERSATION_ID_KEY")

    async def run():
        async def on_new_message(message):
            raise AssertionError("no turn without the key")

        with caplog.at_level(logging.WARNING):
            channel = SignedTwilioInput(TwilioSettings(SID, AUTH_TOKEN, NUMBER, "http://127.0.0.1:9"))
        assert "CONVERSATION_ID_KEY missing or invalid" in caplog.text
        assert channel.settings.configured and not channel.configured
        answer = await _handler(channel, on_new_message)(_request({"From": "+33611111111", "Body": "Bonjour"}, "sign"))
        assert answer.status == 503 and json.loads(answer.body)["error"]["code"] == "channel_not_configured"
        health = await _handler(channel, on_new_message, "/")(None)
        assert json.loads(health.body) == {"status": "not_configured"}
        assert not channel.workers.pending
    asyncio.run(run())


def test_a_signed_message_is_handed_to_the_assistant_in_the_background():
    async def run():
        started = asyncio.Event()
        release = asyncio.Event()
        turns = []

        async def on_new_message(message):
            started.set()
            turns.append(message)
            await release.wait()
            await message.output_channel.send_text_message(message.sender_id, "Bonjour")

        channel = SignedTwilioInput(TwilioSettings(SID, AUTH_TOKEN, NUMBER, "http://127.0.0.1:9"))
        await channel.memory.remember(conversation_id("whatsapp:+33611111111"), CONSENT)
        receive = _handler(channel, on_new_message)
        answer = await receive(_request({"From": "whatsapp:+33611111111", "To": NUMBER, "Body": "2",
                                         "MessageSid": "SM-background"}, "sign"))
        # Twilio got its answer while the turn is still waiting.
        assert answer.status == 200 and answer.body.startswith(b"<?xml") and channel.workers.pending == 1
        await asyncio.wait_for(started.wait(), 5)
        message = turns[0]
        assert (message.text, message.sender_id, message.input_channel) == (
            "/deny", conversation_id("whatsapp:+33611111111"), "twilio")
        assert message.sender_id.startswith("twilio-") and "611111111" not in message.sender_id
        release.set()
        await asyncio.wait_for(channel.workers.drain(), 60)  # the send fails: port 9 is closed
        assert not channel.workers.pending and len(channel.workers.queues) == 0
    asyncio.run(run())


def test_a_message_sid_is_processed_once_and_a_message_without_one_is_refused():
    """Issue 16 (6): Twilio's retry, or a replayed signed request, is not a second turn."""
    async def run():
        turns = []

        async def on_new_message(message):
            turns.append(message)

        channel = SignedTwilioInput(TwilioSettings(SID, AUTH_TOKEN, NUMBER, "http://127.0.0.1:9"))
        receive = _handler(channel, on_new_message)
        form = {"From": "+33611111112", "To": NUMBER, "Body": "oui", "MessageSid": "SM-replayed"}
        for _ in range(3):
            assert (await receive(_request(form, "sign"))).status == 200
        answer = await receive(_request({**form, "MessageSid": ""}, "sign"))
        assert answer.status == 400
        await asyncio.wait_for(channel.workers.drain(), 60)
        assert len(turns) == 1
    asyncio.run(run())


# ---- the output channel against the fake Twilio API ----------------------------------

def _send(fake_platform, to, coroutine_factory):
    async def run():
        async with aiohttp.ClientSession() as session:
            memory = ChoiceMemory()
            output = TwilioOutput(TwilioSettings(SID, AUTH_TOKEN, NUMBER, fake_platform.url), session, to, NUMBER,
                                  memory, conversation_id(to))
            await coroutine_factory(output)
            return output, memory
    return asyncio.run(run())


def test_output_splits_long_texts_and_uses_basic_auth(fake_platform):
    to = f"whatsapp:+336{new_mobile_digits()}"
    long_text = ("Une phrase assez longue pour remplir le message. " * 80).strip()  # about 4000 characters
    output, _ = _send(fake_platform, to, lambda out: out.send_response(conversation_id(to), {"text": long_text}))
    sent = fake_platform.wait_for(twilio_messages_to(to), 3)
    assert len(sent) == 3 and output.sent == 1
    assert all(len(r.form["Body"]) <= 1600 for r in sent)
    assert " ".join(r.form["Body"] for r in sent) == long_text
    first = sent[0]
    assert first.method == "POST" and first.path == f"/2010-04-01/Accounts/{SID}/Messages.json"
    assert first.form["From"] == NUMBER
    assert first.headers["Authorization"] == "Basic " + base64.b64encode(f"{SID}:{AUTH_TOKEN}".encode()).decode()


def test_output_lists_buttons_and_remembers_them(fake_platform):
    to = f"whatsapp:+336{new_mobile_digits()}"
    _, memory = _send(fake_platform, to, lambda out: out.send_response(
        conversation_id(to), {"text": "Acceptez-vous ?", "buttons": CONSENT}))
    [sent] = fake_platform.wait_for(twilio_messages_to(to))
    assert sent.form["Body"] == numbered_text("Acceptez-vous ?", CONSENT)
    assert asyncio.run(memory.take(conversation_id(to))) == CONSENT


def test_output_retries_a_platform_outage(fake_platform):
    to = f"+336{new_mobile_digits()}"
    fake_platform.fail_next = 1
    _send(fake_platform, to, lambda out: out.send_text_message(conversation_id(to), "Bonjour"))
    sent = fake_platform.wait_for(twilio_messages_to(to), 2)
    assert [r.form["Body"] for r in sent] == ["Bonjour", "Bonjour"]  # the 500, then the retry


# ---- the real server on loopback -----------------------------------------------------
