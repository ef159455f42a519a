"""The mediator's hours, closed periods, busy times and calendar feed, on a real database."""
from __future__ import annotations

from datetime import datetime, time, timedelta

import icalendar
import pytest
import sqlalchemy as sa

from bot.agenda import demo
from bot.agenda.schema import mediators, slots
from bot.agenda.space import calendars, hours
from tests.support.agenda_fixtures import Clock, mediator_row, seeded_store

PERSON = {"name": "Marie Dupont", "email": "marie@exemple.fr", "contact_consent": True}


@pytest.fixture
def store(tmp_path):
    return seeded_store(f"sqlite:///{tmp_path}/agenda.db", Clock())


def mediator_id(store, external_id="paris") -> int:
    with store.engine.connect() as connection:
        return connection.execute(sa.select(mediators.c.id).where(mediators.c.external_id == external_id)).scalar()


def hour_slots(store, mid, status=None):
    with store.engine.connect() as connection:
        query = sa.select(slots).where(slots.c.mediator_id == mid, slots.c.source == hours.SOURCE)
        if status:
            query = query.where(slots.c.status == status)
        return connection.execute(query.order_by(slots.c.starts_at)).fetchall()


def tuesday_mornings(store):
    """Tuesdays 9–12 Paris time (8–11 UTC in winter), phone and video, three one-hour sessions."""
    mid = mediator_id(store)
    hours.add_rule(store.engine, mid, 1, time(9), time(12), ["phone", "video"], store.clock())
    return mid


def test_sessions_are_cut_in_local_time_and_merge_modes():
    rules = [hours.Rule(0, time(9), time(11), "phone"), hours.Rule(0, time(10), time(12), "video")]
    start = datetime(2026, 11, 23, 0, 0)
    result = hours.sessions(rules, [], "Europe/Paris", start, start + timedelta(days=1), 60)
    assert [(item["starts_at"].hour, item["modes"]) for item in result] == [
        (8, ["phone"]), (9, ["phone", "video"]), (10, ["video"])]
    # Summer time: 9:00 in Paris is 7:00 UTC.
    summer = datetime(2027, 6, 7, 0, 0)
    assert hours.sessions(rules[:1], [], "Europe/Paris", summer, summer + timedelta(days=1), 60)[0]["starts_at"].hour == 7
    # A closed period removes what it overlaps.
    closed = [(datetime(2026, 11, 23, 9, 30), datetime(2026, 11, 23, 9, 45))]
    assert [item["starts_at"].hour for item in hours.sessions(rules, closed, "Europe/Paris", start,
                                                              start + timedelta(days=1), 60)] == [8, 10]


def test_hours_generate_slots_over_four_weeks_around_existing_slots(store):
    mid = tuesday_mornings(store)
    generated = hour_slots(store, mid, "open")
    starts = [row.starts_at for row in generated]
    # Four Tuesdays × three sessions, less Tuesday 24 at 8:00 UTC where the imported slot already is.
    assert len(starts) == 11
    assert datetime(2026, 11, 24, 8) not in starts and datetime(2026, 11, 24, 9) in starts
    assert all(row.modes == ["phone", "video"] for row in generated)
    # The generated slots are offered by the search like any other.
    offered = {row["slot_id"] for row in store.open_slot_rows(store.clock(), store.clock() + timedelta(days=30))}
    assert {row.id for row in generated} <= offered
    # Regenerating again changes nothing (idempotent).
    with store.engine.begin() as connection:
        again = hours.regenerate(connection, mid, store.clock())
    assert (again.created, again.withdrawn) == (0, 0)


def test_a_closed_day_withdraws_its_slots_and_reopens_them_when_deleted(store):
    mid = tuesday_mornings(store)
    begin, end = hours.local_date_range(datetime(2026, 12, 1).date(), datetime(2026, 12, 1).date(), "Europe/Paris")
    hours.add_exception(store.engine, mid, begin, end, "Congés", store.clock())
    assert not [row for row in hour_slots(store, mid, "open") if row.starts_at.date() == datetime(2026, 12, 1).date()]
    assert len(hour_slots(store, mid, "open")) == 8
    # A closed afternoon only: the morning stays.
    exception = hours.overview(store.engine, mid, store.clock())["exceptions"][0]
    hours.delete_exception(store.engine, mid, exception["id"], store.clock())
    assert len(hour_slots(store, mid, "open")) == 11
    begin, end = hours.local_date_range(datetime(2026, 12, 8).date(), datetime(2026, 12, 8).date(), "Europe/Paris",
                                        time(10), time(18))
    hours.add_exception(store.engine, mid, begin, end, "Après-midi fermé", store.clock())
    december_8 = [row.starts_at.hour for row in hour_slots(store, mid, "open") if row.starts_at.day == 8]
    assert december_8 == [8]


def test_an_edit_never_removes_a_booked_or_held_slot(store):
    mid = tuesday_mornings(store)
    generated = hour_slots(store, mid, "open")
    booked, held = generated[3], generated[4]
    store.confirm(store.hold(booked.id, "video")["hold_id"], PERSON, {"domain": "family"})
    store.hold(held.id, "phone")
    rule = hours.overview(store.engine, mid, store.clock())["rules"][0]
    report = hours.delete_rule(store.engine, mid, rule["id"], store.clock())
    # Deleting the phone rule leaves video only: still covers the booked and the held slot.
    assert report.withdrawn == 0
    for remaining in hours.overview(store.engine, mid, store.clock())["rules"]:
        hours.delete_rule(store.engine, mid, remaining["id"], store.clock())
    by_id = {row.id: row for row in hour_slots(store, mid)}
    assert by_id[booked.id].status == "booked"
    assert by_id[held.id].status == "open" and by_id[held.id].hold_id  # still held, not withdrawn
    assert [row.id for row in hour_slots(store, mid, "open")] == [held.id]
    # Once the hold has lapsed, the next regeneration withdraws it; the booking stays.
    store.clock.advance(minutes=11)
    with store.engine.begin() as connection:
        hours.regenerate(connection, mid, store.clock())
    assert hour_slots(store, mid, "open") == [] and hour_slots(store, mid, "booked")[0].id == booked.id


def test_changing_the_session_length_recuts_the_free_slots_only(store):
    mid = tuesday_mornings(store)
    first = hour_slots(store, mid, "open")[0]
    store.confirm(store.hold(first.id, "video")["hold_id"], PERSON, {"domain": "family"})
    hours.set_session_minutes(store.engine, mid, 90, store.clock())
    open_slots = hour_slots(store, mid, "open")
    assert all(row.ends_at - row.starts_at == timedelta(minutes=90) for row in open_slots)
    # On the booked Tuesday, no 90-minute session overlaps the booked hour.
    for row in open_slots:
        assert not (row.starts_at < first.ends_at and first.starts_at < row.ends_at)
    assert hour_slots(store, mid, "booked")[0].id == first.id


BUSY = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//busy//FR
BEGIN:VEVENT
UID:dentist@test
DTSTART:20261201T090000Z
DTEND:20261201T100000Z
SUMMARY:Dentiste (titre privé)
END:VEVENT
BEGIN:VEVENT
UID:weekly@test
DTSTART:20261125T070000Z
DTEND:20261125T090000Z
RRULE:FREQ=WEEKLY;COUNT=3
SUMMARY:Permanence
END:VEVENT
BEGIN:VEVENT
UID:free@test
DTSTART:20261208T080000Z
DTEND:20261208T120000Z
TRANSP:TRANSPARENT
SUMMARY:Libre
END:VEVENT
END:VCALENDAR
"""


def test_imported_busy_times_block_slots_of_every_source(store):
    mid = tuesday_mornings(store)
    marseille = mediator_id(store, "marseille")
    assert calendars.import_busy(store.engine, mid, BUSY, store.clock()) == 4  # 1 + 3 occurrences; free one ignored
    open_starts = {row.starts_at for row in hour_slots(store, mid, "open")}
    assert datetime(2026, 12, 1, 9) not in open_starts and datetime(2026, 12, 1, 8) in open_starts
    assert datetime(2026, 12, 8, 8) in open_starts  # TRANSP:TRANSPARENT is not busy
    # The imported slot of Wednesday 25 at 8:00 UTC (the seeded "paris-2") is no longer offered nor holdable.
    with store.engine.connect() as connection:
        seeded = connection.execute(sa.select(slots.c.id).where(slots.c.source_uid == "paris-2")).scalar()
    offered = {row["slot_id"] for row in store.open_slot_rows(store.clock(), store.clock() + timedelta(days=30))}
    assert seeded not in offered
    with pytest.raises(Exception) as refused:
        store.hold(seeded, "video")
    assert getattr(refused.value, "code", "") == "slot_taken"
    # Titles are never stored; another mediator is not affected.
    with store.engine.connect() as connection:
        stored = connection.execute(sa.text("SELECT * FROM busy_periods")).fetchall()
    assert "Dentiste" not in repr(stored)
    assert any(row["mediator_id"] == marseille for row in store.open_slot_rows(store.clock(),
                                                                               store.clock() + timedelta(days=30)))
    # A new import replaces the old one: the slot comes back.
    calendars.import_busy(store.engine, mid, BUSY.replace("20261201T090000Z", "20261201T100000Z").replace(
        "20261201T100000Z\nSUMMARY:Dentiste", "20261201T110000Z\nSUMMARY:Dentiste"), store.clock())
    assert datetime(2026, 12, 1, 9) in {row.starts_at for row in hour_slots(store, mid, "open")}


def test_a_file_that_is_not_a_calendar_is_refused_politely(store):
    with pytest.raises(calendars.CalendarError) as error:
        calendars.busy_from_ics(b"\x00\xffnot a calendar", store.clock(), store.clock() + timedelta(days=1))
    assert "iCalendar" in str(error.value)


@pytest.mark.parametrize("url", ["http://example.org/cal.ics", "file:///etc/passwd", "https://127.0.0.1/x.ics",
                                 "https://user:pw@example.org/x.ics", "ftp://example.org/x", "https://10.0.0.1/a"])
def test_busy_urls_must_be_public_https(url):
    with pytest.raises(calendars.CalendarError):
        calendars.check_url(url)


def test_the_feed_lists_the_bookings_without_brief_or_contact(store):
    mid = mediator_id(store)
    with store.engine.connect() as connection:
        slot = connection.execute(sa.select(slots.c.id).where(slots.c.source_uid == "paris-1")).scalar()
    booking = store.confirm(store.hold(slot, "video")["hold_id"], PERSON,
                            {"domain": "family", "note": "BRIEF-SECRET"})
    with store.engine.begin() as connection:
        token = calendars.new_feed_token(connection, mid)
    with store.engine.connect() as connection:
        assert calendars.mediator_for_feed(connection, token) == mid
        body = calendars.feed(connection, mid, store.clock(), "http://127.0.0.1:5056/espace")
    calendar = icalendar.Calendar.from_ical(body)
    events = [component for component in calendar.walk("VEVENT")]
    assert len(events) == 1
    assert booking["reference"] in str(events[0]["SUMMARY"]) and str(events[0]["STATUS"]) == "CONFIRMED"
    assert b"BRIEF-SECRET" not in body and b"marie@exemple.fr" not in body
    store.cancel(booking["reference"], booking["secret"])
    with store.engine.connect() as connection:
        body = calendars.feed(connection, mid, store.clock(), "http://127.0.0.1:5056/espace")
    assert str(icalendar.Calendar.from_ical(body).walk("VEVENT")[0]["STATUS"]) == "CANCELLED"
    with store.engine.begin() as connection:
        calendars.revoke_feed(connection, mid)
    with store.engine.connect() as connection:
        assert calendars.mediator_for_feed(connection, token) is None


def test_demo_top_up_leaves_a_mediator_with_hours_alone(tmp_path):
    store = seeded_store(f"sqlite:///{tmp_path}/demo.db", Clock())
    with store.engine.begin() as connection:
        demo_id = connection.execute(mediators.insert().values(**mediator_row(
            "demo-1", ["family"], ["phone"], "75011", "75", "Paris"))).inserted_primary_key[0]
    demo.load_demo(store.engine, store.clock())
    with store.engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(slots).where(
            slots.c.mediator_id == demo_id, slots.c.source == "demo")).scalar() > 0
    hours.add_rule(store.engine, demo_id, 2, time(14), time(16), ["phone"], store.clock())
    with store.engine.begin() as connection:
        connection.execute(slots.delete().where(slots.c.mediator_id == demo_id, slots.c.source == "demo"))
    demo.load_demo(store.engine, store.clock())
    with store.engine.connect() as connection:
        sources = {row[0] for row in connection.execute(sa.select(slots.c.source).where(slots.c.mediator_id == demo_id))}
    assert sources == {"hours"}
