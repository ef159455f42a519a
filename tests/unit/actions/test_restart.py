"""« recommencer » starts again from the first question (actions/restart.py)."""
from __future__ import annotations

import asyncio

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.restart import ActionRestart
from bot import content


def _run(slots):
    dispatcher = CollectingDispatcher()
    tracker = Tracker("someone", slots, {"text": "recommencer"}, [], False, None, {}, "action_listen")
    return dispatcher, asyncio.run(ActionRestart().run(dispatcher, tracker, {}))


def test_after_consent_the_story_is_wiped_the_consent_kept_and_the_description_asked():
    slots = {"consent": "given", "consent_given_at": "2026-12-03T08:00:00+00:00", "consent_notice_version": "v",
             "situation_domain": "family", "amount_eur": 300.0}
    dispatcher, events = _run(slots)
    assert events[0]["event"] == "restart"
    kept = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert kept == {"consent": "given", "consent_given_at": "2026-12-03T08:00:00+00:00", "consent_notice_version": "v"}
    assert events[-1] == {"event": "followup", "timestamp": None, "name": "intake_form"}
    assert [m.get("custom") or m.get("text") for m in dispatcher.messages] == [
        {"conversation_restarted": True}, content.RESTARTED]  # the screen cleared first, then said once


def test_before_consent_the_consent_is_asked_again():
    _, events = _run({"consent": None})
    assert [e["event"] for e in events] == ["restart", "followup"] and events[-1]["name"] == "consent_form"
