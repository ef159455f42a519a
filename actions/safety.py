"""`action_safety_screen`: runs whenever the safety screen fires, in any state.

Numbers first, in a short and warm message (bot/safety/messages.py); no mediation, no
contact with the other party; the matching legal exemption is recorded. The person may then
go on, for information only. The words that fired are never stored or logged, only categories.
"""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.tracker_reading import intent_ranking, latest_text
from bot.intake.classifier import classify
from bot.safety.messages import safety_exemptions, safety_message
from bot.safety.screen import CATEGORIES, screen


def categories_of(tracker: Tracker) -> list[str]:
    """Categories set by the NLU component, or found again by the lexicon."""
    found = tracker.latest_message.get("safety") or list(screen(latest_text(tracker)).categories)
    return [category for category in CATEGORIES if category in found] or ["danger"]


class ActionSafetyScreen(Action):
    def name(self) -> str:
        return "action_safety_screen"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        previous = list(tracker.get_slot("safety_categories") or [])
        found = categories_of(tracker)
        categories = [category for category in CATEGORIES if category in previous or category in found]
        events: list[dict[str, Any]] = []
        situation = tracker.get_slot("situation_domain")
        if situation is None:
            result = classify(latest_text(tracker), intent_ranking(tracker))
            if result is not None:
                situation = result.domain
                events += [SlotSet("situation_domain", result.domain),
                           SlotSet("situation_confidence", result.confidence)]
                if tracker.get_slot("consent") == "given" and tracker.get_slot("requested_slot") == "situation_description":
                    events.append(SlotSet("situation_description", latest_text(tracker)[:1000]))
        repeat = bool(tracker.get_slot("safety_risk")) and set(found) <= set(previous)
        dispatcher.utter_message(text=safety_message(categories, situation, repeat))
        slots = dict(tracker.slots, situation_domain=situation, safety_categories=categories)
        return events + [
            SlotSet("safety_risk", True),
            SlotSet("safety_categories", categories),
            SlotSet("safety_exemption", safety_exemptions(slots)),
        ]
