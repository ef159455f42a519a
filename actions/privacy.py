"""The person's control over their data, inside the conversation.

- The consent record: when the notice was accepted, and which version of it.
- « effacer mes données » / « je retire mon consentement »: confirm, then remove the
  personal fields of the booking (agenda `anonymise`), free a held slot, and set
  `consent` to "refused": the tracker store then deletes the whole conversation when it
  saves this turn (bot/rasa_plugins/tracker_store.py), so nothing of it outlives the answer.
  The rules (data/rules/privacy.yml) branch on the `erasure` slot set here.
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.form_validation import FormValidation
from actions.ask import utter_prompt
from actions import booking as booking_actions  # one agenda client factory, patched in tests
from actions.tracker_reading import button_choice
from bot import content
from bot.agenda.client import AgendaUnavailable
from bot.privacy.erasure import anonymise_bookings, ever_booked


logger = logging.getLogger(__name__)

# Real answers score far above it: « oui » 0.99, « j'accepte » 0.95, « d'accord » 0.87; the
# buttons' payloads 1.0.
CONSENT_MIN_CONFIDENCE = 0.6
ERASED_PAYLOAD = "conversation_erased"  # read by bot/channels/widget.py


class ValidateConsentForm(FormValidation):
    def name(self) -> str:
        return "validate_consent_form"

    async def validate_consent(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                               domain: dict) -> dict[str, Any]:
        if value != "given":
            return {"consent": value}
        confidence = (tracker.latest_message.get("intent") or {}).get("confidence") or 0.0
        if confidence < CONSENT_MIN_CONFIDENCE:
            # Consent is never taken from a guess (e.g. a typed "/affirm" read as the word
            # "affirm", 0.42): the person is asked again for a clear yes or no.
            dispatcher.utter_message(response="utter_consent_reminder")
            return {"consent": None}
        return {"consent": "given",
                "consent_given_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "consent_notice_version": content.CONSENT_NOTICE_VERSION}


def _stopped() -> list[dict[str, Any]]:
    # "refused" makes the tracker store erase the conversation at the end of this turn;
    # the rules then deactivate any form (action_deactivate_loop).
    return [SlotSet("consent", "refused"), SlotSet("erasure", "done")]


def erased_screen(dispatcher: CollectingDispatcher) -> None:
    """Tells the channel the conversation is erased (a custom payload): the website widget
    clears its screen, as when the erasure is asked with its own button; the REST and app
    clients get it as `custom`; the messaging platforms send nothing for it."""
    dispatcher.utter_message(json_message={ERASED_PAYLOAD: True})


def _stored_messages(tracker: Tracker) -> int:
    return sum(1 for event in tracker.events if event.get("event") == "user")


class ActionEraseData(Action):
    def name(self) -> str:
        return "action_erase_data"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        if tracker.get_slot("consent") != "given":
            # Before consent no words were stored (redacted); stop and forget the rest too. A
            # booking made before « recommencer » (which resets the consent) is reached still.
            try:
                anonymised = await anonymise_bookings(booking_actions.agenda_for(tracker), tracker.sender_id,
                                                      None, None, booked=ever_booked(tracker.events))
            except AgendaUnavailable:  # known gap: the consent form has no "retry later" branch
                logger.warning("erasure before consent: the agenda is unreachable, bookings not anonymised")
                anonymised = []
            text = content.ERASE_NOTHING_STORED
            if anonymised:
                text += content.ERASE_DONE_BOOKINGS.format(references=", ".join(anonymised))
            dispatcher.utter_message(text=text)
            erased_screen(dispatcher)
            return _stopped()
        reference, secret = tracker.get_slot("booking_reference"), tracker.get_slot("booking_secret")
        booked = reference if reference and secret else None
        choice = button_choice(tracker, ("confirm", "keep"))
        if choice is None:
            booking = content.ERASE_ASK_BOOKING.format(reference=booked) if booked else ""
            utter_prompt(dispatcher, content.Prompt(content.ERASE_ASK.format(booking=booking), content.ERASE_BUTTONS))
            return [SlotSet("erasure", "asked")]
        if choice == "keep":
            dispatcher.utter_message(text=content.ERASE_KEPT)
            return [SlotSet("erasure", "kept")]
        try:
            anonymised = await anonymise_bookings(booking_actions.agenda_for(tracker), tracker.sender_id,
                                                  reference, secret, booked=ever_booked(tracker.events))
        except AgendaUnavailable:
            dispatcher.utter_message(text=content.ERASE_UNAVAILABLE.format(reference=reference) if reference
                                     else content.ERASE_UNAVAILABLE_NO_REFERENCE)
            return [SlotSet("erasure", "unavailable")]
        await booking_actions.release_hold(tracker)
        booking = ""
        if len(anonymised) > 1:
            booking = content.ERASE_DONE_BOOKINGS.format(references=", ".join(anonymised))
        elif anonymised:
            cancelled = anonymised == [reference] and tracker.get_slot("booking_status") == "cancelled"
            booking = (content.ERASE_DONE_BOOKING_CANCELLED if cancelled else content.ERASE_DONE_BOOKING).format(
                reference=anonymised[0])
        dispatcher.utter_message(text=content.ERASE_DONE.format(messages=_stored_messages(tracker), booking=booking))
        erased_screen(dispatcher)
        return _stopped()
