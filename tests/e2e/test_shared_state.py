"""The channels' state in Redis (bot/channels/shared_store.py) behind the real Rasa server: only
pseudonyms are kept. Each state type, two replicas and Redis stopped in the middle are checked
without a model in tests/unit/channels/test_shared_state.py."""
from __future__ import annotations

import time
import urllib.parse
import urllib.request

import pytest
import redis
from twilio.request_validator import RequestValidator

from tests.support import meta_payloads as fx
from bot.channels import whatsapp
from bot.channels.twilio import conversation_id
from tests.support.fake_platform import CHANNEL_TEST_SECRETS, whatsapp_messages_to
from tests.support.redis_dump import redis_dump

WA_SECRET = CHANNEL_TEST_SECRETS["WHATSAPP_APP_SECRET"]
SID, AUTH_TOKEN, NUMBER = (CHANNEL_TEST_SECRETS[k] for k in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN",
                                                             "TWILIO_NUMBER"))
pytestmark = pytest.mark.usefixtures("conversation_id_key")


@pytest.mark.model
def test_after_a_real_exchange_the_servers_redis_holds_pseudonyms_only(servers, shared_redis, fake_platform):
    """As the unit tests check on fakes, end to end: the Rasa server on loopback keeps its channel state in Redis
    (tests/conftest.py) while a WhatsApp and a Twilio person talk to it."""
    prefix = servers.extra_env["REDIS_KEY_PREFIX"]
    wa, sms = "336" + fx.unique_id()[-8:], "+336" + fx.unique_id()[-8:]
    status, _ = fx.signed_post(f"{servers.url}/webhooks/whatsapp/webhook",
                               fx.whatsapp_payload([fx.whatsapp_text(wa, "Bonjour", "wamid.e2e" + wa)]), WA_SECRET)
    assert status == 200
    url = f"{servers.url}/webhooks/twilio/webhook"
    form = {"From": f"whatsapp:{sms}", "To": NUMBER, "Body": "Bonjour", "MessageSid": f"SM{time.time_ns()}",
            "AccountSid": SID, "NumMedia": "0"}
    request = urllib.request.Request(url, data=urllib.parse.urlencode(form).encode(), headers={
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": RequestValidator(AUTH_TOKEN).compute_signature(url, form)})
    with urllib.request.urlopen(request, timeout=30) as reply:
        assert reply.status == 200
    fake_platform.wait_for(whatsapp_messages_to(wa), 2)
    twilio_replies = fake_platform.wait_for(lambda r: r.path.endswith("/Messages.json")
                                            and r.form.get("To") == f"whatsapp:{sms}", 2)
    assert "1. J'accepte" in twilio_replies[-1].form["Body"]  # numbered choices: remembered in Redis

    spy = redis.Redis.from_url(shared_redis, decode_responses=True)
    try:
        stored = redis_dump(spy, prefix)
    finally:
        spy.close()
    assert f"{prefix}window:{whatsapp.sender_id(wa)}" in stored
    assert f"{prefix}choices:{conversation_id(f'whatsapp:{sms}')}" in stored
    assert any(key.startswith(f"{prefix}seen:whatsapp:") for key in stored)
    everything = " ".join(text for text, _ in stored.values())
    for clear in (wa, wa[-8:], sms, sms[-8:], "wamid.e2e", "Bonjour"):
        assert clear not in everything, clear
    assert all(ttl > 0 for _, ttl in stored.values())
