"""`action_ask_<slot>`: the form questions, from bot/content.py.

Rasa's forms call `action_ask_<slot>` when it exists. Keeping the questions in the
content module (with a variation per domain) keeps every French text reviewable in
one place and out of the validator's "response not used in any story" warnings.
"""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot import content


def utter_prompt(dispatcher: CollectingDispatcher, prompt: content.Prompt) -> None:
    buttons = [{"title": title, "payload": payload} for title, payload in prompt.buttons]
    dispatcher.utter_message(text=prompt.text, buttons=buttons or None)


class _AskAction(Action):
    slot: str = ""

    def name(self) -> str:
        return f"action_ask_{self.slot}"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        utter_prompt(dispatcher, content.variation(content.QUESTIONS, self.slot, tracker.get_slot("situation_domain")))
        return []


# One concrete Action subclass per question: the SDK registers every subclass it finds.
ASK_ACTIONS = {
    slot: type(f"AskAction_{slot}", (_AskAction,), {"slot": slot, "__module__": __name__})
    for slot in content.QUESTIONS
}
