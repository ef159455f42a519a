"""actions/privacy.py: the consent record and the erasure asked in the conversation.

The erasure runs against a real agenda store (SQLite) behind the fake client of
test_actions_booking, so the booking's personal fields are checked in the database.
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.privacy import ActionEraseData, ValidateConsentForm
from bot import content
from bot.agenda import sealed
from bot.agenda.schema import bookings, holds
from tests.unit.actions.test_actions import make_tracker, run
from tests.unit.actions.test_actions_booking import DOMAIN, FakeAgenda, agenda_behind_fake_client, booked, held
from tests.support.agenda_fixtures import Clock

# The notice text the version CONSENT_NOTICE_VERSION stands for. A change to the notice must
# come with a new version (and a new hash here), or recorded consents would name the wrong text.
NOTICE_SHA256 = "bb8c73fbf4da5bce77dc16369ebd74709844fc747c40033b1b5661fd1a34c1e1"


@pytest.fixture
def store(tmp_path, monkeypatch):
    return agenda_behind_fake_client(tmp_path, Clock(), monkeypatch)


def test_notice_version_changes_with_the_notice_text():
    notice = content.QUESTIONS["consent"]["default"]
    digest = hashlib.sha256(repr(notice).encode()).hexdigest()
    assert (content.CONSENT_NOTICE_VERSION, digest) == ("2026-11-23", NOTICE_SHA256)
    assert "effacer mes données" in notice.text  # the notice says how to withdraw


def test_consent_is_recorded_with_its_time_and_notice_version():
    tracker = make_tracker("oui", "affirm", active_loop="consent_form")
    before = datetime.now(timezone.utc) - timedelta(seconds=1)
    result = run(ValidateConsentForm().validate_consent("given", CollectingDispatcher(), tracker, {}))
    assert result["consent"] == "given"
    assert result["consent_notice_version"] == content.CONSENT_NOTICE_VERSION
    given_at = datetime.fromisoformat(result["consent_given_at"])
    assert given_at.tzinfo is not None and before <= given_at <= datetime.now(timezone.utc)


def test_consent_is_never_taken_from_a_weak_guess():
    """A typed "/affirm" reaches the NLU as the word "affirm" (affirm at 0.42): ask again."""
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("affirm", "affirm", ranking=[{"name": "affirm", "confidence": 0.42}],
                           active_loop="consent_form")
    tracker.latest_message["intent"]["confidence"] = 0.42
    result = run(ValidateConsentForm().validate_consent("given", dispatcher, tracker, {}))
    assert result == {"consent": None}
    assert dispatcher.messages[0]["response"] == "utter_consent_reminder"


def test_a_refusal_records_no_time():
    tracker = make_tracker("non", "deny", active_loop="consent_form")
    result = run(ValidateConsentForm().validate_consent("refused", CollectingDispatcher(), tracker, {}))
    assert result == {"consent": "refused"}


def erase(slots, choice=None, events=(), active_loop=None):
    dispatcher = CollectingDispatcher()
    entities = [{"entity": "choice", "value": choice}] if choice else []
    tracker = make_tracker("effacer mes données", "erase_data", slots=slots, entities=entities,
                           active_loop=active_loop)
    if events:
        tracker = Tracker(tracker.sender_id, tracker.slots, tracker.latest_message, list(events), False, None,
                          tracker.active_loop, "action_listen")
    result = run(ActionEraseData().run(dispatcher, tracker, DOMAIN))
    return result, dispatcher.messages


def slot_values(events):
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def test_before_consent_nothing_to_erase_and_the_consent_form_stops(store):
    events, messages = erase({}, active_loop="consent_form")
    assert messages[0]["text"] == content.ERASE_NOTHING_STORED
    assert slot_values(events) == {"consent": "refused", "erasure": "done"}


def test_asks_to_confirm_first_and_keeps_everything_when_declined(store):
    events, messages = erase({"consent": "given"})
    assert slot_values(events) == {"erasure": "asked"}
    assert messages[0]["text"] == content.ERASE_ASK.format(booking="")
    assert [b["payload"] for b in messages[0]["buttons"]] == [p for _, p in content.ERASE_BUTTONS]
    events, messages = erase({"consent": "given"}, choice="keep")
    assert slot_values(events) == {"erasure": "kept"} and messages[0]["text"] == content.ERASE_KEPT


def test_a_choice_not_offered_is_a_new_request():
    events, _ = erase({"consent": "given"}, choice="everything")
    assert slot_values(events) == {"erasure": "asked"}


def test_confirmed_erasure_counts_the_messages_and_stops_everything(store):
    user_events = [{"event": "user", "text": "a"}, {"event": "bot", "text": "b"}, {"event": "user", "text": "c"}]
    events, messages = erase({"consent": "given"}, choice="confirm", events=user_events, active_loop="intake_form")
    assert slot_values(events) == {"consent": "refused", "erasure": "done"}
    assert messages[0]["text"] == content.ERASE_DONE.format(messages=2, booking="")


def person_fields(store):
    with store.engine.connect() as connection:
        row = connection.execute(sa.select(bookings)).first()
    # Stored encrypted at rest (bot/agenda/sealed.py): read as the agenda reads them.
    return (sealed.unseal(row.person_name), sealed.unseal(row.person_email), sealed.unseal(row.person_phone),
            sealed.unseal_json(row.brief), row.status)


def test_a_booking_keeps_its_slot_and_loses_the_person(store):
    slots = booked(store)
    reference = slots["booking_reference"]
    assert person_fields(store)[0] == "Marie Dupont"
    _, messages = erase(slots)
    assert content.ERASE_ASK_BOOKING.format(reference=reference) in messages[0]["text"]
    events, messages = erase(slots, choice="confirm")
    assert slot_values(events)["consent"] == "refused"
    assert messages[0]["text"].endswith(content.ERASE_DONE.split("{booking}")[1])
    assert content.ERASE_DONE_BOOKING.format(reference=reference) in messages[0]["text"]
    name, email, phone, brief, status = person_fields(store)
    assert (name, email, phone, status) == (content.BOOKING_ANONYMISED_NAME, None, None, "confirmed")
    assert brief["anonymised"] is True and "mon ex" not in str(brief) and "Marie" not in str(brief)


def test_agenda_down_nothing_is_erased_and_the_person_can_retry(store):
    slots = booked(store)
    FakeAgenda.down = True
    events, messages = erase(slots, choice="confirm")
    assert slot_values(events) == {"erasure": "unavailable"}  # consent stays: the tracker is kept
    assert messages[0]["text"] == content.ERASE_UNAVAILABLE.format(reference=slots["booking_reference"])
    FakeAgenda.down = False
    assert person_fields(store)[0] == "Marie Dupont"


def test_erasing_while_booking_frees_the_held_slot(store):
    slots = held(store)
    with store.engine.connect() as connection:
        assert connection.execute(sa.select(holds.c.status)).scalar() == "active"
    events, _ = erase(slots, choice="confirm", active_loop="booking_form")
    assert slot_values(events)["erasure"] == "done"
    with store.engine.connect() as connection:
        assert connection.execute(sa.select(holds.c.status)).scalar() == "released"


def test_erasure_reaches_a_booking_the_slots_no_longer_name(store):
    """Issue 16 (7): booked, then « recommencer » (the slots are reset): the erasure still
    strips the person from that booking, through the conversation's key in the agenda."""
    slots = booked(store)
    earlier = _earlier_session(slots)
    events, messages = erase({"consent": "given"}, choice="confirm", events=earlier)
    assert slot_values(events) == {"consent": "refused", "erasure": "done"}
    assert content.ERASE_DONE_BOOKING.format(reference=slots["booking_reference"]) in messages[0]["text"]
    assert messages[-1] == {**messages[-1], "custom": {"conversation_erased": True}}  # the widget clears
    name, email, phone, brief, _ = person_fields(store)
    assert (name, email, phone) == (content.BOOKING_ANONYMISED_NAME, None, None) and brief["anonymised"] is True


def _earlier_session(slots):
    """The stored events of a session that booked, then « recommencer » (Restarted)."""
    return [{"event": "slot", "name": "booking_reference", "value": slots["booking_reference"]},
            {"event": "restart"}]


def test_agenda_down_and_a_booking_made_before_recommencer_nothing_is_erased(store):
    slots = booked(store)
    FakeAgenda.down = True
    try:
        events, messages = erase({"consent": "given"}, choice="confirm", events=_earlier_session(slots))
    finally:
        FakeAgenda.down = False
    assert slot_values(events) == {"erasure": "unavailable"}
    assert messages[0]["text"] == content.ERASE_UNAVAILABLE_NO_REFERENCE


def test_agenda_down_and_never_booked_the_conversation_is_erased_all_the_same(store):
    FakeAgenda.down = True
    try:
        events, messages = erase({"consent": "given"}, choice="confirm")
    finally:
        FakeAgenda.down = False
    assert slot_values(events) == {"consent": "refused", "erasure": "done"}


def test_after_recommencer_the_erasure_before_consent_reaches_the_earlier_booking(store):
    """« recommencer » resets every slot, the consent too: the erasure still reaches the
    booking this conversation made before."""
    slots = booked(store)
    events, messages = erase({}, active_loop="consent_form", events=_earlier_session(slots))
    assert slot_values(events) == {"consent": "refused", "erasure": "done"}
    assert messages[0]["text"].startswith(content.ERASE_NOTHING_STORED)
    assert slots["booking_reference"] in messages[0]["text"]
    assert person_fields(store)[0] == content.BOOKING_ANONYMISED_NAME
