"""One conversation turn, the same on every channel.

Each connector only says what the person sent (typed words or a button they tapped)
and where the replies go. Here: the input guard (empty, huge, `/intent` typed by a
person), the turn itself, and a French apology when the assistant fails or stays
silent, without logging what the person wrote.
"""
from __future__ import annotations

import asyncio
import logging
import os
from asyncio import CancelledError
from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import CollectingOutputChannel, OutputChannel, UserMessage

from bot import content
from bot.channels.text_guard import guard_text

logger = logging.getLogger(__name__)
OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


def slow_turn_seconds() -> float:
    """After this long without a reply, a pushed channel tells the person to wait (0: never)."""
    try:
        return max(0.0, float(os.environ.get("SLOW_TURN_SECONDS", "8")))
    except ValueError:
        return 8.0


class CountingOutputChannel(OutputChannel):
    """An output channel that knows how many messages it sent during the turn."""

    def __init__(self) -> None:
        self.sent = 0

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        self.sent += 1
        await super().send_response(recipient_id, message)


def _sent(output: OutputChannel) -> int:
    if isinstance(output, CollectingOutputChannel):
        return len(output.messages)
    return getattr(output, "sent", 0)


async def run_turn(
    on_new_message: OnNewMessage,
    output: OutputChannel,
    sender_id: str,
    text: str | None,
    *,
    channel: str,
    from_button: bool | None = None,
    metadata: dict[str, Any] | None = None,
) -> None:
    """Pass one message to the assistant; replies go to `output`.

    from_button: True when the platform says it is a button the assistant sent,
    False when the person typed it (a leading "/" is then never an intent), None when
    the channel cannot tell (the REST channel).
    """
    guarded = guard_text(text, from_button=from_button)
    if guarded.notice:
        await output.send_text_message(sender_id, guarded.notice)
    if guarded.text is None:
        return
    before = _sent(output)
    turn = asyncio.ensure_future(
        on_new_message(UserMessage(guarded.text, output, sender_id, input_channel=channel, metadata=metadata)))
    waited = await _tell_when_slow(turn, output, sender_id, before, channel)
    try:
        await turn
    except CancelledError:
        logger.error("%s turn cancelled (timeout)", channel)
    except Exception as error:  # noqa: BLE001 - the person must get an answer, never a trace
        logger.error("%s turn failed: %s", channel, type(error).__name__)
    if _sent(output) - waited == before:
        # Every turn of this assistant answers something: silence means a component
        # failed (e.g. the action server is down). The message is in the tracker and
        # the person can simply retry.
        await output.send_text_message(sender_id, content.SERVICE_UNAVAILABLE)


async def _tell_when_slow(turn: asyncio.Future, output: OutputChannel, sender_id: str, before: int,
                          channel: str) -> int:
    """A turn that stalls (e.g. the action server struggling) on a pushed channel: say that
    the answer is coming, instead of leaving the person in silence. A stall is `delay`
    seconds without any message, at the start of the turn or after a first reply went out
    quickly while the rest waits on an action; each stall is announced once. The REST
    channel answers in one batch, so there it would only add noise. Returns how much the
    notices added to the channel's count, so that they never pass for the assistant's answer."""
    delay = slow_turn_seconds()
    if not delay or isinstance(output, CollectingOutputChannel):
        return 0
    added, seen, announced = 0, before, False
    while not turn.done():
        await asyncio.wait({turn}, timeout=delay)
        if turn.done():
            break
        now = _sent(output)
        if now != seen:  # the assistant said something meanwhile: a new stall may begin
            seen, announced = now, False
            continue
        if announced:
            continue
        logger.warning("%s turn slow (> %.0f s without a message)", channel, delay)
        await output.send_text_message(sender_id, content.SLOW_TURN)
        announced = True
        after = _sent(output)
        added += after - now  # whether the channel counts this notice as a reply
        seen = after
    return added
