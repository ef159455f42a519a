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
