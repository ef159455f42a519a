"""« effacer mes données » and « je retire mon consentement » typed in the conversation,
and the consent record. Real Rasa, action and agenda servers on loopback; the tracker
and agenda databases are inspected afterwards."""
from __future__ import annotations

import re
import uuid

import pytest

from bot import content
from tests.e2e.test_booking_rest import agenda_rows
from tests.e2e.test_channel_app import AppClient
from tests.e2e.test_privacy_erasure import book_through_the_app, tracker_rows

pytestmark = pytest.mark.model

CONFIRM, KEEP = (payload for _, payload in content.ERASE_BUTTONS)
DESCRIPTION = "Mon beau-frère refuse de me rendre les 4780 euros que je lui ai prêtés pour sa voiture"


def texts(reply):
    return "\n".join(m["text"] for m in reply if m.get("text"))  # not the erasure's custom payload


def buttons(reply):
    return [b["payload"] for m in reply for b in m.get("buttons") or []]


def sender(name):
    return f"erase-{name}-{uuid.uuid4().hex[:8]}"


def test_consent_is_recorded_with_its_time_and_notice_version(chat):
    chat.say("Bonjour")
    chat.say("/affirm")
    slots = chat.slots()
    assert slots["consent"] == "given"
    assert slots["consent_notice_version"] == content.CONSENT_NOTICE_VERSION
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", slots["consent_given_at"])


def test_withdrawing_consent_during_the_intake_asks_then_erases_everything(servers):
    from tests.conftest import Chat
    chat = Chat(servers, sender("intake"))
    chat.say("Bonjour")
    chat.say("/affirm")
    chat.say(DESCRIPTION)
    assert tracker_rows(servers, chat.sender) > 0

    asked = chat.say("je retire mon consentement")
    assert texts(asked) == content.ERASE_ASK.format(booking="") and buttons(asked) == [CONFIRM, KEEP]
    kept = chat.say(KEEP)
    assert content.ERASE_KEPT in texts(kept)
    assert chat.slots()["situation_description"] == DESCRIPTION  # nothing lost, the intake goes on
    assert chat.tracker()["active_loop"].get("name") == "intake_form"

    chat.say("effacer mes données")
    done = texts(chat.say(CONFIRM))
    assert done.startswith("C'est fait : j'ai effacé vos ") and "redemanderai votre accord" in done
    assert tracker_rows(servers, chat.sender) == 0
    # Nor anywhere else in clear. The marker has a space and an accent, which base64 ciphertext
    # never holds: a bare "4780" turned up by chance inside other conversations' tokens.
    stored = b"".join(path.read_bytes() for path in servers.tracker_db.parent.glob(servers.tracker_db.name + "*"))
    assert "4780 euros".encode() not in stored and "beau-frère".encode() not in stored

    again = chat.say("Bonjour")  # a new conversation: the notice and the consent question again
    assert "Acceptez-vous" in texts(again)
    assert chat.slots()["consent"] is None and chat.slots()["situation_description"] is None


def test_erasure_before_consent_has_nothing_to_erase(servers):
    from tests.conftest import Chat
    chat = Chat(servers, sender("before-consent"))
    chat.say("Bonjour")
    reply = chat.say("effacer mes données")
    assert texts(reply) == content.ERASE_NOTHING_STORED
    assert tracker_rows(servers, chat.sender) == 0
    assert chat.tracker()["active_loop"] == {}


def test_typed_erasure_after_a_booking_anonymises_it_and_says_what_was_erased(servers):
    user = AppClient(servers, "typed-erasure-with-booking")
    reference, conversation = book_through_the_app(user)
    asked = user.say("effacer mes données")
    assert content.ERASE_ASK_BOOKING.format(reference=reference) in texts(asked)
    done = texts(user.say(payload=CONFIRM))
    assert content.ERASE_DONE_BOOKING.format(reference=reference) in done

    assert tracker_rows(servers, conversation) == 0 and user.history() == []
    name, email, brief, status = agenda_rows(
        servers, "SELECT person_name, person_email, brief, status FROM bookings WHERE reference = ?", reference)[0]
    assert (name, email, status) == (content.BOOKING_ANONYMISED_NAME, None, "confirmed")
    assert "3200" not in brief and "Jeanne" not in brief

    # No user text and no contact detail in any server's log (INFO, the production level).
    logs = "\n".join(path.read_text(errors="replace") for path in servers.workdir.glob("*.log"))
    for clear in ("Jeanne", "jeanne.martin", "exemple.fr", "69003", "3200", "travaux bruyants", "effacer mes données"):
        assert clear not in logs, clear


def test_a_typed_confirmation_payload_is_only_words(servers):
    """Over the app, a person who types the confirm payload does not erase anything by accident."""
    user = AppClient(servers, "typed-erase-payload")
    user.say("Bonjour")
    user.say(payload="/affirm")
    user.say(DESCRIPTION)
    user.say(CONFIRM)  # typed, not a button: never an intent
    assert tracker_rows(servers, f"app-{user.sub}") > 0
