"""An unsure « stop » is asked, not obeyed (bot/rasa_plugins/nlu_stop.py, actions/form_validation.py)."""
from __future__ import annotations

import asyncio

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.intake_form import ValidateIntakeForm
from bot import content
from bot.rasa_plugins.nlu_stop import is_unsure_stop


def test_a_sure_stop_is_obeyed_and_an_unsure_one_or_one_without_letters_is_not():
    assert not is_unsure_stop({"name": "stop", "confidence": 0.98}, "stop")
    assert is_unsure_stop({"name": "stop", "confidence": 0.41}, "bof bof")
    assert is_unsure_stop({"name": "stop", "confidence": 0.95}, "😡😡😡")
    assert not is_unsure_stop({"name": "stop", "confidence": 1.0}, "/stop")
    assert not is_unsure_stop({"name": "affirm", "confidence": 0.3}, "😡")


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
