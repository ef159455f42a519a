"""The booking form and the cancel / reschedule actions: thin glue between the dialogue
and the agenda service (bot/agenda/client.py); the reading of answers and the brief are
in bot/booking.py, every text in bot/content.py.

booking_status (categorical, read by the rules): offered -> the form runs; unavailable
(service down or nothing fits), declined, not_offered, booked, cancelled -> no form.
"""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.form_validation import FormValidation
from actions.ask import utter_prompt
from actions.tracker_reading import latest_entity, latest_intent, latest_text
from bot import booking, content
from bot.agenda.client import AgendaClient, AgendaRefused, AgendaUnavailable, conversation_key
from bot.agenda.references import find_reference, find_secret
from bot.codes import NO_PREFERENCE

FULL_FORM = ["booking_slot", "booking_name", "booking_contact", "booking_contact_consent", "booking_confirmed"]
RESCHEDULE_FORM = ["booking_slot", "booking_confirmed"]


LOCKED_CODES = ("booking_locked", "too_many_attempts")


def agenda() -> AgendaClient:
    return AgendaClient()


def agenda_for(tracker: Tracker) -> AgendaClient:
    """The agenda client, naming this conversation (a digest) for the agenda's limits on
    wrong booking codes per client."""
    client = agenda()
    client.client_key = conversation_key(tracker.sender_id)
    return client


def _tz(tracker: Tracker) -> str:
    return booking.person_timezone(tracker.get_slot("postal_code"))


async def _search(tracker: Tracker, exclude: list[int]) -> tuple[list[dict], str]:
    """Offers for this person; falls back to remote modes when nobody receives nearby."""
    client = agenda()
    domain, postal_code = tracker.get_slot("situation_domain"), tracker.get_slot("postal_code")
    mode = booking.search_mode(tracker.get_slot("preferred_mode"))
    found = await client.search(domain, postal_code, mode, exclude=exclude)
    if found["slots"] or mode != "in_person":
        return found["slots"], ""
    found = await client.search(domain, postal_code, NO_PREFERENCE, exclude=exclude)
    return found["slots"], content.BOOKING_REMOTE_INSTEAD


def _offer_events(tracker: Tracker, offers: list[dict], shown: list[int]) -> list[dict]:
    return [SlotSet("booking_offers", booking.seal_offers(offers, tracker.sender_id)),
            SlotSet("booking_shown", shown + [offer["slot_id"] for offer in offers])]


async def release_hold(tracker: Tracker) -> None:
    hold = tracker.get_slot("booking_hold") or {}
    if hold.get("hold_id"):
        try:
            await agenda().release(hold["hold_id"])
        except (AgendaUnavailable, AgendaRefused):
            pass  # an unreleased hold expires by itself (AGENDA_HOLD_MINUTES)


def _credentials(tracker: Tracker) -> tuple[str | None, str | None, list[dict]]:
    """Reference and secret from this conversation, or typed by the person."""
    reference, secret = tracker.get_slot("booking_reference"), tracker.get_slot("booking_secret")
    typed_reference, typed_secret = find_reference(latest_text(tracker)), find_secret(latest_text(tracker))
    if typed_reference and typed_secret:
        return typed_reference, typed_secret, [SlotSet("booking_reference", typed_reference),
                                               SlotSet("booking_secret", typed_secret)]
    return reference, secret, []


class ActionOfferBooking(Action):
    """After the routes, or on "prendre rendez-vous" / "changer de créneau": find offers."""

    def name(self) -> str:
        return "action_offer_booking"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        intent = latest_intent(tracker)
        asked = intent in ("book_appointment", "reschedule_booking")
        if tracker.get_slot("safety_risk"):
            if asked:
                dispatcher.utter_message(text=content.BOOKING_NOT_WITH_DANGER)
            return [SlotSet("booking_status", "not_offered")]
        events: list[dict] = [SlotSet("booking_rescheduling", False)]
        if intent == "reschedule_booking":
            reference, secret, events = _credentials(tracker)
            if not (reference and secret):
                dispatcher.utter_message(text=content.BOOKING_NOT_FOUND)
                return [SlotSet("booking_status", "not_offered")]
            events.append(SlotSet("booking_rescheduling", True))
        elif tracker.get_slot("booking_status") == "booked":
            details = tracker.get_slot("booking_details") or {}
            dispatcher.utter_message(text=content.BOOKING_ALREADY.format(
                label=details.get("label", ""), reference=tracker.get_slot("booking_reference")))
            return [SlotSet("booking_status", "booked")]
        elif tracker.get_slot("prelitigation") is None:
            dispatcher.utter_message(text=content.BOOKING_NEEDS_INTAKE)
            return [SlotSet("booking_status", "not_offered")]
        try:
            offers, lead = await _search(tracker, [])
        except (AgendaUnavailable, AgendaRefused):
            dispatcher.utter_message(text=content.BOOKING_UNAVAILABLE)
            return events + [SlotSet("booking_status", "unavailable")]
        if not offers:
            dispatcher.utter_message(text=content.BOOKING_NO_SLOT)
            return events + [SlotSet("booking_status", "unavailable")]
        if lead:
            dispatcher.utter_message(text=lead)
        rescheduling = any(event.get("name") == "booking_rescheduling" and event.get("value") for event in events)
        intro = (content.BOOKING_INTRO_RESCHEDULE.format(reference=tracker.get_slot("booking_reference"))
                 if rescheduling else content.BOOKING_INTRO.format(where=booking.where_phrase(offers)))
        dispatcher.utter_message(text=intro)
        return events + _offer_events(tracker, offers, []) + [
            SlotSet("booking_status", "offered"), SlotSet("booking_hold", None)] + [
            # Every answer is asked afresh: consent was given for one mediator and one appointment.
            SlotSet(slot, None) for slot in FULL_FORM]


class ValidateBookingForm(FormValidation):
    def name(self) -> str:
        return "validate_booking_form"

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: dict) -> list[str]:
        if tracker.get_slot("booking_status") != "offered" or tracker.get_slot("safety_risk"):
            return []
        return RESCHEDULE_FORM if tracker.get_slot("booking_rescheduling") else FULL_FORM

    async def get_validation_events(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: dict) -> list[dict[str, Any]]:
        """Validate only what the person answered. When the form starts right after
        action_offer_booking, the slots it reset to None come along as candidates; read as
        answers, the previous message ("un aménagement") would pick a slot."""
        candidates = tracker.slots_to_validate()
        tracker.slots_to_validate = lambda: {name: value for name, value in candidates.items() if value is not None}
        return await super().get_validation_events(dispatcher, tracker, domain)

    async def _refresh(self, dispatcher: CollectingDispatcher, tracker: Tracker, lead: str,
                       exclude: list[int]) -> dict[str, Any]:
        """New offers after a taken slot or 'autres créneaux'; handles the service going down."""
        try:
            offers, _ = await _search(tracker, exclude)
        except (AgendaUnavailable, AgendaRefused):
            dispatcher.utter_message(text=content.BOOKING_UNAVAILABLE)
            return {"booking_slot": None, "booking_status": "unavailable"}
        if not offers:
            if lead == content.BOOKING_MORE_INTRO:
                dispatcher.utter_message(text=content.BOOKING_NO_MORE)
                return {"booking_slot": None}
            dispatcher.utter_message(text=content.BOOKING_NO_SLOT)
            return {"booking_slot": None, "booking_status": "unavailable"}
        dispatcher.utter_message(text=lead)
        shown = list(tracker.get_slot("booking_shown") or [])
        return {"booking_slot": None, "booking_offers": booking.seal_offers(offers, tracker.sender_id),
                "booking_shown": shown + [offer["slot_id"] for offer in offers]}

    async def validate_booking_slot(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: dict) -> dict[str, Any]:
        offers = list(tracker.get_slot("booking_offers") or [])
        picked = booking.parse_slot_choice(latest_entity(tracker, "choice"), latest_text(tracker), offers)
        if picked == booking.MORE:
            return await self._refresh(dispatcher, tracker, content.BOOKING_MORE_INTRO,
                                       list(tracker.get_slot("booking_shown") or []))
        if picked == booking.LATER:
            await release_hold(tracker)
            dispatcher.utter_message(text=content.BOOKING_LATER)
            return {"booking_slot": None, "booking_status": "declined", "booking_hold": None}
        if picked is None or not booking.offer_sealed_for(picked, tracker.sender_id):
            # Only a slot this conversation was offered is ever held (bot/booking.py: seals).
            dispatcher.utter_message(text=content.BOOKING_CHOICE_INVALID)
            return {"booking_slot": None}
        await release_hold(tracker)  # a previous choice, when the person changed their mind
        try:
            hold = await agenda().hold(picked["slot_id"], picked["mode"])
        except AgendaRefused:
            return await self._refresh(dispatcher, tracker, content.BOOKING_TAKEN, [])
        except AgendaUnavailable:
            dispatcher.utter_message(text=content.BOOKING_UNAVAILABLE)
            return {"booking_slot": None, "booking_status": "unavailable"}
        minutes = booking.minutes_left(hold.get("expires_at"))
        dispatcher.utter_message(text=content.BOOKING_HELD.format(minutes=minutes) if minutes
                                 else content.BOOKING_HELD_A_FEW_MINUTES)
        label = booking.offer_label(picked, _tz(tracker))
        return {"booking_slot": str(picked["slot_id"]),
                "booking_hold": {"hold_id": hold["hold_id"], "slot_id": picked["slot_id"], "mode": picked["mode"],
                                 "label": label, "mediator_name": picked["mediator_name"]}}

    async def validate_booking_name(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: dict) -> dict[str, Any]:
        name = booking.parse_name(latest_text(tracker))
        if name is None:
            dispatcher.utter_message(text=content.BOOKING_NAME_INVALID)
        return {"booking_name": name}

    async def validate_booking_contact(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                       domain: dict) -> dict[str, Any]:
        contact = booking.parse_contact(latest_text(tracker))
        if contact is None:
            dispatcher.utter_message(text=content.BOOKING_CONTACT_INVALID)
            return {"booking_contact": None}
        return {"booking_contact": contact.get("email") or contact.get("phone")}

    async def validate_booking_contact_consent(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                               domain: dict) -> dict[str, Any]:
        answer = booking.parse_consent(latest_entity(tracker, "choice"), latest_intent(tracker), latest_text(tracker))
        if answer == "given":
            return {"booking_contact_consent": "given"}
        if answer == "refused":
            await release_hold(tracker)
            dispatcher.utter_message(text=content.BOOKING_CONSENT_REFUSED)
            return {"booking_contact_consent": None, "booking_status": "declined", "booking_hold": None,
                    "booking_name": None, "booking_contact": None}
        dispatcher.utter_message(text=content.BOOKING_CONSENT_INVALID)
        return {"booking_contact_consent": None}

    async def validate_booking_confirmed(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                         domain: dict) -> dict[str, Any]:
        answer = booking.parse_confirmation(latest_entity(tracker, "choice"), latest_intent(tracker),
                                            latest_text(tracker))
        if answer is None:
            dispatcher.utter_message(text=content.BOOKING_CONFIRM_INVALID)
            return {"booking_confirmed": None}
        if answer == "abandon":
            await release_hold(tracker)
            dispatcher.utter_message(text=content.BOOKING_ABANDONED)
            return {"booking_confirmed": None, "booking_status": "declined", "booking_hold": None}
        if answer == "change":
            await release_hold(tracker)
            refreshed = await self._refresh(dispatcher, tracker, content.BOOKING_MORE_INTRO, [])
            return {**refreshed, "booking_confirmed": None, "booking_hold": None}
        return await self._confirm(dispatcher, tracker)

    async def _confirm(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
        client, hold = agenda_for(tracker), tracker.get_slot("booking_hold") or {}
        try:
            if tracker.get_slot("booking_rescheduling"):
                result = await client.reschedule(tracker.get_slot("booking_reference"),
                                                  tracker.get_slot("booking_secret"), hold.get("hold_id", ""))
                secret = tracker.get_slot("booking_secret")
            else:
                contact = tracker.get_slot("booking_contact") or ""
                person = {"name": tracker.get_slot("booking_name"), "contact_consent": True,
                          "email" if "@" in contact else "phone": contact}
                # The agenda keeps which conversation booked (a keyed digest), for its erasure.
                result = await client.confirm(hold.get("hold_id", ""), person,
                                              booking.build_brief(tracker.slots, hold.get("mode", "")),
                                              conversation=conversation_key(tracker.sender_id))
                secret = result["secret"]
        except AgendaRefused as refused:
            if refused.code in ("slot_taken", "hold_not_found", "hold_released"):
                refreshed = await self._refresh(dispatcher, tracker, content.BOOKING_CONFIRM_FAILED, [])
                return {**refreshed, "booking_confirmed": None, "booking_hold": None}
            if refused.code in LOCKED_CODES:
                await release_hold(tracker)
                dispatcher.utter_message(text=content.BOOKING_CODE_LOCKED)
                return {"booking_confirmed": None, "booking_status": "booked", "booking_hold": None,
                        "booking_rescheduling": False}
            dispatcher.utter_message(text=content.BOOKING_UNAVAILABLE)
            return {"booking_confirmed": None, "booking_status": "unavailable"}
        except AgendaUnavailable:
            dispatcher.utter_message(text=content.BOOKING_UNAVAILABLE)
            return {"booking_confirmed": None, "booking_status": "unavailable"}
        reference = result["reference"]
        ics_url = client.invitation_url(result["calendar_token"])
        label = hold.get("label", "")
        if tracker.get_slot("booking_rescheduling"):
            dispatcher.utter_message(text=content.BOOKING_RESCHEDULED.format(reference=reference, label=label,
                                                                              ics_url=ics_url))
        else:
            dispatcher.utter_message(text="\n".join((
                content.BOOKING_DONE.format(label=label, reference=reference, secret=secret, ics_url=ics_url),
                *booking.messages_said(result.get("notifications")))))
        # The agenda keeps the contact for the mediator; the conversation no longer needs it.
        return {"booking_confirmed": "yes", "booking_status": "booked", "booking_reference": reference,
                "booking_secret": secret, "booking_details": {"reference": reference, "label": label},
                "booking_hold": None, "booking_name": None, "booking_contact": None, "booking_rescheduling": False}


class ActionAskBookingSlot(Action):
    def name(self) -> str:
        return "action_ask_booking_slot"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        offers = tracker.get_slot("booking_offers") or []
        dispatcher.utter_message(text=content.BOOKING_WHICH, buttons=booking.offer_buttons(offers, _tz(tracker)))
        return []


class _AskText(Action):
    """A booking question with no buttons: its text is in bot/content.py."""
    slot, text = "", ""

    def name(self) -> str:
        return f"action_ask_{self.slot}"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        dispatcher.utter_message(text=self.text)
        return []


class ActionAskBookingName(_AskText):
    slot, text = "booking_name", content.BOOKING_ASK_NAME


class ActionAskBookingContact(_AskText):
    slot, text = "booking_contact", content.BOOKING_ASK_CONTACT


class ActionAskBookingContactConsent(Action):
    def name(self) -> str:
        return "action_ask_booking_contact_consent"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        mediator = (tracker.get_slot("booking_hold") or {}).get("mediator_name", content.BOOKING_THE_MEDIATOR)
        utter_prompt(dispatcher, content.Prompt(content.BOOKING_ASK_CONSENT.format(mediator=mediator),
                                                content.BOOKING_CONSENT_BUTTONS))
        return []


class ActionAskBookingConfirmed(Action):
    def name(self) -> str:
        return "action_ask_booking_confirmed"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        label = (tracker.get_slot("booking_hold") or {}).get("label", "")
        if tracker.get_slot("booking_rescheduling"):
            text = content.BOOKING_ASK_CONFIRM_RESCHEDULE.format(reference=tracker.get_slot("booking_reference"),
                                                                 label=label)
        else:
            text = content.BOOKING_ASK_CONFIRM.format(label=booking.confirm_details(
                label, tracker.get_slot("booking_name"), tracker.get_slot("booking_contact")))
        utter_prompt(dispatcher, content.Prompt(text, content.BOOKING_CONFIRM_BUTTONS))
        return []


class ActionBookingDone(Action):
    """After the form: nothing more to say unless booked (the confirmation is already shown)."""

    def name(self) -> str:
        return "action_booking_done"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        if tracker.get_slot("booking_status") == "booked":
            dispatcher.utter_message(text=content.BOOKING_ANYTHING_ELSE)
        return []


class ActionBookingStop(Action):
    """Leave the booking form (stop, cancel, danger): free the held slot, say so."""

    def name(self) -> str:
        return "action_booking_stop"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        await release_hold(tracker)
        intent = latest_intent(tracker)
        if intent == "cancel_booking":
            dispatcher.utter_message(text=content.BOOKING_ABANDONED)
        elif intent == "safety_alert":
            dispatcher.utter_message(text=content.BOOKING_STOPPED_SAFETY)
        # Stopping a reschedule leaves the existing booking as it was.
        status = "booked" if tracker.get_slot("booking_rescheduling") else "declined"
        return [ActiveLoop(None), SlotSet("requested_slot", None), SlotSet("booking_hold", None),
                SlotSet("booking_slot", None), SlotSet("booking_rescheduling", False), SlotSet("booking_status", status)]


class ActionCancelBooking(Action):
    """'annuler mon rendez-vous': ask to confirm, then cancel by reference and secret."""

    def name(self) -> str:
        return "action_cancel_booking"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        reference, secret, events = _credentials(tracker)
        if not (reference and secret):
            dispatcher.utter_message(text=content.BOOKING_NOT_FOUND)
            return events
        choice = latest_entity(tracker, "choice")
        client = agenda_for(tracker)
        try:
            if choice == "keep":
                dispatcher.utter_message(text=content.CANCEL_KEPT.format(reference=reference))
                return events
            if choice == "confirm":
                await client.cancel(reference, secret)
                dispatcher.utter_message(text=content.CANCEL_DONE.format(reference=reference))
                return events + [SlotSet("booking_status", "cancelled")]
            found = await client.booking(reference, secret)
        except AgendaRefused as refused:
            if refused.code == "booking_already_cancelled":
                dispatcher.utter_message(text=content.CANCEL_ALREADY.format(reference=reference))
                return events + [SlotSet("booking_status", "cancelled")]
            if refused.code in LOCKED_CODES:
                dispatcher.utter_message(text=content.BOOKING_CODE_LOCKED)
                return []
            dispatcher.utter_message(text=content.BOOKING_WRONG_SECRET)
            return []  # typed credentials that match nothing are not kept
        except AgendaUnavailable:
            dispatcher.utter_message(text=content.CANCEL_UNAVAILABLE)
            return events
        if found["status"] == "cancelled":
            dispatcher.utter_message(text=content.CANCEL_ALREADY.format(reference=reference))
            return events + [SlotSet("booking_status", "cancelled")]
        label = booking.offer_label({"mediator_name": found["mediator"]["name"], "starts_at": found["starts_at"],
                                     "mode": found["mode"], "place": found["mediator"]["commune"]}, _tz(tracker))
        utter_prompt(dispatcher, content.Prompt(content.CANCEL_ASK.format(label=label, reference=reference),
                                                content.CANCEL_BUTTONS))
        return events
