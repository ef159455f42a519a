"""The signature-checked Twilio channel (bot/channels/twilio.py) on the real server on loopback
(its plain-Python pieces and output channel: tests/unit/channels/test_channel_twilio.py)."""
from __future__ import annotations

import base64
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from twilio.request_validator import RequestValidator

from bot import content
from tests.support.fake_platform import CHANNEL_TEST_SECRETS, new_mobile_digits, twilio_messages_to

SID = CHANNEL_TEST_SECRETS["TWILIO_ACCOUNT_SID"]
AUTH_TOKEN = CHANNEL_TEST_SECRETS["TWILIO_AUTH_TOKEN"]
NUMBER = CHANNEL_TEST_SECRETS["TWILIO_NUMBER"]
pytestmark = pytest.mark.usefixtures("conversation_id_key")


# ---- the real server on loopback -----------------------------------------------------

class Phone:
    """One person writing to the Twilio number, through Twilio (signed webhooks)."""

    def __init__(self, servers, fake_platform, whatsapp=True):
        self.servers, self.fake = servers, fake_platform
        self.address = f"{'whatsapp:' if whatsapp else ''}+336{new_mobile_digits()}"
        self.url = f"{servers.url}/webhooks/twilio/webhook"
        self.seen = 0

    def post(self, params, signature="sign", headers=None):
        if signature == "sign":
            signature = RequestValidator(AUTH_TOKEN).compute_signature(self.url, params)
        all_headers = {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})}
        if signature:
            all_headers["X-Twilio-Signature"] = signature
        request = urllib.request.Request(self.url, data=urllib.parse.urlencode(params).encode(), headers=all_headers)
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=30) as reply:
                return reply.status, reply.headers.get("Content-Type", ""), reply.read(), time.monotonic() - started
        except urllib.error.HTTPError as failure:
            return failure.code, failure.headers.get("Content-Type", ""), failure.read(), time.monotonic() - started

    def send(self, **fields):
        params = {"From": self.address, "To": NUMBER, "MessageSid": f"SM{time.time_ns()}", "AccountSid": SID,
                  "NumMedia": "0", **fields}
        return self.post(params)

    def replies(self, count=1):
        """The texts this person received since the last call (waits for at least `count`)."""
        sent = self.fake.wait_for(twilio_messages_to(self.address), self.seen + count)
        new, self.seen = sent[self.seen:], len(sent)
        return [r.form["Body"] for r in new]

    def received(self):
        return self.fake.matching(twilio_messages_to(self.address))


@pytest.fixture
def phone(servers, fake_platform):
    return Phone(servers, fake_platform)


@pytest.mark.model
def test_signed_message_is_answered_fast_then_the_welcome_arrives_with_numbered_choices(phone):
    status, content_type, body, seconds = phone.send(Body="Bonjour")
    assert status == 200 and content_type.startswith("text/xml") and b"<Response>" in body
    assert seconds < 2  # the turn runs after the answer
    replies = phone.replies(2)
    assert "assistant d'accueil" in replies[0]
    assert "1. J'accepte\n2. Je refuse\n3. En savoir plus" in replies[-1]
    request = phone.received()[0]
    assert request.headers["Authorization"] == "Basic " + base64.b64encode(f"{SID}:{AUTH_TOKEN}".encode()).decode()
    assert (request.form["From"], request.form["To"]) == (NUMBER, phone.address)
    assert all(len(text) <= 1600 for text in replies)


@pytest.mark.model
def test_a_number_picks_the_offered_button_and_typed_commands_are_words(phone):
    phone.send(Body="Bonjour")
    phone.replies(2)
    phone.send(Body="/affirm")  # typed: not the consent button
    assert not any("Décrivez votre situation" in text for text in phone.replies())
    phone.send(Body="Bonjour")
    last = phone.replies()[-1]
    assert "1. J'accepte" in last
    phone.send(Body="1")
    assert any("Décrivez votre situation" in text for text in phone.replies())


@pytest.mark.model
def test_unsigned_or_badly_signed_requests_are_refused_and_nothing_is_sent(phone):
    params = {"From": phone.address, "To": NUMBER, "Body": "Bonjour", "MessageSid": "SM1"}
    for signature in (None, "", "bm90IGEgc2lnbmF0dXJl",
                      RequestValidator("another-token").compute_signature(phone.url, params)):
        status, content_type, body, _ = phone.post(params, signature=signature)
        assert status == 403 and content_type.startswith("application/json")
        assert b"invalid_signature" in body and b"Traceback" not in body
    # A signature for another URL (a forwarded host the request did not come from) is refused too.
    status, *_ = phone.post(params, signature=RequestValidator(AUTH_TOKEN).compute_signature(
        "https://evil.example/webhooks/twilio/webhook", params))
    assert status == 403
    time.sleep(3)
    assert phone.received() == []


@pytest.mark.model
def test_a_photo_or_a_position_gets_the_text_only_answer_never_a_500(phone):
    status, *_ = phone.send(NumMedia="1", MediaUrl0="https://api.twilio.com/media/ME1", MediaContentType0="image/jpeg")
    assert status == 200
    assert phone.replies() == [content.TWILIO_TEXT_ONLY]
    status, *_ = phone.send(Latitude="45.764", Longitude="4.8357", Address="Lyon")
    assert status == 200
    assert phone.replies() == [content.TWILIO_TEXT_ONLY]
    # The conversation goes on normally afterwards.
    phone.send(Body="Bonjour")
    assert "assistant d'accueil" in phone.replies(2)[0]


@pytest.mark.model
def test_a_proxy_forwarded_url_is_what_gets_verified(phone):
    public = "https://bot.example.fr/webhooks/twilio/webhook"
    params = {"From": phone.address, "To": NUMBER, "Body": "Bonjour", "MessageSid": "SM2", "NumMedia": "0"}
    signature = RequestValidator(AUTH_TOKEN).compute_signature(public, params)
    status, *_ = phone.post(params, signature=signature,
                            headers={"X-Forwarded-Proto": "https", "X-Forwarded-Host": "bot.example.fr"})
    assert status == 200
    assert "assistant d'accueil" in phone.replies(2)[0]
