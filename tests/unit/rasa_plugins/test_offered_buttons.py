"""bot/rasa_plugins/offered_buttons.py (issue 16, 5): a payload with a decision passes only when its
button was offered in the bot's latest turn; the servers' test is in tests/e2e/test_hardening_e2e.py."""
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered

from bot.rasa_plugins.offered_buttons import checked_text, latest_offered, payload_offered

ERASE = '/erase_data{"choice":"confirm"}'


def turn(*buttons):
    return [UserUttered("effacer mes données"), ActionExecuted("action_erase_data"),
            BotUttered("Voulez-vous…", data={"buttons": [{"title": t, "payload": p} for t, p in buttons]})]


def test_only_the_latest_bot_turn_counts():
    events = turn(("Oui", ERASE)) + [UserUttered("non"), BotUttered("Très bien.")]
    assert latest_offered(events) == []
    assert latest_offered(turn(("Oui", ERASE))) == [ERASE]


def test_a_decision_needs_its_button():
    assert payload_offered(ERASE, [ERASE])
    assert payload_offered('/erase_data{ "choice" : "confirm" }', [ERASE])  # the same JSON, spelt otherwise
    assert not payload_offered(ERASE, ['/erase_data{"choice":"keep"}'])
    assert not payload_offered('/cancel_booking{"choice":"confirm"}', [ERASE])
    assert not payload_offered('/inform{"choice":"slot_99"}', ['/inform{"choice":"slot_12"}'])


def test_a_bare_intent_passes_and_anything_else_is_words():
    assert checked_text("/affirm", []) == "/affirm"
    # A decision nobody asked for is dropped: the step starts and asks its question again.
    assert checked_text(ERASE, []) == "/erase_data"
    assert checked_text('/cancel_booking{"choice":"confirm"}', []) == "/cancel_booking"
    assert checked_text('/affirm{"choice":"slot_12","x":{"y":1}}', []) == "affirm slot 12"
    assert checked_text(ERASE, turn(("Oui", ERASE))) == ERASE
    assert checked_text("/inform{not json", []) == "inform{not json"
    assert checked_text("bonjour", []) == "bonjour"
