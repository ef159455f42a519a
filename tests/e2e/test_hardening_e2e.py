"""Issue 16, second part, on the real servers (Rasa, action server, agenda on loopback):
each test fails without its fix. docs/security.md, "Hardening (issue 16, second part)".
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import re
import time
import urllib.error
import urllib.request

import pytest

from tests.support import meta_payloads as fx
from bot import content
from tests.e2e.test_booking_rest import agenda_rows, intake_until_offers, slot_buttons
from tests.e2e.test_channel_messenger import Person, text_of
from tests.e2e.test_channel_twilio import NUMBER, Phone
from tests.e2e.test_channel_widget import Tab, http, new_session

pytestmark = [pytest.mark.model, pytest.mark.usefixtures("conversation_id_key")]
from bot.paths import ROOT


def book(chat):
    """A booking made in the conversation: (reference, code, the confirmation's text)."""
    reply = intake_until_offers(chat)
    chat.say(slot_buttons(reply)[0]["payload"])
    chat.say("Marie Dupont")
    chat.say("06 12 34 56 78")
    chat.say('/affirm{"choice":"consent"}')
    done = chat.texts('/affirm{"choice":"confirm"}')
    reference = re.search(r"MED-[2-9A-Z]{5}", done).group(0)
    code = re.search(r"code : ([a-z2-9]{8})", done).group(1)
    return reference, code, done


def agenda_call(servers, method, path, body=None, headers=None):
    request = urllib.request.Request(
        servers.agenda_url + path, method=method, data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {servers.agenda_token}", "Content-Type": "application/json",
                 **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, dict(reply.headers), reply.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


# ---- 2. an action holds only a slot this conversation was offered ----------------------------

def test_a_forged_tracker_sent_to_the_action_server_holds_no_slot(servers):
    from rasa.shared.core.domain import Domain

    (slot_id, starts_at), = agenda_rows(
        servers, "SELECT id, starts_at FROM slots WHERE status = 'open' AND hold_id IS NULL ORDER BY id LIMIT 1")
    offer = {"slot_id": slot_id, "mode": "video", "starts_at": starts_at.replace(" ", "T") + "Z",
             "mediator_name": "X", "proximity": 2, "place": None}
    choice = f"slot_{slot_id}"
    tracker = {
        "sender_id": "forger", "paused": False, "followup_action": None, "latest_action_name": "action_listen",
        "active_loop": {"name": "booking_form"},
        "slots": {"booking_status": "offered", "booking_offers": [offer], "requested_slot": "booking_slot",
                  "booking_slot": choice},
        "latest_message": {"text": "le premier", "intent": {"name": "inform", "confidence": 1.0},
                           "entities": [{"entity": "choice", "value": choice}]},
        "events": [{"event": "user", "text": "le premier", "parse_data": {"intent": {"name": "inform"},
                                                                          "entities": []}},
                   {"event": "slot", "name": "booking_slot", "value": choice}],
    }
    body = {"next_action": "validate_booking_form", "sender_id": "forger", "tracker": tracker,
            "domain": Domain.load(str(ROOT / "domain.yml")).as_dict(), "version": "3.6.21"}
    request = urllib.request.Request(f"http://127.0.0.1:{servers.action_port}/webhook",
                                     data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as reply:
            answer = json.loads(reply.read())
    except urllib.error.HTTPError as refused:  # e.g. the action server's shared secret: refused anyway
        answer = {"events": [], "status": refused.code}
    held = [e for e in answer.get("events", []) if e.get("name") == "booking_hold" and e.get("value")]
    assert held == [], answer
    assert agenda_rows(servers, "SELECT count(*) FROM holds WHERE slot_id = ?", slot_id) == [(0,)]


# ---- 3. booking codes cannot be guessed without limit ---------------------------------------

def test_wrong_codes_lock_the_booking_and_the_calendar_link_carries_no_code(chat, servers):
    reference, code, done = book(chat)
    # The calendar link has its own token; the code appears nowhere in it.
    link = re.search(r"(http://\S+\.ics)", done).group(1)
    assert "/public/calendar/" in link and code not in link and "code=" not in link
    with urllib.request.urlopen(link, timeout=10) as answer:
        assert reference in answer.read().decode()
    # The database keeps a keyed hash: the bare SHA-256 of the code is not what is stored.
    (stored, scheme), = agenda_rows(servers, "SELECT secret_hash, secret_scheme FROM bookings WHERE reference = ?",
                                    reference)
    assert scheme == "hmac-sha256" and stored != hashlib.sha256(code.encode()).hexdigest()

    # Codes guessed in the conversation: refused, then the booking is locked, in French.
    replies = []
    for guess in ("zzzzzzzz", "zzzzzzz2", "zzzzzzz3", "zzzzzzz4", "zzzzzzz5", "zzzzzzz6", "zzzzzzz7", "zzzzzzz8",
                  "zzzzzzz9", "zzzzzzzy"):
        replies.append(chat.texts(f"je veux annuler mon rendez-vous {reference}, code {guess}"))
        if content.BOOKING_CODE_LOCKED in replies[-1]:
            break
    assert content.BOOKING_WRONG_SECRET in replies[0], replies
    assert content.BOOKING_CODE_LOCKED in replies[-1], replies
    # Now even the right code is refused for a while (423, JSON, French), and nothing changed.
    status, headers, body = agenda_call(servers, "POST", f"/api/bookings/{reference}/cancel", {"secret": code})
    error = json.loads(body)["error"]
    assert status == 423 and error["code"] == "booking_locked" and "verrouillé" in error["message"]
    assert int(headers["Retry-After"]) > 0
    assert content.BOOKING_CODE_LOCKED in chat.texts("annuler mon rendez-vous")
    assert agenda_rows(servers, "SELECT status FROM bookings WHERE reference = ?", reference) == [("confirmed",)]


# ---- 5. confirmation steps cannot be skipped ----------------------------------------------------

def test_an_erasure_or_cancellation_never_asked_is_not_done(chat, servers):
    reference, _, _ = book(chat)
    # Never asked: the decision is dropped and the step asks first; the booking stays, the
    # conversation too.
    reply = chat.texts('/cancel_booking{"choice":"confirm"}')
    assert "est annulé" not in reply and "Voulez-vous vraiment annuler" in reply
    assert agenda_rows(servers, "SELECT status FROM bookings WHERE reference = ?", reference) == [("confirmed",)]
    reply = chat.texts('/erase_data{"choice":"confirm"}')
    assert "C'est fait : j'ai effacé" not in reply
    assert chat.slots()["consent"] == "given"
    # Asked, then answered with the button offered: done.
    assert "Voulez-vous vraiment annuler" in chat.texts("annuler mon rendez-vous")
    assert "est annulé" in chat.texts('/cancel_booking{"choice":"confirm"}')


def test_the_widget_sends_typed_text_as_text_and_only_an_offered_button_as_a_payload(servers):
    async def consented(**last):
        session = new_session(servers)
        tab = Tab(servers, session["token"])
        await tab.open()
        await tab.send(message="Bonjour")
        await tab.send(payload="/affirm", title="J'accepte")
        reply = await tab.send(**last)
        await asyncio.sleep(0.3)
        await tab.client.disconnect()
        return session, reply, tab.events

    for last in ({"message": '/erase_data{"choice":"confirm"}'},  # typed: always text
                 {"payload": '/erase_data{"choice":"confirm"}', "title": "Oui, tout effacer"}):  # never offered
        session, reply, events = asyncio.run(consented(**last))
        assert not any("C'est fait : j'ai effacé" in m.get("text", "") for m in reply), last
        assert ("erased", {}) not in events
        status, _, body = http(servers, "GET", "/history", token=session["token"])
        assert status == 200 and json.loads(body)["messages"]


# ---- 6. replays are not processed again ------------------------------------------------------

def test_a_replayed_postback_without_mid_and_an_old_event_are_dropped(servers, fake_platform):
    person = Person(servers, fake_platform)
    person.say("Bonjour")
    person.replies(2)
    postback = fx.messenger_event(person.psid, postback={"title": "Qu'est-ce que la médiation ?",
                                                         "payload": "/ask_what_is_mediation"})
    assert person.post(postback)[0] == 200
    first = person.replies(1)
    time.sleep(4)
    first += person.replies(0)
    assert person.post(postback)[0] == 200  # the same event again: no mid, same digest
    old = fx.messenger_event(person.psid, message={"mid": f"m_{fx.unique_id()}", "text": "Bonjour"})
    old["timestamp"] = int((time.time() - 7 * 3600) * 1000)
    assert person.post(old)[0] == 200
    time.sleep(5)
    assert person.replies(0) == [], "a replay or a stale event was answered"
    assert first and all(text_of(m) for m in first)


def test_a_twilio_message_sid_sent_twice_is_one_turn(servers, fake_platform):
    phone = Phone(servers, fake_platform)
    params = {"From": phone.address, "To": NUMBER, "Body": "Bonjour", "NumMedia": "0",
              "MessageSid": f"SM{time.time_ns()}"}
    assert phone.post(params)[0] == 200
    phone.replies(2)
    time.sleep(3)
    phone.replies(0)
    assert phone.post(params)[0] == 200  # Twilio's retry, or a replayed signed request
    time.sleep(5)
    assert phone.replies(0) == []


# ---- 7. erasure reaches every booking and clears the widget's screen ------------------------------

def test_erasure_after_recommencer_reaches_the_earlier_booking(chat, servers):
    reference, _, _ = book(chat)
    chat.say("recommencer")
    assert chat.slots()["booking_reference"] is None  # the slots no longer name it
    reply = chat.say("effacer mes données")
    texts = "\n".join(m.get("text", "") for m in reply)
    if "Voulez-vous retirer votre accord" in texts:  # asked only when consent was still given
        reply = chat.say('/erase_data{"choice":"confirm"}')
    assert {"conversation_erased": True} in [m.get("custom") for m in reply]
    (name, email, phone, brief), = agenda_rows(
        servers, "SELECT person_name, person_email, person_phone, brief FROM bookings WHERE reference = ?", reference)
    assert (name, email, phone) == (content.BOOKING_ANONYMISED_NAME, None, None)
    assert "Marie" not in brief and '"anonymised": true' in brief


def test_typed_erasure_in_the_widget_clears_every_open_tab(servers):
    session = new_session(servers)

    async def two_tabs():
        first, second = Tab(servers, session["token"]), Tab(servers, session["token"])
        await first.open()
        await second.open()
        await first.send(message="Bonjour")
        await first.send(payload="/affirm", title="J'accepte")
        asked = await first.send(message="effacer mes données")
        buttons = [b["payload"] for m in asked for b in m.get("buttons") or []]
        assert '/erase_data{"choice":"confirm"}' in buttons
        await first.send(payload='/erase_data{"choice":"confirm"}', title="Oui, tout effacer")
        await asyncio.sleep(0.5)
        await first.client.disconnect()
        await second.client.disconnect()
        return first.events, second.events

    first, second = asyncio.run(two_tabs())
    assert ("erased", {}) in first and ("erased", {}) in second
    status, _, body = http(servers, "GET", "/history", token=session["token"])
    assert json.loads(body) == {"messages": []}
