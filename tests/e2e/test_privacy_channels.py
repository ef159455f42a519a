"""« effacer mes données » typed on each channel, confirmed with that channel's own
button, erases the conversation: the real servers on loopback, the platforms faked
(tests/support/fake_platform.py), the tracker database read afterwards."""
from __future__ import annotations

import asyncio
import time

import pytest

from tests.support import meta_payloads as fx
from bot import content
from bot.channels.twilio import conversation_id as twilio_conversation
from tests.e2e.test_channel_messenger import Person as MessengerPerson, text_of as messenger_text
from tests.e2e.test_channel_twilio import Phone
from tests.e2e.test_channel_whatsapp import Person as WhatsAppPerson, text_of as whatsapp_text
from tests.e2e.test_channel_widget import Tab, new_session
from tests.e2e.test_privacy_erasure import tracker_rows

pytestmark = [pytest.mark.model, pytest.mark.usefixtures("conversation_id_key")]

CONFIRM_TITLE, CONFIRM = content.ERASE_BUTTONS[0]
DESCRIPTION = "Ma soeur refuse de partager les meubles de nos parents depuis la succession"
ASKED = content.ERASE_ASK.split(" ?")[0]
DONE = "C'est fait : j'ai effacé vos "


def wait_for_text(texts, needle, timeout=90):
    """The texts received so far, once one of them contains `needle`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        received = texts()
        if any(needle in text for text in received):
            return received
        time.sleep(0.2)
    raise AssertionError(f"never received {needle!r}; got {texts()[-3:]}")


def erased(servers, conversation, timeout=30):
    """Pushed channels send the reply during the turn; the store erases when the turn
    saves, a moment later."""
    deadline = time.monotonic() + timeout
    while tracker_rows(servers, conversation) and time.monotonic() < deadline:
        time.sleep(0.2)
    return tracker_rows(servers, conversation) == 0


def test_whatsapp(servers, fake_platform):
    person = WhatsAppPerson(servers, fake_platform)
    texts = lambda: [whatsapp_text(m) for m in person.received()]  # noqa: E731
    tap = lambda payload, title: person.post([fx.whatsapp_button_reply(person.wa_id, payload, title)])  # noqa: E731
    person.say("Bonjour")
    wait_for_text(texts, "Acceptez-vous")
    tap("/affirm", "J'accepte")
    wait_for_text(texts, "Décrivez votre situation")
    person.say(DESCRIPTION)
    wait_for_text(texts, "conflit familial")
    assert tracker_rows(servers, person.conversation) > 0
    person.say("effacer mes données")
    wait_for_text(texts, ASKED)
    tap(CONFIRM, CONFIRM_TITLE)
    wait_for_text(texts, DONE)
    assert erased(servers, person.conversation)


def test_messenger(servers, fake_platform):
    person = MessengerPerson(servers, fake_platform)
    texts = lambda: [messenger_text(m) for m in person.received()]  # noqa: E731
    person.say("Bonjour")
    wait_for_text(texts, "Acceptez-vous")
    person.post(fx.messenger_postback(person.psid, "J'accepte", "/affirm"))
    wait_for_text(texts, "Décrivez votre situation")
    person.say(DESCRIPTION)
    wait_for_text(texts, "conflit familial")
    assert tracker_rows(servers, person.conversation) > 0
    person.say("je retire mon consentement")
    wait_for_text(texts, ASKED)
    person.post(fx.messenger_postback(person.psid, CONFIRM_TITLE, CONFIRM))
    wait_for_text(texts, DONE)
    assert erased(servers, person.conversation)


def test_twilio(servers, fake_platform):
    phone = Phone(servers, fake_platform)
    conversation = twilio_conversation(phone.address)
    texts = lambda: [r.form["Body"] for r in phone.received()]  # noqa: E731
    phone.send(Body="Bonjour")
    wait_for_text(texts, "1. J'accepte")
    phone.send(Body="1")
    wait_for_text(texts, "Décrivez votre situation")
    phone.send(Body=DESCRIPTION)
    wait_for_text(texts, "conflit familial")
    assert tracker_rows(servers, conversation) > 0
    phone.send(Body="effacer mes données")
    assert f"1. {CONFIRM_TITLE}" in wait_for_text(texts, ASKED)[-1]
    phone.send(Body="1")
    wait_for_text(texts, DONE)
    assert erased(servers, conversation)


def test_widget(servers):
    session = new_session(servers)

    async def talk():
        tab = Tab(servers, session["token"])
        await tab.open()
        await tab.send(message="Bonjour")
        await tab.send(payload="/affirm", title="J'accepte")
        await tab.send(message=DESCRIPTION)
        assert tracker_rows(servers, session["conversation"]) > 0
        asked = await tab.send(message="effacer mes données")
        assert asked[0]["text"].startswith(ASKED)
        assert [b["payload"] for b in asked[0]["buttons"]] == [payload for _, payload in content.ERASE_BUTTONS]
        done = await tab.send(payload=CONFIRM, title=CONFIRM_TITLE)
        assert done[0]["text"].startswith(DONE)
        await tab.client.disconnect()

    asyncio.run(talk())
    assert tracker_rows(servers, session["conversation"]) == 0
