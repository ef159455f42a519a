"""WhatsApp Cloud API end to end: signed webhooks posted to the real Rasa server on
loopback, the replies captured by the fake Graph API (tests/support/fake_platform.py)."""
from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request

import pytest

from tests.support import meta_payloads as fx
from bot import content
from bot.channels import whatsapp
from tests.support.fake_platform import CHANNEL_TEST_SECRETS

pytestmark = [pytest.mark.model, pytest.mark.usefixtures("conversation_id_key")]

SECRET = CHANNEL_TEST_SECRETS["WHATSAPP_APP_SECRET"]
VERIFY = CHANNEL_TEST_SECRETS["WHATSAPP_VERIFY_TOKEN"]
TEMPLATE = {"name": CHANNEL_TEST_SECRETS["WHATSAPP_TEMPLATE_NAME"],
            "language": {"code": CHANNEL_TEST_SECRETS["WHATSAPP_TEMPLATE_LANGUAGE"]}}
NEIGHBOUR_STORY = "Une haie de thuyas de 4 mètres dépasse chez moi et personne ne veut la tailler"  # names no party: the other-party question (4 choices) is asked


class Person:
    """One WhatsApp user (a unique number) writing to our business number."""

    def __init__(self, servers, fake) -> None:
        self.servers, self.fake = servers, fake
        self.wa_id = "336" + fx.unique_id()[-8:]
        self.url = f"{servers.url}/webhooks/whatsapp/webhook"
        self.seen = 0

    def post(self, messages=None, statuses=None, signature: str | None = "sign", raw: bytes | None = None):
        raw = raw if raw is not None else fx.encode(fx.whatsapp_payload(messages, statuses))
        if signature == "sign":
            signature = fx.meta_signature(SECRET, raw)
        return fx.post(self.url, raw, signature)

    def say(self, text: str, message_id: str | None = None):
        return self.post([fx.whatsapp_text(self.wa_id, text, message_id)])

    def _mine(self, request) -> bool:
        return request.path == f"/{CHANNEL_TEST_SECRETS['WHATSAPP_PHONE_NUMBER_ID']}/messages" \
            and (request.json or {}).get("to") == self.wa_id

    def received(self) -> list[dict]:
        return [r.json for r in self.fake.matching(self._mine)]

    def replies(self, count: int = 1) -> list[dict]:
        """Messages sent to this person since the last call (waits for at least `count`)."""
        sent = self.fake.wait_for(self._mine, self.seen + count)
        new, self.seen = sent[self.seen:], len(sent)
        return [r.json for r in new]

    @property
    def conversation(self) -> str:
        """The conversation id the server gives this person: a pseudonym of the number."""
        return whatsapp.sender_id(self.wa_id)

    def tracker(self) -> dict:
        url = f"{self.servers.url}/conversations/{self.conversation}/tracker?token={self.servers.token}"
        with urllib.request.urlopen(url, timeout=30) as reply:
            return json.loads(reply.read())


def text_of(message: dict) -> str:
    if message["type"] == "text":
        return message["text"]["body"]
    if message["type"] == "interactive":
        return message["interactive"]["body"]["text"]
    return ""


def trigger_intent(servers, conversation: str, intent: str, output_channel: str) -> int:
    url = (f"{servers.url}/conversations/{conversation}/trigger_intent?"
           + urllib.parse.urlencode({"output_channel": output_channel, "token": servers.token}))
    request = urllib.request.Request(url, data=json.dumps({"name": intent}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as reply:
        return reply.status


@pytest.fixture
def person(servers, fake_platform):
    return Person(servers, fake_platform)


def test_verification_handshake(servers):
    base = f"{servers.url}/webhooks/whatsapp/webhook?"
    status, content_type, body = fx.get(base + urllib.parse.urlencode(
        {"hub.mode": "subscribe", "hub.verify_token": VERIFY, "hub.challenge": "1158201444"}))
    assert (status, body) == (200, "1158201444") and content_type.startswith("text/plain")
    # The Messenger token is not WhatsApp's.
    status, _, body = fx.get(base + urllib.parse.urlencode(
        {"hub.mode": "subscribe", "hub.verify_token": CHANNEL_TEST_SECRETS["MESSENGER_VERIFY_TOKEN"],
         "hub.challenge": "1"}))
    assert status == 403 and json.loads(body)["error"]["code"] == "verification_failed"


def test_unsigned_or_badly_signed_posts_are_refused_and_nothing_is_sent(person):
    raw = fx.encode(fx.whatsapp_payload([fx.whatsapp_text(person.wa_id, "Bonjour")]))
    for signature in (None, "sha256=" + "0" * 64, fx.meta_signature(CHANNEL_TEST_SECRETS["MESSENGER_APP_SECRET"], raw)):
        status, body = person.post(raw=raw, signature=signature)
        assert status == 403 and body["error"]["code"] in ("missing_signature", "bad_signature")
        assert "Bonjour" not in json.dumps(body)
    time.sleep(2)
    assert person.received() == []


def test_bonjour_is_acknowledged_at_once_then_the_welcome_arrives_with_reply_buttons(person):
    started = time.time()
    status, body = person.say("Bonjour")
    answered = time.time()
    assert status == 200 and body == {"status": "received"} and answered - started < 1.0
    replies = person.replies(2)
    assert person.fake.matching(person._mine)[0].received_at > answered
    assert replies[0]["type"] == "text" and "assistant d'accueil" in replies[0]["text"]["body"]
    consent = replies[-1]
    assert consent["messaging_product"] == "whatsapp" and consent["recipient_type"] == "individual"
    assert consent["interactive"]["type"] == "button" and "Acceptez-vous" in consent["interactive"]["body"]["text"]
    assert [(b["reply"]["id"], b["reply"]["title"]) for b in consent["interactive"]["action"]["buttons"]] == [
        ("/affirm", "J'accepte"), ("/deny", "Je refuse"), ("/ask_confidentiality", "En savoir plus")]
    request = person.fake.matching(person._mine)[0]
    assert request.headers["Authorization"] == "Bearer " + CHANNEL_TEST_SECRETS["WHATSAPP_ACCESS_TOKEN"]


def test_reply_buttons_and_list_rows_advance_the_conversation(person):
    person.say("Bonjour")
    person.replies(2)
    person.post([fx.whatsapp_button_reply(person.wa_id, "/affirm", "J'accepte")])
    assert "Décrivez votre situation" in text_of(person.replies()[-1])
    assert person.tracker()["slots"]["consent"] == "given"
    person.say(NEIGHBOUR_STORY)
    assert "conflit de voisinage, c'est bien ça ?" in text_of(person.replies()[-1])
    person.post([fx.whatsapp_button_reply(person.wa_id, "/affirm", "Oui")])
    question = person.replies()[-1]["interactive"]
    # Four choices, one longer than a reply button allows: a list.
    assert question["type"] == "list" and "autre partie" in question["body"]["text"]
    rows = question["action"]["sections"][0]["rows"]
    assert len(rows) == 4 and all(len(r["title"]) <= 24 for r in rows)
    assert rows[1]["id"] == '/inform{"choice":"co_owner"}' and rows[1]["description"] == "Le syndic, la copropriété"
    person.post([fx.whatsapp_list_reply(person.wa_id, rows[1]["id"], rows[1]["title"])])
    person.replies()
    assert person.tracker()["slots"]["other_party"] == "co_owner"


def test_a_typed_slash_command_is_words_not_an_intent(person):
    person.say("Bonjour")
    person.replies(2)
    person.say("/affirm")
    assert not any("Décrivez votre situation" in text_of(m) for m in person.replies())
    assert person.tracker()["slots"]["consent"] is None


def test_several_messages_in_order_a_redelivery_once_and_statuses_ignored(person):
    hello = fx.whatsapp_text(person.wa_id, "Bonjour", message_id=f"wamid.{fx.unique_id('HBgL')}")
    accept = fx.whatsapp_button_reply(person.wa_id, "/affirm", "J'accepte")
    assert person.post([hello, accept])[0] == 200
    assert person.post([hello])[0] == 200  # Meta retries: same message id
    assert person.post(statuses=[fx.whatsapp_status(person.wa_id, s) for s in ("sent", "delivered", "read")])[0] == 200
    assert person.post([fx.whatsapp_reaction(person.wa_id)])[0] == 200
    replies = person.replies(3)
    time.sleep(3)
    texts = [text_of(m) for m in replies + person.replies(0)]
    assert len(texts) == 3 and "assistant d'accueil" in texts[0]
    assert "Acceptez-vous" in texts[1] and "Décrivez votre situation" in texts[2]


def test_a_photo_gets_the_text_only_answer(person):
    assert person.post([fx.whatsapp_image(person.wa_id)])[0] == 200
    assert person.replies() == [{"messaging_product": "whatsapp", "recipient_type": "individual",
                                 "to": person.wa_id, "type": "text", "text": {"body": content.CHANNEL_TEXT_ONLY}}]


def test_a_graph_api_outage_loses_replies_but_never_the_webhook(person):
    person.fake.fail_next = 2  # the greeting: first try and retry
    assert person.say("Bonjour")[0] == 200
    texts = [text_of(m) for m in person.replies(3)]  # the fake records every attempt
    assert "assistant d'accueil" in texts[0] and texts[0] == texts[1] and "Acceptez-vous" in texts[2]
    person.post([fx.whatsapp_button_reply(person.wa_id, "/affirm", "J'accepte")])
    assert "Décrivez votre situation" in text_of(person.replies()[-1])


def test_outside_the_24_hour_window_only_the_template_is_sent(person, servers):
    # Nobody with this number wrote since the server started: the window is closed.
    assert trigger_intent(servers, person.conversation, "greet", "whatsapp") == 200
    assert person.replies() == [{"messaging_product": "whatsapp", "recipient_type": "individual",
                                 "to": person.wa_id, "type": "template", "template": TEMPLATE}]
    time.sleep(2)
    assert len(person.received()) == 1  # the greeting and the consent question were withheld
    # After the person writes, a triggered reply goes out as usual.
    person.say("Bonjour")
    person.replies(2)
    assert trigger_intent(servers, person.conversation, "greet", "latest") == 200
    assert all(m["type"] in ("text", "interactive") for m in person.replies())


def test_a_long_pushed_message_is_split_and_its_many_buttons_become_a_list(person, servers):
    person.say("Bonjour")
    person.replies(2)
    assert fx.push_bot_message(servers, person.conversation, fx.LONG_TEXT, None, "latest") == 200
    texts = person.replies(2)
    assert [m["type"] for m in texts] == ["text", "text"] and all(len(m["text"]["body"]) <= 4096 for m in texts)
    assert " ".join(m["text"]["body"] for m in texts).split() == fx.LONG_TEXT.split()
    assert fx.push_bot_message(servers, person.conversation, fx.LONG_TEXT, fx.SLOT_BUTTONS, "latest") == 200
    replies = person.replies(8)
    time.sleep(1)
    replies += person.replies(0)
    *parts, choice = replies
    assert parts and all(m["type"] == "text" and len(m["text"]["body"]) <= 1024 for m in parts)
    assert choice["interactive"]["type"] == "list" and len(choice["interactive"]["body"]["text"]) <= 1024
    rows = choice["interactive"]["action"]["sections"][0]["rows"]
    assert [r["id"] for r in rows] == [b["payload"] for b in fx.SLOT_BUTTONS] and all(len(r["title"]) <= 24 for r in rows)
    assert " ".join(text_of(m) for m in replies).split() == fx.LONG_TEXT.split()
