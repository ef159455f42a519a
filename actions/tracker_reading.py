"""Small helpers to read what the latest user message carried."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker


def latest_intent(tracker: Tracker) -> str | None:
    return (tracker.latest_message.get("intent") or {}).get("name")


def latest_text(tracker: Tracker) -> str:
    return tracker.latest_message.get("text") or ""


def latest_entity(tracker: Tracker, entity: str) -> Any:
    for item in tracker.latest_message.get("entities") or ():
        if item.get("entity") == entity:
            return item.get("value")
    return None


def intent_ranking(tracker: Tracker) -> list[dict]:
    ranking = tracker.latest_message.get("intent_ranking") or []
    if not ranking and tracker.latest_message.get("intent"):
        ranking = [tracker.latest_message["intent"]]
    return ranking


def button_choice(tracker: Tracker, allowed: set[str] | tuple[str, ...]) -> str | None:
    """The `choice` code sent by one of our buttons, if it is one we offer for this question."""
    value = latest_entity(tracker, "choice")
    return value if isinstance(value, str) and value in allowed else None
