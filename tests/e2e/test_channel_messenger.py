"""Messenger end to end: signed webhooks posted to the real Rasa server on loopback, the
replies captured by the fake Graph API (tests/support/fake_platform.py)."""
from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request

import pytest

from tests.support import meta_payloads as fx
from bot import content
from bot.channels import messenger
from tests.support.fake_platform import CHANNEL_TEST_SECRETS

pytestmark = [pytest.mark.model, pytest.mark.usefixtures("conversation_id_key")]

SECRET = CHANNEL_TEST_SECRETS["MESSENGER_APP_SECRET"]
VERIFY = CHANNEL_TEST_SECRETS["MESSENGER_VERIFY_TOKEN"]
NEIGHBOUR_STORY = "Une haie de thuyas de 4 mètres dépasse chez moi et personne ne veut la tailler"  # names no party: the other-party question (4 choices) is asked


class Person:
    """One Messenger user (a unique PSID) talking to the page."""

    def __init__(self, servers, fake) -> None:
        self.servers, self.fake = servers, fake
        self.psid = "9" + fx.unique_id()
        self.url = f"{servers.url}/webhooks/messenger/webhook"
        self.seen = 0

    def post(self, *events, signature: str | None = "sign", raw: bytes | None = None):
        raw = raw if raw is not None else fx.encode(fx.messenger_payload(*events))
        if signature == "sign":
            signature = fx.meta_signature(SECRET, raw)
        return fx.post(self.url, raw, signature)

    def say(self, text: str, mid: str | None = None):
        return self.post(fx.messenger_text(self.psid, text, mid))

    def tap(self, title: str, payload: str):
        return self.post(fx.messenger_quick_reply(self.psid, title, payload))

    def _mine(self, request) -> bool:
        body = request.json or {}
        return request.path == "/me/messages" and body.get("recipient", {}).get("id") == self.psid \
            and "message" in body

    def received(self) -> list[dict]:
        return [r.json["message"] for r in self.fake.matching(self._mine)]

    def replies(self, count: int = 1) -> list[dict]:
        """Messages sent to this person since the last call (waits for at least `count`)."""
        sent = self.fake.wait_for(self._mine, self.seen + count)
        new, self.seen = sent[self.seen:], len(sent)
        return [r.json["message"] for r in new]

    @property
    def conversation(self) -> str:
        """The conversation id the server gives this person: a pseudonym of the PSID."""
        return messenger.sender_id(self.psid)

    def tracker(self) -> dict:
        url = f"{self.servers.url}/conversations/{self.conversation}/tracker?token={self.servers.token}"
        with urllib.request.urlopen(url, timeout=30) as reply:
            return json.loads(reply.read())


def text_of(message: dict) -> str:
    return message.get("text") or message.get("attachment", {}).get("payload", {}).get("text", "")


@pytest.fixture
def person(servers, fake_platform):
    return Person(servers, fake_platform)


def test_verification_handshake(servers):
    base = f"{servers.url}/webhooks/messenger/webhook?"
    status, content_type, body = fx.get(base + urllib.parse.urlencode(
        {"hub.mode": "subscribe", "hub.verify_token": VERIFY, "hub.challenge": "1158201444"}))
    assert (status, body) == (200, "1158201444") and content_type.startswith("text/plain")
    status, content_type, body = fx.get(base + urllib.parse.urlencode(
        {"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1158201444"}))
    assert status == 403 and json.loads(body)["error"]["code"] == "verification_failed"
    assert fx.get(base)[0] == 403


def test_unsigned_or_badly_signed_posts_are_refused_and_nothing_is_sent(person):
    event = fx.messenger_text(person.psid, "Bonjour")
    for signature in (None, "", "sha256=" + "0" * 64, "sha1=abc", fx.meta_signature("another-secret", b"x")):
        status, body = person.post(event, signature=signature)
        assert status == 403 and body["error"]["code"] in ("missing_signature", "bad_signature")
    # Signed, but the body was changed on the way.
    raw = fx.encode(fx.messenger_payload(event))
    status, _ = fx.post(person.url, raw.replace(b"Bonjour", b"Bonsoir"), fx.meta_signature(SECRET, raw))
    assert status == 403
    status, body = person.post(raw=b"{not json")
    assert status == 400 and body["error"]["code"] == "bad_json"
    time.sleep(2)
    assert person.fake.matching(lambda r: (r.json or {}).get("recipient", {}).get("id") == person.psid) == []


def test_bonjour_is_acknowledged_at_once_then_the_welcome_arrives_with_a_button_template(person):
    started = time.time()
    status, body = person.say("Bonjour")
    answered = time.time()
    assert status == 200 and body == {"status": "received"}
    assert answered - started < 1.0
    replies = person.replies(2)
    first = person.fake.matching(person._mine)[0]
    assert first.received_at > answered  # the turn ran after the webhook answered
    assert "assistant d'accueil" in replies[0]["text"]
    template = replies[-1]["attachment"]["payload"]
    assert template["template_type"] == "button" and "Acceptez-vous" in template["text"]
    assert [(b["type"], b["title"], b["payload"]) for b in template["buttons"]] == [
        ("postback", "J'accepte", "/affirm"), ("postback", "Je refuse", "/deny"),
        ("postback", "En savoir plus", "/ask_confidentiality")]
    requests = [r for r in person.fake.requests if (r.json or {}).get("recipient", {}).get("id") == person.psid]
    assert requests[0].json == {"recipient": {"id": person.psid}, "sender_action": "typing_on"}
    assert all(r.headers["Authorization"] == "Bearer " + CHANNEL_TEST_SECRETS["MESSENGER_PAGE_ACCESS_TOKEN"]
               for r in requests)
    assert all(r.json["messaging_type"] == "RESPONSE" for r in requests[1:])


def test_buttons_advance_the_conversation_and_more_than_three_become_quick_replies(person):
    person.say("Bonjour")
    person.replies(2)
    person.post(fx.messenger_postback(person.psid, "J'accepte", "/affirm"))  # the template's button
    assert "Décrivez votre situation" in text_of(person.replies()[-1])
    assert person.tracker()["slots"]["consent"] == "given"
    person.say(NEIGHBOUR_STORY)
    assert "conflit de voisinage, c'est bien ça ?" in text_of(person.replies()[-1])
    person.tap("Oui", "/affirm")  # a quick reply
    question = person.replies()[-1]
    assert "autre partie" in question["text"]
    quick = question["quick_replies"]
    assert len(quick) == 4 and len(quick) <= 13 and all(len(q["title"]) <= 20 for q in quick)
    assert quick[1]["payload"] == '/inform{"choice":"co_owner"}'
    assert "2. Le syndic, la copropriété" in question["text"]  # the full label, since the title is cut
    person.tap(quick[1]["title"], quick[1]["payload"])
    person.replies()
    assert person.tracker()["slots"]["other_party"] == "co_owner"


def test_a_typed_slash_command_is_words_not_an_intent(person):
    person.say("Bonjour")
    person.replies(2)
    person.say("/affirm")  # typed by the person, not the consent button
    replies = person.replies()
    assert not any("Décrivez votre situation" in text_of(m) for m in replies)
    assert person.tracker()["slots"]["consent"] is None
    person.post(fx.messenger_postback(person.psid, "J'accepte", "/affirm"))  # the button itself does
    assert any("Décrivez votre situation" in text_of(m) for m in person.replies())


def test_messages_of_one_delivery_are_answered_in_order_and_a_redelivery_once(person):
    mid = f"m_{fx.unique_id()}"
    hello = fx.messenger_text(person.psid, "Bonjour", mid=mid)
    accept = fx.messenger_quick_reply(person.psid, "J'accepte", "/affirm")
    assert person.post(hello, accept)[0] == 200
    assert person.post(hello)[0] == 200  # Meta retries a delivery: same message id
    replies = person.replies(3)
    time.sleep(3)
    replies += person.replies(0)
    texts = [text_of(m) for m in replies]
    assert sum("assistant d'accueil" in t for t in texts) == 1
    assert "Acceptez-vous" in texts[1] and "Décrivez votre situation" in texts[2] and len(texts) == 3


def test_echoes_receipts_and_attachments(person):
    status, _ = person.post(fx.messenger_echo(person.psid), fx.messenger_delivery(person.psid),
                            fx.messenger_read(person.psid))
    assert status == 200
    time.sleep(2)
    assert person.received() == []
    person.post(fx.messenger_image(person.psid))
    assert [m["text"] for m in person.replies()] == [content.CHANNEL_TEXT_ONLY]


def test_a_graph_api_outage_loses_replies_but_never_the_webhook(person):
    person.fake.fail_next = 4  # the typing indicator and the greeting: first try and retry each
    status, _ = person.say("Bonjour")
    assert status == 200
    # The fake records every attempt: the greeting was tried twice (both refused), then the
    # platform came back for the consent question.
    texts = [text_of(m) for m in person.replies(3)]
    assert "assistant d'accueil" in texts[0] and texts[0] == texts[1] and "Acceptez-vous" in texts[2]
    assert len(texts) == 3
    person.post(fx.messenger_postback(person.psid, "J'accepte", "/affirm"))
    assert "Décrivez votre situation" in text_of(person.replies()[-1])


def test_a_long_pushed_message_is_split_and_its_many_buttons_become_quick_replies(person, servers):
    person.say("Bonjour")
    person.replies(2)
    assert fx.push_bot_message(servers, person.conversation, fx.LONG_TEXT, fx.SLOT_BUTTONS, "latest") == 200
    replies = person.replies(4)
    time.sleep(1)
    replies += person.replies(0)
    assert len(replies) >= 4 and all(len(m["text"]) <= 2000 for m in replies)
    assert all("quick_replies" not in m for m in replies[:-1])
    quick = replies[-1]["quick_replies"]
    assert [q["payload"] for q in quick] == [b["payload"] for b in fx.SLOT_BUTTONS]
    assert all(len(q["title"]) <= 20 for q in quick)
    # Every word arrives, in order; the full labels are listed since the titles were cut.
    sent_words = " ".join(m["text"] for m in replies).split()
    assert sent_words[:len(fx.LONG_TEXT.split())] == fx.LONG_TEXT.split()
    assert "5. Mardi 5 décembre à 9 h 00, en visio" in replies[-1]["text"]


def test_a_pushed_message_to_someone_silent_for_24_hours_is_not_sent(person, servers):
    # This person never wrote to the page since the server started: outside the window.
    assert fx.push_bot_message(servers, person.conversation, "Rappel : votre rendez-vous est demain.", None,
                               "messenger") == 200
    time.sleep(2)
    assert person.received() == []
