"""Unit tests of the Rasa SDK actions, with real Tracker and CollectingDispatcher objects."""
from __future__ import annotations

import asyncio

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.ask import ASK_ACTIONS
from actions.intake_form import ValidateIntakeForm
from actions.recap import ActionAskEdit, ActionResetField, ActionShowRecap
from bot.intake.recap import field_from_words
from actions.situation import ActionClassifySituation
from bot import content

DOMAIN: dict = {"forms": {"intake_form": {"required_slots": []}}}


def make_tracker(text="", intent="inform", slots=None, entities=None, ranking=None, active_loop=None):
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.9},
        "intent_ranking": ranking or [{"name": intent, "confidence": 0.9}],
        "entities": entities or [],
    }
    return Tracker("test-user", dict(slots or {}), latest, [], False, None,
                   {"name": active_loop} if active_loop else {}, "action_listen")


def run(coro):
    return asyncio.run(coro)


def validate(slot, text, intent="inform", slots=None, entities=None, ranking=None):
    dispatcher = CollectingDispatcher()
    form = ValidateIntakeForm()
    method = getattr(form, f"validate_{slot}")
    tracker = make_tracker(text, intent, slots, entities, ranking, "intake_form")
    return run(method(text, dispatcher, tracker, DOMAIN)), dispatcher.messages


# -- classification ------------------------------------------------------------------------

def test_first_message_is_classified_without_storing_the_words():
    text = "mon patron ne me paie pas mes heures sup"
    dispatcher = CollectingDispatcher()
    events = run(ActionClassifySituation().run(dispatcher, make_tracker(text, "situation_workplace"), DOMAIN))
    slots = {e["name"]: e["value"] for e in events}
    assert slots["situation_domain"] == "workplace"
    assert "situation_description" not in slots
    assert dispatcher.messages == []


def test_a_different_new_situation_must_be_confirmed_again():
    tracker = make_tracker("la mairie refuse mon permis de construire", "situation_territorial",
                           slots={"situation_domain": "family", "domain_confirmed": True, "consent": "given"})
    events = run(ActionClassifySituation().run(CollectingDispatcher(), tracker, DOMAIN))
    slots = {e["name"]: e["value"] for e in events}
    assert slots["situation_domain"] == "territorial" and slots["domain_confirmed"] is None


def test_description_sets_the_domain():
    result, _ = validate("situation_description", "ma voisine laisse aboyer son chien toute la journée",
                         intent="situation_neighbourhood")
    assert result["situation_domain"] == "neighbourhood"
    assert result["situation_description"].startswith("ma voisine")


def test_no_situation_in_description_is_asked_again_with_an_example():
    result, messages = validate("situation_description", "bonjour", intent="greet")
    assert result["situation_description"] is None
    assert messages[0]["text"] == content.INVALID_ANSWER["situation_description"]


def test_description_never_loops_after_repeated_failures():
    result, _ = validate("situation_description", "euh", intent="nlu_fallback",
                         slots={"failed_attempts": {"situation_description": 2}})
    assert result["situation_domain"] == "other"


def test_description_in_another_language():
    result, messages = validate("situation_description", "Hello, my neighbour is very noisy, I need help",
                                intent="other_language")
    assert result["situation_description"] is None
    assert messages[0]["text"] == content.ONLY_FRENCH_IN_FORM


def test_domain_confirmation_and_denial():
    assert validate("domain_confirmed", "/affirm", intent="affirm")[0] == {"domain_confirmed": True}
    assert validate("domain_confirmed", "non", intent="deny")[0] == {"domain_confirmed": False, "domain_choice": None}


def test_domain_correction_in_own_words():
    result, _ = validate("domain_confirmed", "c'est avec mon employeur plutôt", intent="situation_workplace",
                         slots={"situation_domain": "consumer"},
                         ranking=[{"name": "situation_workplace", "confidence": 0.9}])
    assert result["situation_domain"] == "workplace" and result["domain_confirmed"] is None


def test_domain_choice_from_button_and_words():
    result, _ = validate("domain_choice", '/inform{"choice":"workplace"}', entities=[{"entity": "choice", "value": "workplace"}])
    assert result["situation_domain"] == "workplace" and result["domain_confirmed"] is True
    result, messages = validate("domain_choice", "aucun de ceux-là")
    assert result["situation_domain"] == "other"
    assert messages[0]["text"] == content.OTHER_DOMAIN


def test_injected_domain_code_is_refused():
    result, _ = validate("domain_choice", '/inform{"choice":"pirate"}', entities=[{"entity": "choice", "value": "pirate"}])
    assert result["domain_choice"] is None


# -- intake questions ------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("4 800 €", 4800.0), ("quatre mille huit cents euros", 4800.0), ("environ 5k", 5000.0), ("aucun", 0.0),
])
def test_amount(text, expected):
    result, _ = validate("amount_eur", text)
    assert result["amount_eur"] == expected


def test_amount_dont_know_is_skipped_not_asked_again():
    result, _ = validate("amount_eur", "je ne sais pas", intent="dont_know")
    assert result == {"amount_eur": None, "skipped_questions": ["amount_eur"]}


def test_amount_buttons():
    result, _ = validate("amount_eur", '/inform{"choice":"none"}', entities=[{"entity": "choice", "value": "none"}])
    assert result["amount_eur"] == 0.0


def test_wrong_amount_asked_again_with_example_then_skipped():
    result, messages = validate("amount_eur", "beaucoup trop")
    assert result["amount_eur"] is None and result["failed_attempts"] == {"amount_eur": 1}
    assert "4 800 €" in messages[0]["text"]
    result, messages = validate("amount_eur", "beaucoup trop", slots={"failed_attempts": {"amount_eur": 2}})
    assert result["skipped_questions"] == ["amount_eur"]
    assert messages[0]["text"] == content.SKIPPED_AFTER_RETRIES


@pytest.mark.parametrize("text, expected", [("69003", "69003"), ("j'habite au 13001 Marseille", "13001")])
def test_postal_code(text, expected):
    assert validate("postal_code", text)[0]["postal_code"] == expected


@pytest.mark.parametrize("text", ["00000", "96100", "abc", "1234"])
def test_postal_code_rejected(text):
    result, messages = validate("postal_code", text)
    assert result["postal_code"] is None
    assert "5 chiffres" in messages[0]["text"]


def test_postal_code_injected_as_entity_is_still_validated():
    result, _ = validate("postal_code", '/inform{"choice":"ABCDE"}', entities=[{"entity": "choice", "value": "ABCDE"}])
    assert result["postal_code"] is None


@pytest.mark.parametrize("slot, text, expected", [
    ("other_party", "mon voisin du dessous", "neighbour"),
    ("relationship_continues", "oui", "yes"),
    ("relationship_continues", "je ne sais pas", "unknown"),
    ("court_status", "une procédure est en cours", "pending"),
    ("urgency", "pas d'urgence", "not_urgent"),
    ("preferred_mode", "en visio", "video"),
])
def test_closed_questions_in_own_words(slot, text, expected):
    assert validate(slot, text)[0][slot] == expected


def test_closed_question_button_code():
    result, _ = validate("preferred_mode", '/inform{"choice":"phone"}', entities=[{"entity": "choice", "value": "phone"}])
    assert result["preferred_mode"] == "phone"


def test_required_slots_follow_the_domain():
    tracker = make_tracker(slots={"situation_domain": "consumer", "domain_confirmed": True})
    slots = run(ValidateIntakeForm().required_slots([], CollectingDispatcher(), tracker, DOMAIN))
    assert "relationship_continues" not in slots and slots[-1] == "preferred_mode"


# -- questions, recap and editing ----------------------------------------------------------------

def test_every_question_has_an_action_and_a_default_prompt():
    for slot, action_class in ASK_ACTIONS.items():
        assert action_class().name() == f"action_ask_{slot}"
        assert content.variation(content.QUESTIONS, slot, None).text


def test_domain_confirmation_question_names_the_domain():
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(slots={"situation_domain": "neighbourhood"})
    run(ASK_ACTIONS["domain_confirmed"]().run(dispatcher, tracker, DOMAIN))
    assert dispatcher.messages[0]["text"] == "Il s'agit plutôt d'un conflit de voisinage, c'est bien ça ?"
    assert [b["payload"] for b in dispatcher.messages[0]["buttons"]] == ["/affirm", "/deny"]


def test_recap_lists_answers_with_buttons():
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(slots={"situation_domain": "family", "amount_eur": 4800.0, "postal_code": "75011"})
    run(ActionShowRecap().run(dispatcher, tracker, DOMAIN))
    message = dispatcher.messages[0]
    assert "conflit familial" in message["text"] and "4\u202f800 €" in message["text"]
    assert [b["payload"] for b in message["buttons"]] == ["/affirm", "/deny"]


def test_edit_buttons_only_offer_fields_that_were_asked():
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(slots={"situation_domain": "consumer", "domain_confirmed": True})
    run(ActionAskEdit().run(dispatcher, tracker, DOMAIN))
    payloads = [b["payload"] for b in dispatcher.messages[0]["buttons"]]
    assert '/modify_answer{"field":"amount"}' in payloads
    assert '/modify_answer{"field":"relationship"}' not in payloads


def test_reset_field_from_button_and_from_words():
    tracker = make_tracker("/modify_answer", "modify_answer", entities=[{"entity": "field", "value": "amount"}],
                           slots={"amount_eur": 10.0, "skipped_questions": ["amount_eur", "urgency"]})
    events = run(ActionResetField().run(CollectingDispatcher(), tracker, DOMAIN))
    assert {"event": "slot", "timestamp": None, "name": "amount_eur", "value": None} in events
    assert events[-1]["value"] == ["urgency"]
    assert field_from_words("je veux changer mon code postal") == "postal_code"


def test_reset_domain_asks_the_domain_choice():
    tracker = make_tracker("modifier le type", "modify_answer", entities=[{"entity": "field", "value": "domain"}])
    events = run(ActionResetField().run(CollectingDispatcher(), tracker, DOMAIN))
    assert {"event": "slot", "timestamp": None, "name": "domain_confirmed", "value": False} in events


def test_reset_unknown_field_asks_which_one():
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("je me suis trompé", "modify_answer", slots={"situation_domain": "family"})
    events = run(ActionResetField().run(dispatcher, tracker, DOMAIN))
    assert events == [{"event": "followup", "timestamp": None, "name": "action_listen"}]
    assert dispatcher.messages[0]["text"] == content.EDIT_QUESTION
