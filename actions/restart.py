"""« recommencer »: start again from the first question, keeping only the consent record.

Overrides Rasa's default `action_restart`, which said « On repart de zéro » twice (the rules
said it too) and then asked nothing. It tells the channel first (the widget clears its screen),
then says « On repart de zéro » once, and asks the first question. The consent already given is not asked again: it
is kept, with its date and notice version, and the description is asked at once.
"""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, Restarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot import content

CONSENT_RECORD = ("consent", "consent_given_at", "consent_notice_version")
RESTARTED_PAYLOAD = "conversation_restarted"  # read by bot/channels/widget.py


class ActionRestart(Action):
    def name(self) -> str:
        return "action_restart"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        # First the channel clears the screen (the widget), then the words, then the first question.
        dispatcher.utter_message(json_message={RESTARTED_PAYLOAD: True})
        dispatcher.utter_message(text=content.RESTARTED)
        events: list[dict[str, Any]] = [Restarted()]
        if tracker.get_slot("consent") == "given":
            events += [SlotSet(slot, tracker.get_slot(slot)) for slot in CONSENT_RECORD]
            events.append(FollowupAction("intake_form"))
        else:
            events.append(FollowupAction("consent_form"))
        return events
