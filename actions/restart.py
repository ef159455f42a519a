"""« recommencer »: start again from the first question, keeping only the consent record.

Overrides Rasa's default `action_restart`, which said « On repart de zéro » a second time (the
rules already say it) and then asked nothing. The consent already given is not asked again: it
is kept, with its date and notice version, and the description is asked at once.
"""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, Restarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

CONSENT_RECORD = ("consent", "consent_given_at", "consent_notice_version")


class ActionRestart(Action):
    def name(self) -> str:
        return "action_restart"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = [Restarted()]
        if tracker.get_slot("consent") == "given":
            events += [SlotSet(slot, tracker.get_slot(slot)) for slot in CONSENT_RECORD]
            events.append(FollowupAction("intake_form"))
        else:
            events.append(FollowupAction("consent_form"))
        return events
