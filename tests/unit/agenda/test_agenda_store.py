"""Agenda store: matching order, holds, expiry, confirm, cancel, reschedule (SQLite)."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from bot.agenda import sealed
from bot.agenda.schema import bookings, slots
from bot.agenda.store import AgendaError, Conflict, Forbidden, NotFound
from tests.support.agenda_fixtures import Clock, seeded_store, slot_ids

PERSON = {"name": "Marie Dupont", "email": "marie@exemple.fr", "contact_consent": True}


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def store(tmp_path, clock):
    return seeded_store(f"sqlite:///{tmp_path}/agenda.db", clock)


def search(store, domain, postal_code, mode, **kwargs):
    now = store.clock()
    return store.search(domain, postal_code, mode, now, now + timedelta(days=28), **kwargs)


def test_family_in_person_in_lyon_prefers_the_lyon_office_over_paris(store):
    page, total = search(store, "family", "69003", "in_person", limit=5)
    assert [offer.mediator_name for offer in page] == ["Médiateur lyon (démo)"] * 2  # Paris is too far
    assert page[0].tier == 0 and page[0].place == "Lyon"


def test_served_departement_counts_as_near(store):
    page, _ = search(store, "family", "01000", "in_person")  # Bourg-en-Bresse, 01 served by Lyon
    assert page and page[0].mediator_name.startswith("Médiateur lyon") and page[0].tier == 1


def test_same_region_is_the_last_in_person_tier(store):
    page, _ = search(store, "family", "38000", "in_person")  # Grenoble: same région as Lyon
    assert page and page[0].tier == 2


def test_phone_and_video_are_not_limited_by_place(store):
    page, _ = search(store, "family", "97400", "video")
    assert {offer.mediator_name for offer in page} == {"Médiateur paris (démo)"}
    page, _ = search(store, "consumer", "59000", "phone")
    assert page and page[0].mode == "phone"


def test_speciality_is_required(store):
    page, total = search(store, "territorial", "75011", None)
    assert page == [] and total == 0


def test_no_preference_puts_nearby_in_person_first_and_drops_far_in_person_only_offices(store):
    page, total = search(store, "family", "75011", "no_preference", limit=3)
    assert total == 2  # Lyon receives only in person, too far from Paris
    assert [(offer.mediator_name, offer.mode) for offer in page] == [("Médiateur paris (démo)", "in_person")] * 2


def test_first_page_gives_a_choice_of_mediators_before_a_second_slot_of_the_same_one():
    from datetime import datetime
    from bot.agenda.matching import Offer, diverse_page
    start = datetime(2026, 12, 1, 9)
    offers = [Offer(slot_id=i, mediator_id=mediator, mediator_name=str(mediator), starts_at=start + timedelta(hours=i),
                    ends_at=start, mode="video", tier=0, place="", address="")
              for i, mediator in enumerate([1, 1, 1, 2, 3])]
    assert [offer.mediator_id for offer in diverse_page(offers, 3)] == [1, 2, 3]
    assert [offer.slot_id for offer in diverse_page(offers[:3], 3)] == [0, 1, 2]


def test_exclude_pages_through_the_rest(store):
    first, _ = search(store, "family", "69003", "in_person", limit=1)
    second, remaining = search(store, "family", "69003", "in_person", limit=1, exclude={first[0].slot_id})
    assert second[0].slot_id != first[0].slot_id and remaining == 1


def test_hold_then_second_hold_is_409_and_held_slot_leaves_the_search(store):
    slot = slot_ids(store, "paris")[0]
    hold = store.hold(slot, "video")
    assert hold["slot_id"] == slot and hold["expires_at"].endswith("Z")
    with pytest.raises(Conflict) as taken:
        store.hold(slot, "video")
    assert taken.value.code == "slot_taken"
    page, _ = search(store, "family", "75011", "video", limit=5)
    assert slot not in {offer.slot_id for offer in page}


def test_hold_expires_by_itself_after_ten_minutes(store, clock):
    slot = slot_ids(store, "paris")[0]
    store.hold(slot, "video")
    clock.advance(minutes=9, seconds=59)
    with pytest.raises(Conflict):
        store.hold(slot, "video")
    clock.advance(seconds=2)
    assert store.hold(slot, "video")["slot_id"] == slot  # the lapsed hold no longer blocks
    assert store.expire_holds() == 1  # housekeeping marks the first one expired


def test_hold_validation(store):
    paris, marseille = slot_ids(store, "paris")[0], slot_ids(store, "marseille")[0]
    with pytest.raises(NotFound):
        store.hold(999999, "video")
    with pytest.raises(AgendaError) as bad_mode:
        store.hold(paris, "carrier-pigeon")
    assert bad_mode.value.code == "invalid_mode"
    with pytest.raises(AgendaError) as not_offered:
        store.hold(marseille, "video")
    assert not_offered.value.code == "mode_not_offered"


def test_confirm_creates_one_booking_with_reference_and_secret(store):
    slot = slot_ids(store, "paris")[0]
    booking = store.confirm(store.hold(slot, "video")["hold_id"], PERSON, {"domain": "family"})
    assert booking["reference"].startswith("MED-") and len(booking["reference"]) == 9
    assert len(booking["secret"]) == 8 and booking["status"] == "confirmed" and booking["mode"] == "video"
    with store.engine.connect() as connection:
        row = connection.execute(sa.select(bookings)).one()
        assert row.secret_hash != booking["secret"] and sealed.unseal_json(row.brief) == {"domain": "family"}
        assert connection.execute(sa.select(slots.c.status).where(slots.c.id == slot)).scalar() == "booked"


def test_double_confirm_by_someone_else_is_409(store):
    hold = store.hold(slot_ids(store, "paris")[0], "video")
    store.confirm(hold["hold_id"], PERSON, {})
    for other in ({**PERSON, "name": "Autre Personne"}, {**PERSON, "email": "autre@exemple.fr"}):
        with pytest.raises(Conflict) as twice:
            store.confirm(hold["hold_id"], other, {})
        assert twice.value.code == "hold_already_confirmed"


def test_the_same_person_confirming_again_gets_the_booking_back_with_a_new_code(store):
    """The first answer was lost (action server crash): no second booking, no lost booking."""
    hold = store.hold(slot_ids(store, "paris")[0], "video")
    first = store.confirm(hold["hold_id"], PERSON, {"domain": "family"})
    again = store.confirm(hold["hold_id"], PERSON, {"domain": "family"})
    assert again["reference"] == first["reference"] and again["secret"] != first["secret"]
    assert store.booking(first["reference"], again["secret"])["status"] == "confirmed"
    with pytest.raises(AgendaError):
        store.booking(first["reference"], first["secret"])  # the lost code no longer works
    with store.engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(bookings)).scalar() == 1


def test_confirm_after_expiry_works_if_nobody_took_the_slot(store, clock):
    hold = store.hold(slot_ids(store, "paris")[0], "video")
    clock.advance(minutes=30)
    assert store.confirm(hold["hold_id"], PERSON, {})["status"] == "confirmed"


def test_confirm_after_expiry_is_409_when_someone_else_took_the_slot(store, clock):
    slot = slot_ids(store, "paris")[0]
    late = store.hold(slot, "video")
    clock.advance(minutes=11)
    other = store.hold(slot, "in_person")
    with pytest.raises(Conflict) as taken:
        store.confirm(late["hold_id"], PERSON, {})
    assert taken.value.code == "slot_taken"
    assert store.confirm(other["hold_id"], PERSON, {})["mode"] == "in_person"


def test_confirm_needs_consent_and_a_contact(store):
    hold = store.hold(slot_ids(store, "paris")[0], "video")
    with pytest.raises(AgendaError) as no_consent:
        store.confirm(hold["hold_id"], {**PERSON, "contact_consent": False}, {})
    assert no_consent.value.code == "consent_required"
    with pytest.raises(AgendaError) as no_contact:
        store.confirm(hold["hold_id"], {"name": "Marie", "contact_consent": True}, {})
    assert no_contact.value.code == "contact_required"
    with pytest.raises(NotFound):
        store.confirm("no-such-hold", PERSON, {})


def test_released_hold_frees_the_slot_and_cannot_be_confirmed(store):
    slot = slot_ids(store, "paris")[0]
    hold = store.hold(slot, "video")
    store.release(hold["hold_id"])
    with pytest.raises(Conflict):
        store.confirm(hold["hold_id"], PERSON, {})
    assert store.hold(slot, "video")


def test_cancel_needs_the_secret_and_frees_the_slot(store):
    slot = slot_ids(store, "paris")[0]
    booking = store.confirm(store.hold(slot, "video")["hold_id"], PERSON, {})
    with pytest.raises(Forbidden):
        store.cancel(booking["reference"], "wrongcode")
    with pytest.raises(Forbidden):
        store.cancel("MED-ZZZZZ", booking["secret"])
    assert store.cancel(booking["reference"], booking["secret"].upper())["status"] == "cancelled"
    with pytest.raises(Conflict):
        store.cancel(booking["reference"], booking["secret"])
    again = store.confirm(store.hold(slot, "video")["hold_id"], PERSON, {})  # rebookable
    assert again["reference"] != booking["reference"]


def test_anonymise_keeps_the_appointment_and_drops_the_persons_data(store):
    slot = slot_ids(store, "paris")[0]
    brief = {"domain": "family", "facts": {"amount_eur": 4321.0, "other_party": "ex_partner"}, "mode": "video"}
    booking = store.confirm(store.hold(slot, "video")["hold_id"], PERSON, brief)
    with pytest.raises(Forbidden):
        store.anonymise(booking["reference"], "wrongcode")
    anonymised = store.anonymise(booking["reference"], booking["secret"])
    assert anonymised["status"] == "confirmed" and anonymised["slot_id"] == slot
    assert anonymised["person"] == {"name": "Personne anonymisée", "email": None, "phone": None}
    kept = store.brief(booking["reference"], booking["secret"])
    assert kept["anonymised"] is True and kept["domain"] == "family" and "facts" not in kept
    assert store.anonymise(booking["reference"], booking["secret"])["person"]["email"] is None  # idempotent
    with store.engine.connect() as connection:  # nothing of the person left in the row
        row = connection.execute(sa.select(bookings)).first()
    assert PERSON["name"] not in str(tuple(row)) and "4321" not in str(tuple(row))


def test_reschedule_moves_the_booking_and_frees_the_old_slot(store):
    first, second = slot_ids(store, "paris")
    booking = store.confirm(store.hold(first, "video")["hold_id"], PERSON, {})
    moved = store.reschedule(booking["reference"], booking["secret"], store.hold(second, "in_person")["hold_id"])
    assert moved["reference"] == booking["reference"] and moved["slot_id"] == second and moved["mode"] == "in_person"
    assert store.hold(first, "video")  # the old slot is open again
    with pytest.raises(Forbidden):
        store.reschedule(booking["reference"], "wrongcode", "x")


def test_booking_lookup_never_says_which_part_was_wrong(store):
    booking = store.confirm(store.hold(slot_ids(store, "paris")[0], "video")["hold_id"], PERSON, {})
    for reference, secret in ((booking["reference"], "nope"), ("MED-22222", booking["secret"]), ("", None)):
        with pytest.raises(Forbidden) as error:
            store.booking(reference, secret)
        assert error.value.code == "booking_not_found_or_wrong_secret"


def test_a_lapsed_hold_cannot_book_a_session_that_has_begun(store, clock):
    hold = store.hold(slot_ids(store, "paris")[0], "video")
    clock.advance(days=1, minutes=1)  # the slot started a minute ago
    with pytest.raises(Conflict) as past:
        store.confirm(hold["hold_id"], PERSON, {})
    assert past.value.code == "slot_past"


def test_offers_leave_the_mediator_twelve_hours_of_notice(store, clock):
    clock.advance(hours=13)  # the first slots start in 11 h now
    page, total = search(store, "family", "75011", "video", limit=5)
    assert total == 1 and page[0].starts_at - clock() >= timedelta(hours=12)
