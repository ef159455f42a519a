"""The recap of the intake, and editing one answer from it."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.tracker_reading import latest_entity, latest_text
from bot import content
from bot.intake import questions
from bot.intake.recap import edit_buttons, field_from_words, recap_text

class ActionShowRecap(Action):
    def name(self) -> str:
        return "action_show_recap"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        dispatcher.utter_message(
            text=recap_text(tracker.slots),
            buttons=[
                {"title": content.RECAP_BUTTON_OK, "payload": "/affirm"},
                {"title": content.RECAP_BUTTON_EDIT, "payload": "/deny"},
            ],
        )
        return []


class ActionAskEdit(Action):
    def name(self) -> str:
        return "action_ask_edit"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        dispatcher.utter_message(text=content.EDIT_QUESTION, buttons=edit_buttons(tracker.slots))
        return []


class ActionResetField(Action):
    """Clear the slots of one field so that the intake form asks that question again."""

    def name(self) -> str:
        return "action_reset_field"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        field = questions.editable_field(latest_entity(tracker, "field")) or field_from_words(latest_text(tracker))
        if field is None:
            dispatcher.utter_message(text=content.EDIT_QUESTION, buttons=edit_buttons(tracker.slots))
            return [FollowupAction("action_listen")]
        cleared = questions.EDITABLE_FIELDS[field]
        skipped = [slot for slot in (tracker.get_slot("skipped_questions") or []) if slot not in cleared]
        events = [SlotSet(slot, None) for slot in cleared]
        if field in questions.TRIAGE_FIELDS:
            # Taken from the description: forgotten, and asked by the triage after the recap.
            answers = {question: value for question, value in (tracker.get_slot("triage_answers") or {}).items()
                       if question not in questions.TRIAGE_FIELDS[field]}
            events.append(SlotSet("triage_answers", answers))
            dispatcher.utter_message(text=content.EDIT_TRIAGE_LATER)
        # A changed answer can change the verdict: it is worked out again after the recap.
        events += [SlotSet("prelitigation", None), SlotSet("triage_result", None)]
        if field == "domain":
            events += [SlotSet(questions.DOMAIN_CONFIRMED, False), SlotSet("triage_answers", None)]
        return events + [SlotSet("skipped_questions", skipped)]
