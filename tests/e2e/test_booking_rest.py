"""Integration: a conversation over REST that ends with a booking in the agenda database,
then a reschedule and a cancellation from the conversation, and the fallback when the
agenda service is down. Real Rasa, action and agenda servers on loopback."""
from __future__ import annotations

import email
import email.policy
import json
import re
import sqlite3
import time
import urllib.request

import icalendar
import pytest

from bot import content
from bot.agenda import sealed

pytestmark = pytest.mark.model


@pytest.fixture(autouse=True)
def agenda_keys(servers, monkeypatch):
    """This process reads the agenda's encrypted columns with the keys the servers were given."""
    monkeypatch.setenv("TRACKER_ENCRYPTION_KEYS", servers.env()["TRACKER_ENCRYPTION_KEYS"])


def agenda_rows(servers, query, *args):
    path = servers.agenda_db_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        return db.execute(query, args).fetchall()


def intake_until_offers(chat):
    chat.say("Bonjour")
    chat.say("/affirm")
    chat.say("Mon voisin a planté une haie de thuyas qui dépasse chez moi et il refuse de la tailler")
    for answer in ("/affirm", "mon voisin d'à côté", "oui", "environ 5k", "non, aucune procédure", "pas urgent",
                   "69003", "en visio", "/affirm", '/inform{"choice":"none"}'):
        chat.say(answer)
    return chat.say("un aménagement")


def slot_buttons(reply):
    return [button for message in reply for button in message.get("buttons") or []
            if '"slot_' in button["payload"]]


def test_conversation_books_a_slot_then_reschedules_and_cancels_it(chat, servers):
    reply = intake_until_offers(chat)
    buttons = slot_buttons(reply)
    assert 1 <= len(buttons) <= 3 and all("en visio" in button["title"] for button in buttons)
    titles = [button["title"] for message in reply for button in message.get("buttons") or []]
    assert content.BOOKING_BUTTON_MORE in titles and content.BOOKING_BUTTON_LATER in titles

    more = chat.say('/inform{"choice":"more"}')
    assert content.BOOKING_MORE_INTRO in "\n".join(m.get("text", "") for m in more)
    others = slot_buttons(more)
    assert others and not {b["payload"] for b in others} & {b["payload"] for b in buttons}

    assert "pendant 10 minutes" in chat.texts(others[0]["payload"])
    hold = chat.slots()["booking_hold"]
    assert agenda_rows(servers, "SELECT status FROM holds WHERE id = ?", hold["hold_id"]) == [("active",)]
    assert "Je n'ai pas reconnu un nom" in chat.texts("12345")
    assert "e-mail ou à quel numéro" in chat.texts("Marie Dupont")
    assert "adresse e-mail ou un numéro" in chat.texts("pas de mail")
    assert "Acceptez-vous que votre nom" in chat.texts("06 12 34 56 78")
    reply = chat.say('/affirm{"choice":"consent"}')
    assert "Je récapitule" in reply[-1]["text"] and "+336 •• •• 78" in reply[-1]["text"]
    done = chat.texts('/affirm{"choice":"confirm"}')
    reference = re.search(r"MED-[2-9A-Z]{5}", done).group(0)
    secret = re.search(r"code : ([a-z2-9]{8})", done).group(1)

    slots = chat.slots()
    assert slots["booking_reference"] == reference and slots["booking_status"] == "booked"
    assert slots["booking_name"] is None and slots["booking_contact"] is None  # kept by the agenda only
    rows = agenda_rows(servers, "SELECT reference, status, person_name, person_phone, brief, slot_id FROM bookings "
                                "WHERE reference = ?", reference)
    # The person's name, contact and the brief are encrypted at rest, with the conversations' keys.
    assert "Marie" not in str(rows) and "+33612345678" not in str(rows) and "neighbourhood" not in str(rows)
    assert [(r[0], r[1], sealed.unseal(r[2]), sealed.unseal(r[3])) for r in rows] == [
        (reference, "confirmed", "Marie Dupont", "+33612345678")]
    brief = json.dumps(sealed.unseal_json(json.loads(rows[0][4])))
    assert '"domain": "neighbourhood"' in brief and '"outcome_aim": "rearrangement"' in brief
    assert "thuyas" not in brief and "69003" not in brief and "Marie" not in brief

    ics_url = re.search(r"(http://\S+\.ics)", done).group(1)
    assert "/public/calendar/" in ics_url and secret not in ics_url  # its own token, never the code
    with urllib.request.urlopen(ics_url, timeout=10) as answer:
        event = icalendar.Calendar.from_ical(answer.read()).walk("VEVENT")[0]
    assert reference in str(event["UID"])

    assert "Vous avez déjà un rendez-vous" in chat.texts("je voudrais prendre rendez-vous")

    # Reschedule from the conversation: same reference, the old slot is open again.
    old_slot = rows[0][5]
    reply = chat.say("je voudrais changer de créneau")
    new_buttons = slot_buttons(reply)
    assert new_buttons, reply
    assert "Je déplace votre rendez-vous" in chat.texts(new_buttons[0]["payload"])
    moved = chat.texts('/affirm{"choice":"confirm"}')
    assert "C'est fait" in moved and reference in moved
    (new_slot, status), = agenda_rows(servers, "SELECT slot_id, status FROM bookings WHERE reference = ?", reference)
    assert new_slot != old_slot and status == "confirmed"
    assert agenda_rows(servers, "SELECT status FROM slots WHERE id = ?", old_slot) == [("open",)]

    # Cancel: asked first, then done.
    assert "Voulez-vous vraiment annuler" in chat.texts("annuler mon rendez-vous")
    assert "est annulé" in chat.texts('/cancel_booking{"choice":"confirm"}')
    assert agenda_rows(servers, "SELECT status FROM bookings WHERE reference = ?", reference) == [("cancelled",)]


def test_agenda_down_gives_the_fallback_then_booking_works_when_it_is_back(chat, servers):
    servers.stop("agenda")
    try:
        reply = "\n".join(m.get("text", "") for m in intake_until_offers(chat))
        assert content.BOOKING_UNAVAILABLE in reply and "Traceback" not in reply
        assert chat.slots()["booking_status"] == "unavailable"
    finally:
        servers.start_agenda()
    reply = chat.say("je voudrais prendre rendez-vous")
    assert slot_buttons(reply)
    assert chat.slots()["situation_domain"] == "neighbourhood"  # nothing of the intake was lost


def mails_about(servers, reference, expected, timeout=60.0):
    """The agenda's e-mails written as files (no SMTP_URL, as with `make run`) about a booking,
    waiting up to a minute for `expected` of them (the sender runs every few seconds)."""
    deadline = time.monotonic() + timeout
    while True:
        found = []
        for path in sorted(servers.mail_dir.glob("*.eml")):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if reference in str(message["Subject"]):
                found.append(message)
        if len(found) >= expected or time.monotonic() > deadline:
            return found
        time.sleep(1)


def body(message):
    return message.get_body(preferencelist=("plain",)).get_content()


def test_a_booking_over_rest_reaches_the_person_and_the_mediator_by_mail(chat, servers):
    buttons = slot_buttons(intake_until_offers(chat))
    chat.say(buttons[0]["payload"])
    chat.say("Marie Dupont")
    chat.say("marie.dupont@exemple.fr")
    chat.say('/affirm{"choice":"consent"}')
    done = chat.texts('/affirm{"choice":"confirm"}')
    reference = re.search(r"MED-[2-9A-Z]{5}", done).group(0)
    # No SMTP_URL here, as with `make run`: the person is told plainly that nothing is sent to them.
    assert content.BOOKING_MESSAGES_NONE_DEMO in done

    confirmed = mails_about(servers, reference, expected=2)
    person = [m for m in confirmed if m["To"] == "marie.dupont@exemple.fr"]
    mediator = [m for m in confirmed if m["To"] != "marie.dupont@exemple.fr"]
    assert len(person) == 1 and len(mediator) == 1, [m["Subject"] for m in confirmed]
    attachments = [part.get_filename() for part in person[0].iter_attachments()]
    assert any(name.endswith(".ics") for name in attachments)
    assert "Marie Dupont" in body(mediator[0]) and "marie.dupont@exemple.fr" in body(mediator[0])
    assert "thuyas" not in body(mediator[0])  # the neutral brief, never the person's own words
    assert any(part.get_filename().endswith(".ics") for part in mediator[0].iter_attachments())

    # A move and a cancellation leave theirs, to both.
    new_buttons = slot_buttons(chat.say("je voudrais changer de créneau"))
    chat.texts(new_buttons[0]["payload"])
    assert reference in chat.texts('/affirm{"choice":"confirm"}')
    moved = [m for m in mails_about(servers, reference, expected=4) if "déplacé" in str(m["Subject"])]
    # The person once; the new mediator, and the former one too when the slot is another mediator's.
    assert [m["To"] for m in moved].count("marie.dupont@exemple.fr") == 1 and 2 <= len(moved) <= 3
    chat.texts("annuler mon rendez-vous")
    assert "est annulé" in chat.texts('/cancel_booking{"choice":"confirm"}')
    cancelled = [m for m in mails_about(servers, reference, expected=len(confirmed) + len(moved) + 2)
                 if "annulé" in str(m["Subject"])]
    assert sorted(m["To"] == "marie.dupont@exemple.fr" for m in cancelled) == [False, True]
