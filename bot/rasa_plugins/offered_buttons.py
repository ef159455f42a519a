"""A button payload counts only when that button was offered in the latest bot turn.

`/intent{"entity": "value"}` is Rasa's way of bypassing the NLU: a button carries it. But
anyone can send the same text (REST, a forged widget event, an old Messenger button), and
`/erase_data{"choice":"confirm"}` sent without the question ever being asked erased at once.
So, in the Rasa server, inside the conversation's lock and against its stored tracker:

- a payload with entities (a decision: confirm, keep, slot_12, …) passes only when the
  bot's latest turn (its messages since the person's last message) offered a button with
  the same intent and the same entities;
- a bare `/intent` carries no decision the words could not carry too (« oui », « effacer
  mes données »): it passes, and every step it starts still asks its question;
- a payload nobody offered that starts a step which asks first (cancel, erase, move: an old
  « Oui, annuler » button clicked later) loses its decision and starts that step, which asks again;
  any other is read as the words it carries (« affirm slot 12 »): its braces and quotes, read
  as text, gave the NLU gibberish that it could take for « recommencer »;
- anything else starting with « / » is read as the words it is (the leading « / »
  dropped), exactly as bot/channels/text_guard.py does for what a person typed.

Installed once by bot/rasa_plugins/tracker_store.py, the module the Rasa server loads from endpoints.yml.
"""
from __future__ import annotations

import json
import logging
import re
from typing import Any, Iterable

from rasa.core.processor import MessageProcessor
from rasa.shared.core.events import BotUttered, UserUttered

logger = logging.getLogger(__name__)
_PAYLOAD = re.compile(r"^/(?P<intent>[A-Za-z0-9_\-]+)(?P<entities>\{.*\})?\s*$", re.DOTALL)


def parse_payload(text: str | None) -> tuple[str, dict[str, Any]] | None:
    """(intent, entities) of a `/intent{...}` text, None for anything else."""
    match = _PAYLOAD.match((text or "").strip())
    if not match:
        return None
    entities: Any = {}
    if match.group("entities"):
        try:
            entities = json.loads(match.group("entities"))
        except ValueError:
            return None
    if not isinstance(entities, dict):
        return None
    return match.group("intent"), entities


def latest_offered(events: Iterable[Any]) -> list[str]:
    """The payloads of the buttons (and quick replies) of the bot's latest turn."""
    offered: list[str] = []
    for event in reversed(list(events)):
        if isinstance(event, UserUttered):
            break
        if isinstance(event, BotUttered):
            data = event.data or {}
            for button in list(data.get("buttons") or []) + list(data.get("quick_replies") or []):
                if isinstance(button, dict) and isinstance(button.get("payload"), str):
                    offered.append(button["payload"])
    return offered


def payload_offered(text: str, offered: Iterable[str]) -> bool:
    """Whether `text`, a payload, may pass (see the module's docstring)."""
    parsed = parse_payload(text)
    if parsed is None:
        return False
    intent, entities = parsed
    if not entities:
        return True
    return any(parse_payload(payload) == (intent, entities) for payload in offered)


# Intents whose step asks for a confirmation before doing anything (actions/booking.py, privacy.py).
ASKS_FIRST = frozenset({"cancel_booking", "erase_data", "reschedule_booking"})


def payload_words(intent: str, entities: dict[str, Any]) -> str:
    """The words a payload carries: its intent's and its values' (« erase data confirm »)."""
    words = [intent, *(value for value in entities.values() if isinstance(value, (str, int, float)))]
    return " ".join(re.sub(r"[_\-]+", " ", str(word)).strip() for word in words).strip() or "?"


def checked_text(text: str | None, events: Iterable[Any]) -> str | None:
    """The text to process: unchanged, or a payload nobody offered read as words."""
    if not text or not text.strip().startswith("/"):
        return text
    if payload_offered(text, latest_offered(events)):
        return text
    logger.info("a button payload that was not offered in the latest turn is read as text")
    parsed = parse_payload(text)
    if parsed is not None and parsed[0] in ASKS_FIRST:
        return f"/{parsed[0]}"
    if parsed is not None:
        return payload_words(*parsed)
    return text.strip().lstrip("/").strip() or "?"


_rasa_handle_message_with_tracker = MessageProcessor._handle_message_with_tracker


async def _handle_message_with_tracker(self: MessageProcessor, message: Any, tracker: Any) -> None:
    if not message.parse_data:
        message.text = checked_text(message.text, tracker.events)
    await _rasa_handle_message_with_tracker(self, message, tracker)


def install() -> None:
    """Idempotent."""
    MessageProcessor._handle_message_with_tracker = _handle_message_with_tracker
