"""Right to erasure through the app API: a conversation that led to a booking is erased;
the agenda keeps the appointment without the person's data. Both databases are
inspected afterwards. Real Rasa, action and agenda servers on loopback."""
from __future__ import annotations

import re
import sqlite3

import pytest

from tests.e2e.test_booking_rest import agenda_rows, slot_buttons
from tests.e2e.test_channel_app import AppClient

pytestmark = pytest.mark.model


def tracker_rows(servers, sender):
    with sqlite3.connect(servers.tracker_db) as db:
        return db.execute("SELECT COUNT(*) FROM events WHERE sender_id = ?", (sender,)).fetchone()[0]


def book_through_the_app(user: AppClient) -> tuple[str, str]:
    user.say("Bonjour")
    user.say(payload="/affirm")
    user.say("Ma voisine du dessus fait des travaux bruyants tous les dimanches matin depuis deux mois")
    for answer in ("/affirm", "ma voisine", "oui", "environ 3200 euros", "non, aucune procédure", "pas urgent",
                   "69003", "en visio", "/affirm", '/inform{"choice":"none"}'):
        if answer.startswith("/"):
            user.say(payload=answer)
        else:
            user.say(answer)
    offers = user.say("un aménagement")
    user.say(payload=slot_buttons(offers)[0]["payload"])
    user.say("Jeanne Martin")
    user.say("jeanne.martin@exemple.fr")
    user.say(payload='/affirm{"choice":"consent"}')
    done = "\n".join(m.get("text", "") for m in user.say(payload='/affirm{"choice":"confirm"}'))
    return re.search(r"MED-[2-9A-Z]{5}", done).group(0), f"app-{user.sub}"


def test_erasure_removes_the_conversation_and_the_persons_data_from_the_booking(servers):
    user = AppClient(servers, "erasure-with-booking")
    reference, sender = book_through_the_app(user)
    before = agenda_rows(servers, "SELECT person_name, person_email, brief FROM bookings WHERE reference = ?", reference)
    # Encrypted at rest (bot/agenda/sealed.py): the name is there, not in clear.
    assert before[0][0].startswith("fernet-v1:") and "Jeanne" not in str(before) and tracker_rows(servers, sender) > 0

    status, _, answer = user.json("DELETE", "/conversation")
    assert status == 200 and answer["booking_anonymised"] == reference and answer["events"] > 0

    assert tracker_rows(servers, sender) == 0
    row = agenda_rows(servers, "SELECT person_name, person_email, person_phone, brief, status FROM bookings "
                               "WHERE reference = ?", reference)[0]
    assert row[0] == "Personne anonymisée" and row[1] is None and row[2] is None and row[4] == "confirmed"
    assert "Jeanne" not in str(row) and "exemple.fr" not in str(row) and '"anonymised": true' in row[3]
    assert '"facts"' not in row[3] and "3200" not in row[3]
    assert user.history() == []


def test_erasure_waits_when_the_agenda_is_down_and_erases_nothing(servers):
    user = AppClient(servers, "erasure-agenda-down")
    reference, sender = book_through_the_app(user)
    events = tracker_rows(servers, sender)
    servers.stop("agenda")
    try:
        status, _, answer = user.json("DELETE", "/conversation")
        assert status == 503 and answer["error"]["code"] == "temporarily_unavailable"
        assert tracker_rows(servers, sender) == events  # nothing lost: the person can retry
    finally:
        servers.start_agenda()
    status, _, answer = user.json("DELETE", "/conversation")
    assert status == 200 and answer["booking_anonymised"] == reference
