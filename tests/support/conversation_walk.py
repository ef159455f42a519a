"""Walk a conversation over REST the way people hold it, and keep a snapshot of every state.

« Bonjour » first, consent, the story, then every question answered (a button when one is
offered, a plausible typed answer otherwise) until the booking is made. Each state met on the
way, a requested slot of a form or a moment outside forms (the recap, after the verdict, after
a booking…), is kept as the tracker's events, so that a probe can later be replayed from that
exact state in a fresh conversation (Rasa's `PUT /conversations/<id>/tracker/events`).
"""
from __future__ import annotations

import json
import secrets
import urllib.request
from dataclasses import dataclass, field

import yaml

from bot.codes import NEVER_A_SLOT_VALUE

from bot.paths import ROOT
MAX_TURNS = 60

# Typed answers for the questions that have no button (or whose buttons only say "skip").
TYPED_ANSWERS = {
    "postal_code": "75011",
    "booking_name": "Camille Martin",
    "booking_contact": "camille.martin@example.org",
    "triage_answer": "je ne sais pas",
}


def declared_form_states() -> set[tuple[str, str]]:
    """(form, requested slot) for every question that domain.yml declares."""
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    return {(form, slot) for form, spec in domain["forms"].items() for slot in spec["required_slots"]}


def _request(url: str, body=None, method: str | None = None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as reply:
        return json.loads(reply.read() or b"null")


@dataclass
class Conversation:
    """One person on the REST channel, with the Rasa HTTP API to read or replace the tracker."""

    servers: object
    sender: str = field(default_factory=lambda: f"walk-{secrets.token_hex(6)}")
    replies: list = field(default_factory=list)

    def say(self, message: str) -> list[dict]:
        self.replies = _request(f"{self.servers.url}/webhooks/rest/webhook",
                                {"sender": self.sender, "message": message})
        return self.replies

    def text(self) -> str:
        return "\n".join(reply.get("text") or "" for reply in self.replies)

    def buttons(self) -> list[dict]:
        return [button for reply in self.replies for button in reply.get("buttons") or []]

    def tracker(self) -> dict:
        return _request(f"{self.servers.url}/conversations/{self.sender}/tracker?token={self.servers.token}")

    def replace_events(self, events: list[dict]) -> None:
        _request(f"{self.servers.url}/conversations/{self.sender}/tracker/events?token={self.servers.token}",
                 events, method="PUT")


def state_of(tracker: dict) -> str:
    """A readable name for where the conversation stands."""
    slots = tracker["slots"]
    loop = (tracker.get("active_loop") or {}).get("name")
    if loop:
        return f"{loop}:{slots.get('requested_slot')}"
    actions = [e["name"] for e in tracker["events"] if e.get("event") == "action" and e["name"] != "action_listen"]
    last = actions[-1] if actions else None
    if slots.get("consent") == "refused":
        return "after_refusal"
    if slots.get("booking_status") == "booked":
        return "after_booking"
    if last == "action_show_recap":
        return "recap"
    if slots.get("booking_status") in ("declined", "unavailable", "not_offered") or last in (
            "action_offer_booking", "action_show_routes", "action_booking_stop"):
        return "after_verdict"
    return f"outside_forms:{last}"


def _button_intent(payload: str) -> str:
    return payload.lstrip("/").split("{", 1)[0]


def _ordinary_buttons(buttons: list[dict]) -> list[dict]:
    """Buttons that answer the question (not stop, erase, a person, a question…)."""
    return [b for b in buttons if _button_intent(b["payload"]) not in NEVER_A_SLOT_VALUE]


@dataclass
class Scenario:
    description: str
    deny_domain_then_choose: str | None = None  # a domain code: exercises domain_choice
    refuse_consent: bool = False


def answer(conversation: Conversation, tracker: dict, scenario: Scenario) -> str | None:
    """What a cooperative person answers in this state; None when the walk is over."""
    state = state_of(tracker)
    buttons = _ordinary_buttons(conversation.buttons())
    if state in ("after_booking", "after_refusal", "after_verdict"):
        return None
    requested = state.split(":", 1)[1] if ":" in state else None
    if requested == "consent":
        return "/deny" if scenario.refuse_consent else "/affirm"
    if requested == "situation_description":
        return scenario.description
    if requested == "domain_confirmed":
        return "/deny" if scenario.deny_domain_then_choose else "/affirm"
    if requested == "domain_choice":
        wanted = [b for b in buttons if scenario.deny_domain_then_choose in b["payload"]]
        return (wanted or buttons)[0]["payload"]
    if requested in TYPED_ANSWERS and (requested != "triage_answer" or not buttons):
        return TYPED_ANSWERS[requested]
    if buttons:
        return buttons[0]["payload"]
    if state == "recap":
        return "/affirm"
    raise AssertionError(f"no way to answer in state {state}: add a typed answer to tests/support/conversation_walk.py")


def walk(servers, scenario: Scenario, opening: str = "Bonjour") -> dict[str, list[dict]]:
    """The events of every state met, in order, from the opening message to the end."""
    conversation = Conversation(servers)
    conversation.say(opening)
    snapshots: dict[str, list[dict]] = {}
    for _ in range(MAX_TURNS):
        tracker = conversation.tracker()
        if scenario.refuse_consent and snapshots and state_of(tracker) != "consent_form:consent":
            # A refusal erases the conversation when it is saved: what is left is this state.
            snapshots["after_refusal"] = tracker["events"]
            return snapshots
        snapshots.setdefault(state_of(tracker), tracker["events"])
        reply = answer(conversation, tracker, scenario)
        if reply is None:
            return snapshots
        conversation.say(reply)
    raise AssertionError(f"the walk did not end; states met: {list(snapshots)}")


def replay(servers, events: list[dict]) -> Conversation:
    """A fresh conversation put in the state those events describe."""
    conversation = Conversation(servers)
    conversation.replace_events(events)
    return conversation
