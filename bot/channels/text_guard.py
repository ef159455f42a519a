"""What a channel lets through to the NLU.

- Empty or blank messages are answered at once and never reach the model.
- Huge messages are cut (the person is told), so one paste cannot stall a worker.
- `/intent{...}` is Rasa's syntax to bypass the NLU. Only the exact payloads our own
  buttons send pass; anything else typed with a leading "/" is read as plain text.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass

from bot import content

MAX_MESSAGE_CHARS = 2000

# Intents our buttons send, and the entities each may carry (values are codes).
BUTTON_PAYLOADS: dict[str, frozenset[str]] = {
    "affirm": frozenset({"choice"}),
    "deny": frozenset({"choice"}),
    "inform": frozenset({"choice"}),
    "modify_answer": frozenset({"field"}),
    "start_intake": frozenset(),
    "ask_what_is_mediation": frozenset(),
    "ask_cost": frozenset(),
    "ask_confidentiality": frozenset(),
    "ask_human": frozenset(),
    "start_over": frozenset(),
    "stop": frozenset(),
    "book_appointment": frozenset(),
    "cancel_booking": frozenset({"choice"}),
    "reschedule_booking": frozenset({"choice"}),
    "erase_data": frozenset({"choice"}),
}
_PAYLOAD = re.compile(r"^/(?P<intent>[a-z_]+)(?P<entities>\{.*\})?$", re.DOTALL)
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_UNREADABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CODE = re.compile(r"^[a-z0-9_]{1,32}$")  # slot codes carry an id: slot_42


@dataclass(frozen=True)
class GuardedText:
    text: str | None  # None: do not pass to the assistant
    notice: str | None = None  # a message to send back before the assistant's answer


def is_button_payload(text: str) -> bool:
    match = _PAYLOAD.match(text)
    if not match or match.group("intent") not in BUTTON_PAYLOADS:
        return False
    raw = match.group("entities")
    if raw is None:
        return True
    try:
        entities = json.loads(raw)
    except ValueError:
        return False
    allowed = BUTTON_PAYLOADS[match.group("intent")]
    return (
        isinstance(entities, dict)
        and set(entities) <= allowed
        and all(isinstance(v, str) and _CODE.match(v) for v in entities.values())
    )


def guard_text(text: str | None, *, from_button: bool | None = None) -> GuardedText:
    """from_button: True for a platform's button reply, False for words a person typed,
    None when the channel cannot tell (then only our exact button payloads pass)."""
    if text is not None:
        # A lone surrogate or a control character made the language pipeline fail inside the turn.
        text = _UNREADABLE.sub(" ", _LONE_SURROGATE.sub("\ufffd", text))
    if text is None or not text.strip():
        return GuardedText(None, content.EMPTY_MESSAGE)
    text = text.strip()
    if text.startswith("/") and (from_button is False or not is_button_payload(text)):
        # Typed by a person: never an intent. Keep the words for the NLU.
        text = text.lstrip("/").strip() or "?"
    if len(text) > MAX_MESSAGE_CHARS:
        return GuardedText(text[:MAX_MESSAGE_CHARS], content.MESSAGE_TRUNCATED.format(limit=MAX_MESSAGE_CHARS))
    return GuardedText(text)
