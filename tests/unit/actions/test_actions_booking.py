"""Booking actions against a real agenda store (SQLite) behind a fake HTTP client.

The fake client calls AgendaStore directly and maps its errors the way the real
client maps HTTP answers, so the dialogue logic is tested on real holds and bookings.
"""
from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from rasa_sdk.executor import CollectingDispatcher

import actions.booking as booking_actions
from actions.booking import (ActionAskBookingConfirmed, ActionAskBookingSlot, ActionBookingStop, ActionCancelBooking,
                             ActionOfferBooking, ValidateBookingForm)
from bot import booking as booking_helpers, content
from bot.agenda import sealed
from bot.agenda.client import AgendaRefused, AgendaUnavailable
from bot.agenda.schema import bookings, holds
from bot.agenda.store import AgendaError
from tests.unit.actions.test_actions import make_tracker, run
from tests.support.agenda_fixtures import Clock, seeded_store, slot_ids

DOMAIN = {"forms": {"booking_form": {"required_slots": booking_actions.FULL_FORM}}}
READY = {"consent": "given", "situation_domain": "family", "postal_code": "75011", "preferred_mode": "video",
         "prelitigation": "mandatory", "outcome_aim": "resumption", "other_party": "ex_partner",
         "situation_description": "mon ex ne respecte pas le droit de visite",
         "triage_result": {"verdict": "mandatory", "basis": [{"id": "F1", "basis": "CPC 750-1", "version_date": "2023-10-01"}],
                           "exemptions": []}}


class FakeAgenda:
    down = False

    def __init__(self, store):
        self.store = store

    async def _do(self, function, *args):
        if FakeAgenda.down:
            raise AgendaUnavailable("down")
        try:
            return function(*args)
        except AgendaError as error:
            raise AgendaRefused(error.status, error.code, error.message) from None

    async def search(self, domain, postal_code, mode, exclude=(), limit=3):
        now = self.store.clock()
        from datetime import timedelta
        page, total = await self._do(self.store.search, domain, postal_code, mode, now, now + timedelta(days=28),
                                     limit, set(exclude))
        return {"slots": [offer.as_json() for offer in page], "remaining": total}

    async def hold(self, slot_id, mode):
        return await self._do(self.store.hold, slot_id, mode)

    async def release(self, hold_id):
        return await self._do(self.store.release, hold_id)

    async def confirm(self, hold_id, person, brief, conversation=None):
        return await self._do(self.store.confirm, hold_id, person, brief, conversation)

    async def anonymise_conversation(self, conversation):
        return await self._do(self.store.anonymise_conversation, conversation)

    async def booking(self, reference, secret):
        return await self._do(self.store.booking, reference, secret)

    async def cancel(self, reference, secret):
        return await self._do(self.store.cancel, reference, secret)

    async def anonymise(self, reference, secret):
        return await self._do(self.store.anonymise, reference, secret)

    async def reschedule(self, reference, secret, hold_id):
        return await self._do(self.store.reschedule, reference, secret, hold_id)

    def invitation_url(self, calendar_token):
        return f"http://agenda.test/public/calendar/{calendar_token}.ics"


@pytest.fixture
def clock():
    return Clock()


def agenda_behind_fake_client(tmp_path, clock, monkeypatch):
    """A seeded agenda store that the booking actions reach through FakeAgenda."""
    store = seeded_store(f"sqlite:///{tmp_path}/agenda.db", clock)
    FakeAgenda.down = False
    monkeypatch.setattr(booking_actions, "agenda", lambda: FakeAgenda(store))
    return store


@pytest.fixture
def store(tmp_path, clock, monkeypatch):
    return agenda_behind_fake_client(tmp_path, clock, monkeypatch)


def events_of(events):
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def offer(slots, text="", intent="inform"):
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(text, intent, slots=slots)
    return events_of(run(ActionOfferBooking().run(dispatcher, tracker, DOMAIN))), dispatcher.messages


def validate(slot, slots, text="", intent="inform", choice=None):
    dispatcher = CollectingDispatcher()
    entities = [{"entity": "choice", "value": choice}] if choice else []
    tracker = make_tracker(text, intent, slots=slots, entities=entities, active_loop="booking_form")
    result = run(getattr(ValidateBookingForm(), f"validate_{slot}")(text, dispatcher, tracker, DOMAIN))
    return result, [message.get("text") for message in dispatcher.messages]


def offered(store):
    slots, _ = offer(READY)
    return {**READY, **slots}


def held(store):
    slots = offered(store)
    first = slots["booking_offers"][0]
    result, _ = validate("booking_slot", slots, choice=f"slot_{first['slot_id']}")
    return {**slots, **result}


def ready_to_confirm(store):
    return {**held(store), "booking_name": "Marie Dupont", "booking_contact": "marie@exemple.fr",
            "booking_contact_consent": "given"}


# -- offers ---------------------------------------------------------------------------------

def test_offers_three_buttons_with_more_and_later(store):
    slots, messages = offer(READY)
    assert slots["booking_status"] == "offered" and slots["booking_offers"]
    assert messages[0]["text"].startswith("Je peux vous proposer")
    dispatcher = CollectingDispatcher()
    run(ActionAskBookingSlot().run(dispatcher, make_tracker(slots={**READY, **slots}), DOMAIN))
    titles = [button["title"] for button in dispatcher.messages[0]["buttons"]]
    assert titles[-2:] == [content.BOOKING_BUTTON_MORE, content.BOOKING_BUTTON_LATER]
    assert "Médiateur paris (démo)" in titles[0] and "en visio" in titles[0]


def test_no_offer_before_the_intake_or_in_danger(store):
    slots, messages = offer({"consent": "given"}, intent="book_appointment")
    assert slots["booking_status"] == "not_offered" and messages[0]["text"] == content.BOOKING_NEEDS_INTAKE
    slots, messages = offer({**READY, "safety_risk": True})
    assert slots == {"booking_status": "not_offered"} and messages == []  # the routes already said it
    slots, messages = offer({**READY, "safety_risk": True}, intent="book_appointment")
    assert messages[0]["text"] == content.BOOKING_NOT_WITH_DANGER


def test_service_down_or_nothing_fits_gives_the_fallback_and_keeps_the_answers(store):
    FakeAgenda.down = True
    slots, messages = offer(READY)
    assert slots["booking_status"] == "unavailable" and messages[0]["text"] == content.BOOKING_UNAVAILABLE
    assert "conciliateur" in messages[0]["text"] and "situation_domain" not in slots
    FakeAgenda.down = False
    slots, messages = offer({**READY, "situation_domain": "territorial"})
    assert slots["booking_status"] == "unavailable" and messages[0]["text"] == content.BOOKING_NO_SLOT


def test_in_person_with_nobody_nearby_offers_remote_modes(store):
    slots, messages = offer({**READY, "postal_code": "29200", "preferred_mode": "in_person"})
    assert messages[0]["text"] == content.BOOKING_REMOTE_INSTEAD
    assert {item["mode"] for item in slots["booking_offers"]} == {"video"}


# -- choosing, holding ------------------------------------------------------------------------

def test_choosing_a_button_holds_the_slot(store):
    slots = held(store)
    assert slots["booking_hold"]["hold_id"] and slots["booking_slot"] == str(slots["booking_offers"][0]["slot_id"])
    with store.engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(holds)).scalar() == 1


def test_a_slot_taken_meanwhile_gives_fresh_offers(store):
    slots = offered(store)
    first = slots["booking_offers"][0]
    store.hold(first["slot_id"], "video")  # someone else, a moment earlier
    result, messages = validate("booking_slot", slots, choice=f"slot_{first['slot_id']}")
    assert result["booking_slot"] is None and messages[0] == content.BOOKING_TAKEN
    assert first["slot_id"] not in {item["slot_id"] for item in result["booking_offers"]}


def test_more_slots_then_none_left_then_later(store):
    slots = offered(store)
    result, messages = validate("booking_slot", slots, text="autres créneaux", choice="more")
    assert messages == [content.BOOKING_NO_MORE]  # two Paris slots, both already shown
    result, messages = validate("booking_slot", slots, text="pas maintenant")
    assert result["booking_status"] == "declined" and messages == [content.BOOKING_LATER]


def test_slots_reset_by_our_actions_are_not_read_as_answers(store):
    """The form validates on activation the slots action_offer_booking reset to None: the
    person's previous message ("un aménagement", an outcome) must not pick a slot."""
    from rasa_sdk import Tracker
    slots = offered(store)
    latest = {"text": "un aménagement", "intent": {"name": "inform", "confidence": 0.9}, "entities": []}
    events = [{"event": "user", "text": "un aménagement"}, {"event": "action", "name": "action_offer_booking"}]
    events += [{"event": "slot", "name": slot, "value": None} for slot in booking_actions.FULL_FORM]
    tracker = Tracker("test-user", slots, latest, events, False, None, {"name": "booking_form"}, "action_offer_booking")
    dispatcher = CollectingDispatcher()
    validated = run(ValidateBookingForm().get_validation_events(dispatcher, tracker, DOMAIN))
    assert validated == [] and dispatcher.messages == []
    with store.engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(holds)).scalar() == 0
    # The same message typed as an answer is read (and is not a slot choice).
    events[-1] = {"event": "slot", "name": "booking_slot", "value": "un aménagement"}
    tracker = Tracker("test-user", slots, latest, events, False, None, {"name": "booking_form"}, "action_listen")
    validated = run(ValidateBookingForm().get_validation_events(dispatcher, tracker, DOMAIN))
    assert dispatcher.messages[0]["text"] == content.BOOKING_CHOICE_INVALID


def test_a_code_not_offered_is_not_accepted(store):
    slots = offered(store)
    result, messages = validate("booking_slot", slots, choice="slot_99999")
    assert result == {"booking_slot": None} and messages == [content.BOOKING_CHOICE_INVALID]


# -- contact and consent ----------------------------------------------------------------------

def test_name_contact_and_consent_are_validated(store):
    assert validate("booking_name", {}, text="Marie Dupont")[0] == {"booking_name": "Marie Dupont"}
    assert validate("booking_name", {}, text="<b>123</b>")[0] == {"booking_name": None}
    assert validate("booking_contact", {}, text="06 12 34 56 78")[0] == {"booking_contact": "+33612345678"}
    assert validate("booking_contact", {}, text="marie@exemple.fr")[0] == {"booking_contact": "marie@exemple.fr"}
    result, messages = validate("booking_contact", {}, text="demain")
    assert result == {"booking_contact": None} and messages == [content.BOOKING_CONTACT_INVALID]
    assert validate("booking_contact_consent", {}, intent="affirm", choice="consent")[0] == {"booking_contact_consent": "given"}


def test_refusing_consent_releases_the_hold_and_forgets_the_contact(store):
    slots = {**held(store), "booking_name": "Marie", "booking_contact": "m@x.fr"}
    result, messages = validate("booking_contact_consent", slots, text="je refuse", intent="deny", choice="refuse")
    assert result["booking_status"] == "declined" and result["booking_name"] is None and result["booking_contact"] is None
    assert messages == [content.BOOKING_CONSENT_REFUSED]
    with store.engine.connect() as connection:
        assert connection.execute(sa.select(holds.c.status)).scalar() == "released"


# -- confirmation -----------------------------------------------------------------------------

def test_confirming_books_with_a_neutral_brief_and_forgets_the_contact(store):
    slots = ready_to_confirm(store)
    dispatcher = CollectingDispatcher()
    run(ActionAskBookingConfirmed().run(dispatcher, make_tracker(slots=slots), DOMAIN))
    assert "m•••@exemple.fr" in dispatcher.messages[0]["text"] and "Marie Dupont" in dispatcher.messages[0]["text"]
    result, messages = validate("booking_confirmed", slots, text="oui", intent="affirm", choice="confirm")
    assert result["booking_status"] == "booked" and result["booking_reference"].startswith("MED-")
    assert result["booking_name"] is None and result["booking_contact"] is None
    assert result["booking_reference"] in messages[0] and result["booking_secret"] in messages[0]
    assert "/public/calendar/" in messages[0] and ".ics?code=" not in messages[0]
    with store.engine.connect() as connection:
        row = connection.execute(sa.select(bookings)).one()
    assert row.reference == result["booking_reference"] and sealed.unseal(row.person_email) == "marie@exemple.fr"
    stored = sealed.unseal_json(row.brief)
    brief = json.dumps(stored, ensure_ascii=False)
    assert stored["domain"] == "family" and stored["prelitigation"]["verdict"] == "mandatory"
    assert stored["outcome_aim"] == "resumption" and stored["facts"]["departement"] == "75"
    for private in ("droit de visite", "75011", "Marie", "marie@exemple.fr"):
        assert private not in brief


def test_confirming_after_the_hold_lapsed_and_someone_took_it(store, clock):
    slots = ready_to_confirm(store)
    clock.advance(minutes=11)
    store.hold(slots["booking_hold"]["slot_id"], "video")
    result, messages = validate("booking_confirmed", slots, intent="affirm", choice="confirm")
    assert result["booking_slot"] is None and result["booking_hold"] is None
    assert messages[0] == content.BOOKING_CONFIRM_FAILED and result["booking_offers"]


def test_service_down_at_confirmation_keeps_the_answers(store):
    slots = ready_to_confirm(store)
    FakeAgenda.down = True
    result, messages = validate("booking_confirmed", slots, intent="affirm", choice="confirm")
    assert result == {"booking_confirmed": None, "booking_status": "unavailable"}
    assert messages == [content.BOOKING_UNAVAILABLE]


def test_changing_the_slot_at_confirmation_releases_the_hold_and_reoffers(store):
    slots = ready_to_confirm(store)
    result, messages = validate("booking_confirmed", slots, text="changer de créneau", intent="reschedule_booking",
                                choice="change")
    assert result["booking_slot"] is None and result["booking_hold"] is None
    with store.engine.connect() as connection:
        assert connection.execute(sa.select(holds.c.status)).scalar() == "released"


def test_required_slots_follow_status_and_reschedule(store):
    form = ValidateBookingForm()
    ask = lambda slots: run(form.required_slots([], CollectingDispatcher(), make_tracker(slots=slots), DOMAIN))  # noqa: E731
    assert ask({"booking_status": "offered"}) == booking_actions.FULL_FORM
    assert ask({"booking_status": "offered", "booking_rescheduling": True}) == ["booking_slot", "booking_confirmed"]
    assert ask({"booking_status": "declined"}) == [] and ask({"booking_status": "offered", "safety_risk": True}) == []


def test_stop_releases_the_hold_and_leaves_the_form(store):
    slots = held(store)
    dispatcher = CollectingDispatcher()
    events = run(ActionBookingStop().run(dispatcher, make_tracker("annuler", "cancel_booking", slots=slots), DOMAIN))
    assert any(event["event"] == "active_loop" and event["name"] is None for event in events)
    assert events_of(events)["booking_status"] == "declined"
    assert dispatcher.messages[0]["text"] == content.BOOKING_ABANDONED


# -- after the booking: cancel and reschedule -------------------------------------------------------

def booked(store):
    slots = ready_to_confirm(store)
    result, _ = validate("booking_confirmed", slots, intent="affirm", choice="confirm")
    return {**slots, **result}


def cancel(slots, text="annuler mon rendez-vous", choice=None):
    dispatcher = CollectingDispatcher()
    entities = [{"entity": "choice", "value": choice}] if choice else []
    tracker = make_tracker(text, "cancel_booking", slots=slots, entities=entities)
    return events_of(run(ActionCancelBooking().run(dispatcher, tracker, DOMAIN))), dispatcher.messages


def test_cancel_asks_first_then_cancels(store):
    slots = booked(store)
    events, messages = cancel(slots)
    assert messages[0]["text"].startswith("Voulez-vous vraiment annuler") and len(messages[0]["buttons"]) == 2
    events, messages = cancel(slots, choice="keep")
    assert messages[0]["text"] == content.CANCEL_KEPT.format(reference=slots["booking_reference"])
    events, messages = cancel(slots, choice="confirm")
    assert events["booking_status"] == "cancelled"
    with store.engine.connect() as connection:
        assert connection.execute(sa.select(bookings.c.status)).scalar() == "cancelled"
    events, messages = cancel(slots)
    assert messages[0]["text"] == content.CANCEL_ALREADY.format(reference=slots["booking_reference"])


def test_cancel_from_another_conversation_with_reference_and_code(store):
    slots = booked(store)
    events, messages = cancel({}, text="annuler")
    assert messages[0]["text"] == content.BOOKING_NOT_FOUND
    typed = f"annuler {slots['booking_reference']} code {slots['booking_secret']}"
    events, messages = cancel({}, text=typed)
    assert events == {"booking_reference": slots["booking_reference"], "booking_secret": slots["booking_secret"]}
    events, messages = cancel({}, text=f"annuler {slots['booking_reference']} code zzzzzzzz")
    assert messages[0]["text"] == content.BOOKING_WRONG_SECRET and events == {}


def test_reschedule_moves_the_booking(store):
    slots = booked(store)
    old_slot = slots["booking_details"]
    events, messages = offer({**slots, "booking_status": "booked"}, text="changer de créneau", intent="reschedule_booking")
    assert events["booking_rescheduling"] is True and events["booking_status"] == "offered"
    slots = {**slots, **events}
    result, _ = validate("booking_slot", slots, choice=f"slot_{slots['booking_offers'][0]['slot_id']}")
    slots = {**slots, **result}
    result, messages = validate("booking_confirmed", slots, intent="affirm", choice="confirm")
    assert result["booking_reference"] == slots["booking_reference"] and messages[0].startswith("C'est fait")
    with store.engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(bookings)).scalar() == 1
    assert old_slot


def test_asking_again_after_booking_recalls_it(store):
    slots = booked(store)
    events, messages = offer(slots, text="prendre rendez-vous", intent="book_appointment")
    assert events == {"booking_status": "booked"} and slots["booking_reference"] in messages[0]["text"]


def test_a_new_booking_after_a_cancellation_asks_consent_again(store):
    """Consent covers one mediator and one appointment: it must not carry over."""
    slots = booked(store)
    assert slots["booking_contact_consent"] == "given"
    cancel(slots, choice="confirm")
    events, _ = offer({**slots, "booking_status": "cancelled"}, text="prendre rendez-vous", intent="book_appointment")
    assert events["booking_status"] == "offered"
    assert {slot: events.get(slot, "kept") for slot in booking_actions.FULL_FORM} == dict.fromkeys(booking_actions.FULL_FORM)


def test_a_confirmation_whose_answer_was_lost_is_not_a_lost_booking(store):
    """Rasa lost the action's answer (crash, timeout) after the agenda booked: the person
    presses « Confirmer » again and gets their booking, not an error; still one booking."""
    slots = ready_to_confirm(store)
    first, _ = validate("booking_confirmed", slots, intent="affirm", choice="confirm")
    again, messages = validate("booking_confirmed", slots, intent="affirm", choice="confirm")
    assert again["booking_status"] == "booked" and again["booking_reference"] == first["booking_reference"]
    assert again["booking_secret"] in messages[0] and again["booking_reference"] in messages[0]
    with store.engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(bookings)).scalar() == 1


def test_only_a_slot_offered_to_this_conversation_is_held(store):
    """Issue 16 (2): offers forged in the tracker (no seal, or sealed for another
    conversation) hold nothing; the agenda's slot stays free."""
    from bot import booking as booking_module
    from bot.agenda.schema import holds

    slots = offered(store)
    real = slots["booking_offers"][0]
    other = [slot_id for slot_id in slot_ids(store, "paris") if slot_id != real["slot_id"]][0]
    forged = {**real, "slot_id": other}
    for offers in ([{k: v for k, v in forged.items() if k != "seal"}], [forged],
                   booking_module.seal_offers([{**forged}], "someone-else")):
        result, messages = validate("booking_slot", {**slots, "booking_offers": offers}, choice=f"slot_{other}")
        assert result == {"booking_slot": None} and messages == [content.BOOKING_CHOICE_INVALID]
    with store.engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(holds)).scalar() == 0


def test_the_person_is_told_the_hold_time_the_agenda_set(store, clock, monkeypatch):
    # An operator's AGENDA_HOLD_MINUTES=15: the bot says what the hold's expires_at says, not a constant.
    from datetime import timedelta, timezone

    from bot import booking as booking_module

    store.hold_ttl = timedelta(minutes=15)
    monkeypatch.setattr(booking_module, "_now", lambda: clock.now.replace(tzinfo=timezone.utc))
    slots = offered(store)
    _, texts = validate("booking_slot", slots, choice=f"slot_{slots['booking_offers'][0]['slot_id']}")
    assert content.BOOKING_HELD.format(minutes=15) in texts and "15 minutes" in texts[0]


def test_a_hold_whose_expiry_cannot_be_read_is_announced_without_a_figure(monkeypatch):
    from bot import booking as booking_module

    assert booking_module.minutes_left(None) is None and booking_module.minutes_left("pas une date") is None


# -- what the confirmation says about the messages (issue 18, 3) -------------------------------

@pytest.mark.parametrize("contact, messaging, said, mediator", [
    ("marie@exemple.fr", {"email_delivery": "smtp"},
     "Vous allez recevoir un e-mail de confirmation à m•••@exemple.fr", "Le médiateur reçoit un résumé"),
    ("marie@exemple.fr", {"email_delivery": "files"}, "Aucun message ne vous sera envoyé", "Le médiateur retrouvera"),
    ("06 12 34 56 78", {"email_delivery": "smtp", "sms": True},
     "Vous allez recevoir un SMS de confirmation au +336 •• •• 78", "Le médiateur reçoit un résumé"),
    ("06 12 34 56 78", {"email_delivery": "smtp", "sms": False}, "ce service n'envoie pas de SMS",
     "Le médiateur reçoit un résumé"),
])
def test_the_confirmation_says_what_will_arrive_and_where(store, contact, messaging, said, mediator):
    from dataclasses import replace

    store.messaging = replace(store.messaging, **messaging)
    slots = {**ready_to_confirm(store), "booking_contact": booking_helpers.parse_contact(contact).popitem()[1]}
    result, messages = validate("booking_confirmed", slots, text="oui", intent="affirm", choice="confirm")
    assert result["booking_status"] == "booked"
    assert said in messages[0] and mediator in messages[0]
