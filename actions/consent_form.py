"""Consent to the notice: "given" or "refused", from a button or in the person's words."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction

from actions.tracker_reading import intent_ranking, latest_intent, latest_text
from bot import content
from bot.answers import parse_yes_no
from bot.classifier import classify, domain_of_intent

CONSENT_VALUES = ("given", "refused")


class ValidateConsentForm(FormValidationAction):
    def name(self) -> str:
        return "validate_consent_form"

    async def validate_consent_answer(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict[str, Any]:
        if slot_value in CONSENT_VALUES:
            return {"consent_answer": slot_value, "consent": slot_value}
        intent = latest_intent(tracker)
        answer = {"affirm": True, "deny": False}.get(intent)
        if answer is None:
            answer = parse_yes_no(latest_text(tracker))
        if answer is not None:
            value = "given" if answer else "refused"
            return {"consent_answer": value, "consent": value}
        events: dict[str, Any] = {"consent_answer": None}
        if domain_of_intent(intent):
            # The person went straight to their story: note the domain, not the words,
            # and thank them before asking again.
            result = classify(latest_text(tracker), intent_ranking(tracker))
            if result:
                events["situation_domain"] = result.domain
            dispatcher.utter_message(text=content.SITUATION_RECEIVED)
        else:
            dispatcher.utter_message(text=content.INVALID_ANSWER["consent_answer"])
        return events
