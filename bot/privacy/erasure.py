"""Erasing a person's data on request: their conversation and what their booking holds.

Every booking the conversation ever made is reached, in every Rasa session of it and
after « recommencer »: the agenda keeps a pseudonymous key of the conversation per booking
(`anonymise_conversation`); the booking the slots name (reference and code, possibly typed
from another conversation) is anonymised too.

The booking itself stays (the mediator keeps the appointment, its slot, mode and
domain) but loses the name, contact details and brief (agenda `anonymise`). Then every
stored event of the conversation is deleted. If the agenda cannot be reached, nothing
is erased and the caller says to retry: a half-done erasure would lose the booking's
reference and code, the only way left to finish it.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from bot.agenda.client import AgendaClient, AgendaRefused, AgendaUnavailable, conversation_key

logger = logging.getLogger(__name__)


def primary_tracker_store(agent: Any) -> Any:
    """The configured store, under Rasa's fail-safe wrapper."""
    store = agent.tracker_store
    return getattr(store, "_tracker_store", store)


async def erase_conversation(agent: Any, sender_id: str) -> int:
    """Delete every stored event of this conversation; waits for a turn in progress."""
    store = primary_tracker_store(agent)
    if not hasattr(store, "erase"):
        raise RuntimeError("the configured tracker store cannot erase a conversation")
    async with agent.lock_store.lock(sender_id):
        return store.erase(sender_id)


@dataclass(frozen=True)
class ErasureReport:
    events: int  # stored events deleted
    booking_reference: str | None  # the booking whose personal data were removed, if any

    all_references: tuple[str, ...] = ()  # every booking whose personal data were removed

    def as_json(self) -> dict[str, Any]:
        return {"erased": True, "events": self.events, "booking_anonymised": self.booking_reference,
                "bookings_anonymised": list(self.all_references)}


async def anonymise_booking(agenda: AgendaClient, reference: str | None, secret: str | None) -> str | None:
    """Strip the person from their booking; the reference when done, None when there is
    none here. Raises AgendaUnavailable: the caller then erases nothing."""
    if not (reference and secret):
        return None
    try:
        await agenda.anonymise(reference, secret)
        return reference
    except AgendaRefused as refused:
        if refused.code in ("booking_locked", "too_many_attempts"):
            # Locked for a while after wrong codes: erasing the conversation now would lose
            # the only code that can finish the job later. Nothing is erased; retry.
            raise AgendaUnavailable(refused.code) from refused
        # Unknown to this agenda (e.g. another environment): nothing of it to remove here.
        logger.warning("erasure: booking not anonymised (%s)", refused.code)
        return None


def ever_booked(events: Any) -> bool:
    """Whether a booking was ever made in this conversation, in any of its sessions (the
    stored events survive « recommencer »): Rasa events or their dict form (the SDK's)."""
    for event in events or ():
        if isinstance(event, dict):
            name, value = (event.get("name"), event.get("value")) if event.get("event") == "slot" else (None, None)
        else:
            name, value = getattr(event, "key", None), getattr(event, "value", None)
        if name == "booking_reference" and value:
            return True
    return False


async def anonymise_bookings(agenda: AgendaClient, sender_id: str, reference: str | None,
                             secret: str | None, booked: bool = True) -> list[str]:
    """Every booking of the conversation stripped of the person: the one its slots name, and
    every one it ever made (asked of the agenda only when `booked`, so that a conversation
    that never booked is erased even while the agenda is down). Raises AgendaUnavailable:
    the caller then erases nothing."""
    current = await anonymise_booking(agenda, reference, secret)
    if not booked:
        return [current] if current else []
    try:
        made = await agenda.anonymise_conversation(conversation_key(sender_id))
    except AgendaRefused as refused:
        logger.warning("erasure: the conversation's bookings not anonymised (%s)", refused.code)
        made = []
    return list(dict.fromkeys(([current] if current else []) + made))


async def erase_person(agent: Any, sender_id: str, agenda: AgendaClient | None = None) -> ErasureReport:
    """Raises AgendaUnavailable (nothing erased) when the bookings cannot be anonymised now."""
    tracker = await agent.tracker_store.retrieve(sender_id)
    reference = tracker.get_slot("booking_reference") if tracker else None
    secret = tracker.get_slot("booking_secret") if tracker else None
    client = agenda or AgendaClient()
    client.client_key = conversation_key(sender_id)
    anonymised = await anonymise_bookings(client, sender_id, reference, secret,
                                          booked=ever_booked(tracker.events if tracker else ()))
    events = await erase_conversation(agent, sender_id)
    logger.info("erasure: %d events deleted, bookings anonymised: %d", events, len(anonymised))
    return ErasureReport(events, anonymised[0] if anonymised else None, tuple(anonymised))
