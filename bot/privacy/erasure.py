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
from bot.channels.conversations import erase_conversation

logger = logging.getLogger(__name__)


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


async def anonymise_bookings(agenda: AgendaClient, sender_id: str, reference: str | None,
                             secret: str | None) -> list[str]:
    """Every booking of the conversation stripped of the person: the one its slots name, and
    every one it ever made. Raises AgendaUnavailable: the caller then erases nothing."""
    current = await anonymise_booking(agenda, reference, secret)
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
    anonymised = await anonymise_bookings(client, sender_id, reference, secret)
    events = await erase_conversation(agent, sender_id)
    logger.info("erasure: %d events deleted, bookings anonymised: %d", events, len(anonymised))
    return ErasureReport(events, anonymised[0] if anonymised else None, tuple(anonymised))
