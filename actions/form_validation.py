"""The base of every form's validation: an unsure « stop » is asked, not obeyed.

When the NLU was not sure the person wanted to stop (bot/rasa_plugins/nlu_stop.py), the form asks
« Voulez-vous arrêter ? » with a button that really stops, then asks its question again: no
answer is lost and nothing is taken from that message.
"""
from __future__ import annotations

from abc import ABCMeta, abstractmethod
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction

from bot import content
from actions.tracker_reading import latest_intent
from bot.codes import NEVER_A_SLOT_VALUE, UNSURE_STOP_KEY


class FormValidation(FormValidationAction, metaclass=ABCMeta):
    @abstractmethod
    def name(self) -> str:
        """Abstract, so that the SDK registers only the concrete forms' validations."""

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        # Never for a message that has its own rule (danger above all): returning a slot here would
        # keep the form from rejecting it, and that rule would never run.
        if tracker.latest_message.get(UNSURE_STOP_KEY) and latest_intent(tracker) not in NEVER_A_SLOT_VALUE:
            dispatcher.utter_message(text=content.STOP_UNSURE,
                                     buttons=[{"title": content.STOP_UNSURE_BUTTON, "payload": "/stop"}])
            requested = tracker.get_slot("requested_slot")
            return [SlotSet(requested, None)] if requested else []
        return await super().run(dispatcher, tracker, domain)
