"""Integration: on the real servers, a WhatsApp number, a Messenger PSID and a Twilio
number are never stored or logged in clear (the conversation id is a pseudonym,
bot/privacy/pseudonyms.py), and replies still reach them, pushed ones included."""
import sqlite3
import time
import urllib.parse
import urllib.request

import pytest
from twilio.request_validator import RequestValidator

from tests.support import meta_payloads as fx
from bot.channels import messenger, twilio, whatsapp
from tests.support.fake_platform import CHANNEL_TEST_SECRETS

pytestmark = [pytest.mark.model, pytest.mark.usefixtures("conversation_id_key")]

NUMBER = "33612345678"
PSID = "24681357924681357"
TWILIO_FROM = "whatsapp:+33698765432"
CLEAR = [NUMBER, PSID, TWILIO_FROM[len("whatsapp:+"):]]


def to_number(request):
    return (request.json or {}).get("to") == NUMBER


def to_psid(request):
    return request.path == "/me/messages" and (request.json or {}).get("recipient", {}).get("id") == PSID


def to_twilio(request):
    return request.path.endswith("/Messages.json") and request.form.get("To") == TWILIO_FROM


def post_twilio(servers, body):
    url = f"{servers.url}/webhooks/twilio/webhook"
    params = {"From": TWILIO_FROM, "To": CHANNEL_TEST_SECRETS["TWILIO_NUMBER"], "Body": body,
              "MessageSid": f"SM{time.time_ns()}", "NumMedia": "0"}
    signature = RequestValidator(CHANNEL_TEST_SECRETS["TWILIO_AUTH_TOKEN"]).compute_signature(url, params)
    request = urllib.request.Request(url, data=urllib.parse.urlencode(params).encode(),
                                     headers={"X-Twilio-Signature": signature})
    with urllib.request.urlopen(request, timeout=30) as reply:
        return reply.status


def stored_rows(servers, conversation, at_least=1, timeout=60):
    """The conversation's rows, once the turn is saved (Rasa saves after sending the replies)."""
    deadline = time.monotonic() + timeout
    while True:
        with sqlite3.connect(servers.tracker_db) as db:
            count = db.execute("SELECT count(*) FROM events WHERE sender_id = ?", (conversation,)).fetchone()[0]
        if count >= at_least or time.monotonic() > deadline:
            return count
        time.sleep(0.5)


def test_replies_reach_the_person_but_the_tracker_and_logs_hold_no_number_or_psid(servers, fake_platform):
    already = len(fake_platform.matching(to_number))
    whatsapp_secret = CHANNEL_TEST_SECRETS["WHATSAPP_APP_SECRET"]
    status, _ = fx.signed_post(f"{servers.url}/webhooks/whatsapp/webhook",
                               fx.whatsapp_payload([fx.whatsapp_text(NUMBER, "Bonjour")]), whatsapp_secret)
    assert status == 200
    status, _ = fx.signed_post(f"{servers.url}/webhooks/messenger/webhook",
                               fx.messenger_payload(fx.messenger_text(PSID, "Bonjour")),
                               CHANNEL_TEST_SECRETS["MESSENGER_APP_SECRET"])
    assert status == 200
    assert post_twilio(servers, "Bonjour") == 200

    # The replies go to the real number and PSID: the pseudonym decodes back.
    replies = fake_platform.wait_for(to_number, already + 2)
    assert "assistant d'accueil" in replies[already].json["text"]["body"]
    assert fake_platform.wait_for(to_psid, 2) and fake_platform.wait_for(to_twilio, 2)

    # The conversations are stored under the pseudonyms only.
    ids = [whatsapp.sender_id(NUMBER), messenger.sender_id(PSID), twilio.conversation_id(TWILIO_FROM)]
    assert all(stored_rows(servers, conversation) for conversation in ids)
    assert not any(clear in conversation for conversation in ids for clear in CLEAR)

    # A message pushed later through Rasa's HTTP API, addressed by the pseudonym, reaches the number.
    before = len(fake_platform.matching(to_number))
    assert fx.push_bot_message(servers, ids[0], "Rappel : votre rendez-vous est demain.", None, "whatsapp") == 200
    pushed = fake_platform.wait_for(to_number, before + 1)[before:]
    assert [r.json["text"]["body"] for r in pushed] == ["Rappel : votre rendez-vous est demain."]

    # Nowhere in the tracker database (every table and column, raw bytes, journal files too)…
    database_files = list(servers.tracker_db.parent.glob(servers.tracker_db.name + "*"))
    raw = b"".join(path.read_bytes() for path in database_files)
    assert ids[0].encode() in raw  # the pseudonym is what is stored
    for clear in CLEAR:
        assert clear.encode() not in raw and clear.encode("utf-16-le") not in raw
    with sqlite3.connect(servers.tracker_db) as db:
        tables = [name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        cells = " ".join(str(cell) for table in tables for row in db.execute(f'SELECT * FROM "{table}"')
                         for cell in row)
    assert not any(clear in cells for clear in CLEAR)

    # …nor in the servers' logs.
    logs = "\n".join(path.read_text(errors="replace") for path in servers.workdir.glob("*.log"))
    assert not any(clear in logs for clear in CLEAR)
