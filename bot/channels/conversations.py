"""A person's own conversation, read back or erased, for the channels that offer it
(the website widget and the mobile app). The conversation id always comes from a
token the server minted or verified, never from the request body.
"""
from __future__ import annotations

import logging
from typing import Any, Awaitable, TypeVar

from bot import content
from bot.channels.text_guard import is_button_payload

logger = logging.getLogger(__name__)
T = TypeVar("T")


async def or_none(operation: Awaitable[T], what: str) -> T | None:
    """Await a store operation for an HTTP route; None when it fails, so the route answers
    503 in JSON. Logged by error type only: never a trace, never the content."""
    try:
        return await operation
    except Exception as failure:  # noqa: BLE001
        logger.error("%s failed: %s", what, type(failure).__name__)
        return None


def history_from_events(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What the person saw: their messages and the assistant's, in order.

    A tapped button shows as its label, like in the chat. Words sent before consent
    were never stored (bot/rasa_plugins/tracker_store.py) and show as a short notice.
    """
    messages: list[dict[str, Any]] = []
    last_buttons: list[dict[str, Any]] = []
    for event in events:
        kind = event.get("event")
        if kind == "user":
            text = event.get("text")
            if text is None:
                text = content.HISTORY_NOT_KEPT
            elif text.startswith("/") and is_button_payload(text):
                text = next((b.get("title") for b in last_buttons if b.get("payload") == text), content.HISTORY_CHOICE)
            messages.append({"sender": "user", "text": text, "timestamp": event.get("timestamp")})
        elif kind == "bot":
            data = event.get("data") or {}
            buttons = [{"title": b.get("title", ""), "payload": b.get("payload", "")}
                       for b in data.get("buttons") or [] if isinstance(b, dict)]
            last_buttons = buttons
            message: dict[str, Any] = {"sender": "bot", "text": event.get("text") or "", "timestamp": event.get("timestamp")}
            if buttons:
                message["buttons"] = buttons
            messages.append(message)
    return messages


async def conversation_history(agent: Any, sender_id: str) -> list[dict[str, Any]]:
    """The current session's messages (empty for an unknown or erased conversation)."""
    tracker = await agent.tracker_store.retrieve(sender_id)
    if tracker is None:
        return []
    return history_from_events([event.as_dict() for event in tracker.events])
