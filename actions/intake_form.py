"""Validation of the intake form: one question at a time, each answer checked.

Every value comes from the person (or a button) and is re-validated here: NLU
entities and typed `/intent{...}` payloads are never trusted as such.
"""
from __future__ import annotations

from typing import Any, Callable

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.form_validation import FormValidation
from actions.tracker_reading import button_choice, intent_ranking, latest_intent, latest_text
from bot import content
from bot.codes import (
    COURT_CODES,
    DOMAIN_CODES,
    MODE_CODES,
    OTHER,
    OTHER_PARTY_CODES,
    RELATIONSHIP_CODES,
    UNKNOWN,
    URGENCY_CODES,
)
from bot.intake import questions
from bot.language.amounts import AmountKind, parse_amount
from bot.language.answers import (
    is_dont_know,
    parse_court_status,
    parse_domain_choice,
    parse_mode,
    parse_other_party,
    parse_urgency,
    parse_yes_no,
)
from bot.intake.classifier import classify
from bot.intake.extraction import prefill
from bot.language.detect import is_clearly_not_french
from bot.places.postal_codes import parse_postal_code

MAX_FAILED_ATTEMPTS = 3
DESCRIPTION_MAX_CHARS = 1000
_CODES: dict[str, tuple[str, ...]] = {
    questions.OTHER_PARTY: OTHER_PARTY_CODES + (UNKNOWN,),
    questions.RELATIONSHIP: RELATIONSHIP_CODES + (UNKNOWN,),
    questions.COURT: COURT_CODES + (UNKNOWN,),
    questions.URGENCY: URGENCY_CODES + (UNKNOWN,),
    questions.MODE: MODE_CODES,
}


def _from_description(tracker: Tracker, **changes: Any) -> dict[str, Any]:
    """Once the domain is known: the answers the description already gives are not asked
    (they are shown in the recap « d'après votre message », to confirm or change)."""
    return prefill(dict(tracker.slots) | changes)


class ValidateIntakeForm(FormValidation):
    def name(self) -> str:
        return "validate_intake_form"

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> list[str]:
        return questions.required_slots(tracker.slots)

    # -- helpers ---------------------------------------------------------------

    def _rejected(
        self, slot: str, dispatcher: CollectingDispatcher, tracker: Tracker, text: str
    ) -> dict[str, Any]:
        """Explain with an example and ask again; after a few tries, move on."""
        failures = dict(tracker.get_slot("failed_attempts") or {})
        failures[slot] = failures.get(slot, 0) + 1
        if failures[slot] >= MAX_FAILED_ATTEMPTS and slot in questions.SKIPPABLE:
            dispatcher.utter_message(text=content.SKIPPED_AFTER_RETRIES)
            failures.pop(slot)
            return self._skip(slot, tracker) | {"failed_attempts": failures}
        if is_clearly_not_french(text):
            dispatcher.utter_message(text=content.ONLY_FRENCH_IN_FORM)
        else:
            dispatcher.utter_message(text=content.INVALID_ANSWER[slot])
        return {slot: None, "failed_attempts": failures}

    @staticmethod
    def _skip(slot: str, tracker: Tracker) -> dict[str, Any]:
        skipped = list(tracker.get_slot("skipped_questions") or [])
        if slot not in skipped:
            skipped.append(slot)
        return {slot: None, "skipped_questions": skipped}

    @staticmethod
    def _accepted(slot: str, value: Any, tracker: Tracker) -> dict[str, Any]:
        failures = dict(tracker.get_slot("failed_attempts") or {})
        failures.pop(slot, None)
        return {slot: value, "failed_attempts": failures}

    def _closed_question(
        self,
        slot: str,
        slot_value: Any,
        parse: Callable[[str], str | None],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
    ) -> dict[str, Any]:
        codes = _CODES[slot]
        if slot_value in codes:  # already validated (form re-activated) or a button code
            return self._accepted(slot, slot_value, tracker)
        text = latest_text(tracker)
        value = button_choice(tracker, codes) or parse(text)
        if value is None:
            return self._rejected(slot, dispatcher, tracker, text)
        return self._accepted(slot, value, tracker)

    # -- description and domain --------------------------------------------------

    async def validate_situation_description(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict[str, Any]:
        text = latest_text(tracker)
        if tracker.get_slot("situation_domain"):
            return {questions.DESCRIPTION: slot_value}
        if is_clearly_not_french(text):
            return self._rejected(questions.DESCRIPTION, dispatcher, tracker, text)
        result = classify(text, intent_ranking(tracker))
        if result is None:
            failures = (tracker.get_slot("failed_attempts") or {}).get(questions.DESCRIPTION, 0)
            if failures + 1 < MAX_FAILED_ATTEMPTS:
                return self._rejected(questions.DESCRIPTION, dispatcher, tracker, text)
            # Never loop: let the person pick the domain from the buttons.
            return {questions.DESCRIPTION: text[:DESCRIPTION_MAX_CHARS], "situation_domain": OTHER,
                    "situation_confidence": 0.0, "failed_attempts": {}}
        return self._accepted(questions.DESCRIPTION, text[:DESCRIPTION_MAX_CHARS], tracker) | {
            "situation_domain": result.domain,
            "situation_confidence": result.confidence,
        }

    async def validate_domain_confirmed(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict[str, Any]:
        if isinstance(slot_value, bool):
            return {questions.DOMAIN_CONFIRMED: slot_value}
        intent = latest_intent(tracker)
        text = latest_text(tracker)
        answer = {"affirm": True, "deny": False}.get(intent)
        if answer is None:
            answer = parse_yes_no(text)
        if answer is None:
            # "Non, c'est avec mon employeur": a correction in the person's own words.
            result = classify(text, intent_ranking(tracker))
            if result and result.domain != tracker.get_slot("situation_domain") and result.source != "nlu_weak":
                return {questions.DOMAIN_CONFIRMED: None, "situation_domain": result.domain,
                        "situation_confidence": result.confidence}
            return self._rejected(questions.DOMAIN_CONFIRMED, dispatcher, tracker, text)
        if answer is False:
            return {questions.DOMAIN_CONFIRMED: False, questions.DOMAIN_CHOICE: None}
        return {questions.DOMAIN_CONFIRMED: True} | _from_description(tracker)

    async def validate_domain_choice(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict[str, Any]:
        text = latest_text(tracker)
        choice = slot_value if slot_value in DOMAIN_CODES else button_choice(tracker, DOMAIN_CODES)
        choice = choice or parse_domain_choice(text)
        if choice is None:
            return self._rejected(questions.DOMAIN_CHOICE, dispatcher, tracker, text)
        if choice == OTHER:
            dispatcher.utter_message(text=content.OTHER_DOMAIN)
        return {questions.DOMAIN_CHOICE: choice, "situation_domain": choice, questions.DOMAIN_CONFIRMED: True,
                "situation_confidence": 1.0} | _from_description(tracker, situation_domain=choice)

    # -- intake questions ----------------------------------------------------------

    async def validate_other_party(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict[str, Any]:
        return self._closed_question(questions.OTHER_PARTY, slot_value, parse_other_party, dispatcher, tracker)

    async def validate_relationship_continues(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict[str, Any]:
        def parse(text: str) -> str | None:
            if is_dont_know(text):
                return UNKNOWN
            answer = {"affirm": True, "deny": False}.get(latest_intent(tracker), parse_yes_no(text))
            return None if answer is None else ("yes" if answer else "no")

        return self._closed_question(questions.RELATIONSHIP, slot_value, parse, dispatcher, tracker)

    async def validate_amount_eur(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict[str, Any]:
        if isinstance(slot_value, (int, float)) and not isinstance(slot_value, bool):
            return self._accepted(questions.AMOUNT, float(slot_value), tracker)
        choice = button_choice(tracker, ("none", UNKNOWN))
        text = latest_text(tracker)
        if choice == "none":
            return self._accepted(questions.AMOUNT, 0.0, tracker)
        answer = parse_amount(text) if choice is None else None
        if choice == UNKNOWN or (answer and answer.kind is AmountKind.UNKNOWN):
            return self._skip(questions.AMOUNT, tracker)
        if answer.kind in (AmountKind.AMOUNT, AmountKind.NONE):
            return self._accepted(questions.AMOUNT, answer.value, tracker)
        return self._rejected(questions.AMOUNT, dispatcher, tracker, text)

    async def validate_court_status(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict[str, Any]:
        def parse(text: str) -> str | None:
            intent = latest_intent(tracker)
            return parse_court_status(text) or {"deny": "none", "dont_know": UNKNOWN}.get(intent)

        return self._closed_question(questions.COURT, slot_value, parse, dispatcher, tracker)

    async def validate_urgency(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict[str, Any]:
        def parse(text: str) -> str | None:
            intent = latest_intent(tracker)
            return parse_urgency(text) or {"deny": "not_urgent", "affirm": "urgent", "dont_know": UNKNOWN}.get(intent)

        return self._closed_question(questions.URGENCY, slot_value, parse, dispatcher, tracker)

    async def validate_postal_code(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict[str, Any]:
        text = latest_text(tracker)
        if button_choice(tracker, (UNKNOWN,)) or is_dont_know(text):
            return self._skip(questions.POSTAL_CODE, tracker)
        code = parse_postal_code(slot_value if isinstance(slot_value, str) else text)
        if code is None:
            return self._rejected(questions.POSTAL_CODE, dispatcher, tracker, text)
        return self._accepted(questions.POSTAL_CODE, code.code, tracker)

    async def validate_preferred_mode(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict[str, Any]:
        return self._closed_question(questions.MODE, slot_value, parse_mode, dispatcher, tracker)
