"""Classifying a situation described outside the intake form (often the first message)."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.tracker_reading import intent_ranking, latest_text
from bot.intake.classifier import classify
from bot.intake.extraction import prefill_codes


class ActionClassifySituation(Action):
    def name(self) -> str:
        return "action_classify_situation"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        result = classify(latest_text(tracker), intent_ranking(tracker))
        if result is None:
            return []
        events = [SlotSet("situation_domain", result.domain), SlotSet("situation_confidence", result.confidence)]
        if result.domain != tracker.get_slot("situation_domain"):
            # A new or different situation: it has to be confirmed again.
            events += [SlotSet("domain_confirmed", None), SlotSet("domain_choice", None)]
        # Its words are not kept (no consent yet, or outside the intake): the codes they give are,
        # so that the intake does not ask them again.
        slots = dict(tracker.slots) | {"situation_domain": result.domain}
        events += [SlotSet(slot, value) for slot, value in prefill_codes(latest_text(tracker), slots).items()]
        return events
