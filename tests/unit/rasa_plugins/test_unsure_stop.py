"""An unsure « stop » is asked, not obeyed (bot/rasa_plugins/nlu_stop.py, actions/form_validation.py)."""
from __future__ import annotations

import asyncio

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.intake_form import ValidateIntakeForm
from bot import content
from bot.rasa_plugins.nlu_stop import UnsureStop, is_unsure


def test_a_sure_stop_is_obeyed_and_an_unsure_one_or_one_without_letters_is_not():
    assert not is_unsure({"name": "stop", "confidence": 0.98}, "stop")
    assert is_unsure({"name": "stop", "confidence": 0.41}, "bof bof")
    assert is_unsure({"name": "stop", "confidence": 0.95}, "😡😡😡")
    assert not is_unsure({"name": "stop", "confidence": 1.0}, "/stop")
    assert not is_unsure({"name": "affirm", "confidence": 0.3}, "😡")


def _tracker(latest_message, slots):
    return Tracker("someone", slots, latest_message, [], False, None, {"name": "intake_form"}, "action_listen")


def test_in_a_form_an_unsure_stop_asks_keeps_every_answer_and_asks_the_question_again():
    dispatcher = CollectingDispatcher()
    slots = {"requested_slot": "other_party", "situation_domain": "family", "domain_confirmed": True,
             "other_party": "😡😡😡"}
    message = {"text": "😡😡😡", "intent": {"name": "nlu_fallback", "confidence": 0.41}, "unsure_stop": True}
    events = asyncio.run(ValidateIntakeForm().run(dispatcher, _tracker(message, slots), {"forms": {}}))
    assert events == [{"event": "slot", "timestamp": None, "name": "other_party", "value": None}]
    assert dispatcher.messages[0]["text"] == content.STOP_UNSURE
    assert dispatcher.messages[0]["buttons"] == [{"title": content.STOP_UNSURE_BUTTON, "payload": "/stop"}]


def test_a_message_without_letters_is_never_an_intent_that_is_never_a_slot_value():
    # The load test's postal code « 21340 » was read as erase_data (0.81): the form did not take it.
    from bot.rasa_plugins.nlu_stop import GUARDED_INTENTS, NEVER_WITHOUT_LETTERS
    assert set(GUARDED_INTENTS) <= set(NEVER_WITHOUT_LETTERS)
    assert is_unsure({"name": "erase_data", "confidence": 0.81}, "21340")
    assert is_unsure({"name": "ask_human", "confidence": 0.9}, "06 12 34 56 78")
    assert is_unsure({"name": "ask_cost", "confidence": 0.9}, "?")
    assert not is_unsure({"name": "erase_data", "confidence": 0.6}, "effacez tout")  # letters: its own rule
    assert not is_unsure({"name": "erase_data", "confidence": 1.0}, "/erase_data")
    assert not is_unsure({"name": "safety_alert", "confidence": 0.9}, "112")  # the safety screen decides
    from rasa.shared.nlu.training_data.message import Message

    code = Message(data={"text": "21340", "intent": {"name": "erase_data", "confidence": 0.81}})
    UnsureStop({}).process([code])
    assert code.get("intent")["name"] == "nlu_fallback" and not code.get("unsure_stop")


def test_an_unsure_start_over_is_not_obeyed_and_a_sure_one_or_its_button_is():
    assert is_unsure({"name": "start_over", "confidence": 0.64}, "<img src=x onerror=alert(1)>")
    assert not is_unsure({"name": "start_over", "confidence": 0.95}, "recommencer")
    assert not is_unsure({"name": "start_over", "confidence": 1.0}, "/start_over")
    assert not is_unsure({"name": "greet", "confidence": 0.3}, "bof")


def test_the_component_turns_an_unsure_start_over_into_not_understood_without_asking_to_stop():
    from rasa.shared.nlu.training_data.message import Message

    unsure = Message(data={"text": "<img src=x onerror=alert(1)>", "intent": {"name": "start_over", "confidence": 0.64}})
    sure = Message(data={"text": "je veux recommencer", "intent": {"name": "start_over", "confidence": 0.97}})
    stop = Message(data={"text": "bof bof", "intent": {"name": "stop", "confidence": 0.41}})
    UnsureStop({}).process([unsure, sure, stop])
    assert unsure.get("intent")["name"] == "nlu_fallback" and not unsure.get("unsure_stop")
    assert sure.get("intent")["name"] == "start_over"
    assert stop.get("intent")["name"] == "nlu_fallback" and stop.get("unsure_stop") is True


def test_a_danger_read_as_an_unsure_stop_is_a_danger_not_a_question():
    """« je veux que tout s'arrête, pour de bon » was read as `stop` (0.66) and as a danger: the form
    asked « Voulez-vous arrêter ? », took the slot, and the safety rule never ran (blind set h, 2026-12-04)."""
    from rasa.shared.nlu.training_data.message import Message

    from bot.rasa_plugins.nlu_safety import SafetyScreen

    message = Message(data={"text": "je veux que tout s'arrête, je vais me tuer",
                            "intent": {"name": "stop", "confidence": 0.66},
                            "intent_ranking": [{"name": "stop", "confidence": 0.66}]})
    UnsureStop({}).process([message])
    assert message.get("unsure_stop") is True
    SafetyScreen({}).process([message])
    assert message.get("intent")["name"] == "safety_alert"
    assert not message.get("unsure_stop")


def test_a_form_never_takes_a_slot_from_a_message_that_has_its_own_rule_even_flagged_unsure_stop():
    dispatcher = CollectingDispatcher()
    slots = {"requested_slot": "other_party", "situation_domain": "family", "domain_confirmed": True}
    message = {"text": "je veux que tout s'arrête", "intent": {"name": "safety_alert", "confidence": 1.0},
               "unsure_stop": True}
    events = asyncio.run(ValidateIntakeForm().run(dispatcher, _tracker(message, slots), {"forms": {}}))
    assert not [event for event in events if event.get("event") == "slot" and event.get("name") == "other_party"]
    assert content.STOP_UNSURE not in [m.get("text") for m in dispatcher.messages]
