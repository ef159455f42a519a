"""Erasing a person's data on request: their conversation and what their booking holds.

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

from bot.agenda.client import AgendaClient, AgendaRefused, AgendaUnavailable
from bot.channels.conversations import erase_conversation

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ErasureReport:
    events: int  # stored events deleted
    booking_reference: str | None  # the booking whose personal data were removed, if any

    def as_json(self) -> dict[str, Any]:
        return {"erased": True, "events": self.events, "booking_anonymised": self.booking_reference}


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


async def erase_person(agent: Any, sender_id: str, agenda: AgendaClient | None = None) -> ErasureReport:
    """Raises AgendaUnavailable (nothing erased) when the booking cannot be anonymised now."""
    tracker = await agent.tracker_store.retrieve(sender_id)
    reference = tracker.get_slot("booking_reference") if tracker else None
    secret = tracker.get_slot("booking_secret") if tracker else None
    anonymised = await anonymise_booking(agenda or AgendaClient(), reference, secret)
    events = await erase_conversation(agent, sender_id)
    logger.info("erasure: %d events deleted, booking anonymised: %s", events, bool(anonymised))
    return ErasureReport(events, anonymised)
