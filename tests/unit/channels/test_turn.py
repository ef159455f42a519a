"""bot/channels/turn.py: a slow turn is announced once on pushed channels; a failed or
silent one gets the apology; the notice never passes for the assistant's answer."""
from __future__ import annotations

import asyncio

from rasa.core.channels.channel import CollectingOutputChannel

from bot import content
from bot.channels.turn import CountingOutputChannel, run_turn


class Pushed(CountingOutputChannel):
    def __init__(self):
        super().__init__()
        self.texts = []

    async def send_text_message(self, recipient_id, text, **kwargs):
        self.texts.append(text)


def turn(delay, reply=True, fail=False, output=None):
    async def on_new_message(message):
        await asyncio.sleep(delay)
        if fail:
            raise RuntimeError("action server unreachable")
        if reply:
            await message.output_channel.send_response(message.sender_id, {"text": "Réponse"})

    output = output or Pushed()
    asyncio.run(run_turn(on_new_message, output, "widget-x", "Bonjour", channel="widget", from_button=False))
    return output


def test_a_slow_turn_is_announced_once_then_answered(monkeypatch):
    monkeypatch.setenv("SLOW_TURN_SECONDS", "0.2")
    assert turn(0.6).texts == [content.SLOW_TURN, "Réponse"]


def test_a_quick_turn_gets_no_notice(monkeypatch):
    monkeypatch.setenv("SLOW_TURN_SECONDS", "0.5")
    assert turn(0.01).texts == ["Réponse"]


def test_a_slow_turn_that_fails_still_gets_the_apology(monkeypatch):
    monkeypatch.setenv("SLOW_TURN_SECONDS", "0.2")
    assert turn(0.5, fail=True).texts == [content.SLOW_TURN, content.SERVICE_UNAVAILABLE]
    assert turn(0.5, reply=False).texts == [content.SLOW_TURN, content.SERVICE_UNAVAILABLE]


def test_the_rest_channel_answers_in_one_batch_without_the_notice(monkeypatch):
    monkeypatch.setenv("SLOW_TURN_SECONDS", "0.1")
    output = turn(0.4, output=CollectingOutputChannel())
    assert [m["text"] for m in output.messages] == ["Réponse"]


def test_the_notice_can_be_turned_off(monkeypatch):
    monkeypatch.setenv("SLOW_TURN_SECONDS", "0")
    assert turn(0.3).texts == ["Réponse"]


def test_a_stall_after_a_quick_first_reply_is_announced(monkeypatch):
    """Issue 16 (9): the first part of the turn answered at once, then an action stalled:
    the notice comes after the stall, not only at the turn's start."""
    monkeypatch.setenv("SLOW_TURN_SECONDS", "0.2")

    async def on_new_message(message):
        await message.output_channel.send_response(message.sender_id, {"text": "Première partie"})
        await asyncio.sleep(0.7)  # an action stalls
        await message.output_channel.send_response(message.sender_id, {"text": "Suite"})

    output = Pushed()
    asyncio.run(run_turn(on_new_message, output, "widget-x", "Bonjour", channel="widget", from_button=False))
    assert output.texts == ["Première partie", content.SLOW_TURN, "Suite"]


def test_each_stall_is_announced_once(monkeypatch):
    monkeypatch.setenv("SLOW_TURN_SECONDS", "0.15")

    async def on_new_message(message):
        await asyncio.sleep(0.5)
        await message.output_channel.send_response(message.sender_id, {"text": "Un"})
        await asyncio.sleep(0.5)
        await message.output_channel.send_response(message.sender_id, {"text": "Deux"})

    output = Pushed()
    asyncio.run(run_turn(on_new_message, output, "widget-x", "Bonjour", channel="widget", from_button=False))
    assert output.texts == [content.SLOW_TURN, "Un", content.SLOW_TURN, "Deux"]
