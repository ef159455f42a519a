"""`action_safety_screen`: runs whenever the safety screen fires, in any state.

Numbers first, in a short and warm message; no mediation, no contact with the other
party; the matching legal exemption is recorded. The person may then go on, for
information only. The words that fired are never stored or logged, only categories.
"""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.tracker_reading import intent_ranking, latest_text
from bot import content
from bot.intake.classifier import classify
from bot.legal.engine import default_table, evaluate
from bot.legal.facts import VIOLENCE_CATEGORIES, build_facts
from bot.safety.screen import CATEGORIES, screen


def categories_of(tracker: Tracker) -> list[str]:
    """Categories set by the NLU component, or found again by the lexicon."""
    found = tracker.latest_message.get("safety") or list(screen(latest_text(tracker)).categories)
    return [category for category in CATEGORIES if category in found] or ["danger"]


def safety_message(categories: list[str], domain: str | None, repeat: bool) -> str:
    helplines = [line for line in default_table().helplines if set(line.categories) & set(categories)]
    only_suicide = set(categories) == {"suicide"}
    if repeat:
        opening = content.SAFETY_REPEAT
    else:
        opening = content.SAFETY_OPENING_SUICIDE if only_suicide else content.SAFETY_OPENING
    lines = [opening] + [content.SAFETY_HELPLINE_LINE.format(number=h.number, label=h.label, hours=h.hours)
                         for h in helplines]
    if "domestic" in categories:
        lines.append(content.SAFETY_ONLINE)
    if not repeat and set(categories) & VIOLENCE_CATEGORIES:
        lines.append(content.SAFETY_FAMILY if domain == "family" else content.SAFETY_OTHER)
    if not repeat:
        lines.append(content.SAFETY_CONTINUE)
    return "\n".join(lines)


def safety_exemptions(slots: dict[str, Any]) -> list[str]:
    """Rule ids of the exemption that alleged violence opens for this case (S5, F2, 750-1 3°)."""
    verdict = evaluate(build_facts(slots, {}))
    return [rule.id for rule in verdict.deciding + verdict.exemptions] if verdict.verdict == "exempt" else []


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
