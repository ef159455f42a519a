"""Integration: on the real servers, the tracker store's rows hold no user words in clear,
and the conversation reads back from the encrypted rows."""
import sqlite3

import pytest

from bot.privacy import crypto
from tests.support.fake_platform import CHANNEL_TEST_SECRETS

pytestmark = pytest.mark.model
SENTENCE = "Mon voisin Barnabé a planté une haie de thuyas qui dépasse chez moi et il refuse de la tailler"


def stored(servers, sender):
    with sqlite3.connect(servers.tracker_db) as db:
        return db.execute("SELECT type_name, intent_name, action_name, data FROM events WHERE sender_id = ?",
                          (sender,)).fetchall()


def test_rows_are_encrypted_and_the_conversation_goes_on(chat, servers):
    chat.say("Bonjour")
    chat.say("/affirm")
    assert "conflit de voisinage" in chat.texts(SENTENCE)
    chat.say("/affirm")
    chat.say("mon voisin d'à côté")
    chat.say("oui")
    assert "juge" in chat.texts("environ 4321 euros")
    chat.say("non, aucune procédure")
    assert "code postal" in chat.texts("pas urgent")
    chat.say("69003")
    assert "Voici ce que j'ai compris" in chat.texts("en visio")  # the recap: every answer read back
    slots = chat.slots()
    assert slots["postal_code"] == "69003" and slots["amount_eur"] == 4321.0

    rows = stored(servers, chat.sender)
    assert rows
    content = "\n".join(str(column) for row in rows for column in row)
    for clear in ["Barnabé", "thuyas", "tailler", "voisin d'à côté", "4321", "69003", "visio", "neighbour"]:
        assert clear not in content
    assert all(crypto.is_encrypted(data) for (*_, data) in rows)
    # The key of the test servers decrypts them: the same events as the live tracker.
    fernet = crypto.load_keys(CHANNEL_TEST_SECRETS["TRACKER_ENCRYPTION_KEYS"])
    texts = [event.get("text") for (*_, data) in rows for event in [crypto.decrypt_event(fernet, data)]
             if event.get("event") == "user"]
    assert SENTENCE in texts

    # The servers' logs (INFO, the production level) hold none of it either.
    logs = "\n".join(path.read_text(errors="replace") for path in servers.workdir.glob("*.log"))
    for clear in ["Barnabé", "thuyas", "voisin d'à côté", "4321"]:
        assert clear not in logs
