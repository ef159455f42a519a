"""The orientation form: the triage questions that change the verdict, the verdict with
its sources, then the outcomes and the perspective the person wants to explore.

One form, two slots: `triage_answer` is asked again for each open triage question (the
question in progress is in `triage_question`), then `outcome_aim`. The verdict is shown
as soon as no triage question is left, before the outcomes.
"""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.form_validation import FormValidation
from actions.ask import utter_prompt
from actions.tracker_reading import button_choice, latest_intent, latest_text
from bot import content
from bot.codes import OUTCOME_CODES
from bot.orientation import outcomes, triage
from bot.language.answers import DONT_KNOW
from bot.orientation.complaint import complaint_draft
from bot.intake.extraction import decision_category
from bot.legal.facts import parse_answer
from bot.orientation.routes import routes_message

TRIAGE_ANSWER = "triage_answer"
OUTCOME_AIM = "outcome_aim"
MAX_TRIAGE_RETRIES = 2


def _answers(tracker: Tracker) -> dict[str, Any]:
    return dict(tracker.get_slot("triage_answers") or {})


def _next_question(tracker: Tracker, answers: dict[str, Any] | None = None) -> str | None:
    answers = _answers(tracker) if answers is None else answers
    return triage.next_question(tracker.slots, answers, tracker.get_slot("situation_description"))


def orientation_slots(tracker: Tracker) -> list[str]:
    if _next_question(tracker):
        return [TRIAGE_ANSWER]
    return [] if tracker.get_slot("safety_risk") else [OUTCOME_AIM]


class ValidateOrientationForm(FormValidation):
    def name(self) -> str:
        return "validate_orientation_form"

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> list[str]:
        return orientation_slots(tracker)

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        events = await super().run(dispatcher, tracker, domain)
        updated = tracker.copy()
        updated.add_slots([event for event in events if event.get("event") == "slot"])
        if tracker.get_slot("prelitigation") is None and _next_question(updated) is None:
            events += self._show_verdict(dispatcher, updated)
        return events

    @staticmethod
    def _show_verdict(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]]:
        verdict, facts = triage.case_verdict(tracker.slots, _answers(tracker), tracker.get_slot("situation_description"))
        for message in triage.verdict_messages(verdict, facts, triage.court_was_assumed(tracker.slots)):
            dispatcher.utter_message(text=message)
        return [SlotSet("prelitigation", verdict.verdict), SlotSet("triage_result", verdict.summary())]

    async def validate_triage_answer(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict[str, Any]:
        question = tracker.get_slot("triage_question") or _next_question(tracker)
        if question is None:
            return {TRIAGE_ANSWER: None}
        situation = tracker.get_slot("situation_domain")
        allowed = triage.allowed_codes(question, situation)
        code = button_choice(tracker, allowed)
        value = None if code is None else triage.from_code(question, code)
        if value is None:
            value = parse_answer(question, latest_text(tracker), situation)
        if value is None and question == "decision_category":
            value = decision_category(latest_text(tracker))  # « on me refuse mes congés »: not in the list
        if value is None and latest_intent(tracker) in ("affirm", "deny") and question in triage.YES_NO_QUESTIONS:
            value = latest_intent(tracker) == "affirm"
        answers = _answers(tracker)
        if value is None:
            retries = dict(tracker.get_slot("failed_attempts") or {})
            retries[question] = retries.get(question, 0) + 1
            if retries[question] <= MAX_TRIAGE_RETRIES:
                text = content.TRIAGE_INVALID_DATE if question == "complaint_date" else content.TRIAGE_INVALID
                dispatcher.utter_message(text=text)
                return {TRIAGE_ANSWER: None, "failed_attempts": retries}
            value = DONT_KNOW  # never loop: an unanswered question leaves the fact unknown
        answers[question] = value
        if question == triage.COMPLAINT_DRAFT and value is True:
            dispatcher.utter_message(text=content.COMPLAINT_INTRO)
            dispatcher.utter_message(text=complaint_draft(tracker.slots))
            dispatcher.utter_message(text=content.COMPLAINT_AFTER)
        return {TRIAGE_ANSWER: None, "triage_answers": answers, "triage_question": None}

    async def validate_outcome_aim(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict[str, Any]:
        aim = button_choice(tracker, OUTCOME_CODES) or outcomes.parse_aim(latest_text(tracker))
        if aim is None and latest_intent(tracker) == "dont_know":
            aim = "undecided"
        if aim is None:
            dispatcher.utter_message(text=content.OUTCOME_INVALID)
            return {OUTCOME_AIM: None}
        dispatcher.utter_message(text=outcomes.acknowledgement(aim))
        return {OUTCOME_AIM: aim}


class ActionAskTriageAnswer(Action):
    def name(self) -> str:
        return "action_ask_triage_answer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        question = _next_question(tracker)
        if question is None:
            return []
        utter_prompt(dispatcher, content.variation(content.TRIAGE_QUESTIONS, question,
                                                     tracker.get_slot("situation_domain")))
        return [SlotSet("triage_question", question)]


class ActionAskOutcomeAim(Action):
    def name(self) -> str:
        return "action_ask_outcome_aim"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        dispatcher.utter_message(text=outcomes.explanation(tracker.get_slot("situation_domain")))
        utter_prompt(dispatcher, content.OUTCOME_QUESTION)
        return []


class ActionShowRoutes(Action):
    """Routes and costs; the mediator offers follow (action_offer_booking), except in danger."""

    def name(self) -> str:
        return "action_show_routes"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        modes = (tracker.get_slot("triage_result") or {}).get("modes") or []
        dispatcher.utter_message(text=routes_message(tracker.slots, modes))
        if tracker.get_slot("safety_risk"):
            dispatcher.utter_message(text=content.NEXT_STEPS_SAFETY)
        return []
