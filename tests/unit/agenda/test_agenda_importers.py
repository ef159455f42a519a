from collections import Counter
from datetime import datetime, timedelta, timezone

import icalendar
import pytest
import sqlalchemy as sa

from bot.agenda import db, demo, ics
from bot.agenda.importers import CSV_COLUMNS, import_availability_ics, import_directory_csv
from bot.agenda.schema import mediators, slots

NOW = datetime(2026, 11, 23, 8, 0)  # Monday, 09:00 in Paris, naive UTC
DOMAINS = {"family", "neighbourhood", "consumer", "workplace", "territorial"}
HEADER = ",".join(CSV_COLUMNS)


@pytest.fixture
def engine(tmp_path):
    engine = db.make_engine(f"sqlite:///{tmp_path}/a.db")
    db.migrate(engine)
    yield engine
    engine.dispose()


def rows(engine, table, *where):
    with engine.connect() as connection:
        return connection.execute(sa.select(table).where(*where)).fetchall()


def count(engine, table, *where):
    with engine.connect() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(table).where(*where)).scalar()


# ---- demo directory -----------------------------------------------------------------------

def test_demo_csv_imports_cleanly(engine):
    report = import_directory_csv(engine, demo.DIRECTORY.read_text(encoding="utf-8"))
    assert report.errors == []
    assert report.created >= 40
    assert count(engine, mediators) == report.created


def test_demo_directory_covers_all_domains(engine):
    import_directory_csv(engine, demo.DIRECTORY.read_text(encoding="utf-8"))
    present = Counter(domain for row in rows(engine, mediators) for domain in row.specialities)
    assert set(present) == DOMAINS


def test_demo_directory_is_marked_fictional(engine):
    import_directory_csv(engine, demo.DIRECTORY.read_text(encoding="utf-8"))
    for row in rows(engine, mediators):
        assert "(démo)" in row.name
        assert row.email.endswith(".example")
        assert row.external_id.startswith("demo-")


def test_load_demo_slots_within_horizon(engine):
    demo.load_demo(engine, NOW)
    assert count(engine, mediators) >= 40
    demo_slots = rows(engine, slots)
    assert demo_slots
    for slot in demo_slots:
        assert NOW < slot.starts_at < NOW + timedelta(days=29)
        assert slot.ends_at - slot.starts_at == timedelta(hours=1)
        assert slot.status == "open"
        assert slot.source == "demo"
        assert slot.modes


def test_load_demo_every_mediator_has_slots(engine):
    demo.load_demo(engine, NOW)
    with engine.connect() as connection:
        with_slots = connection.execute(sa.select(sa.func.count(sa.distinct(slots.c.mediator_id)))).scalar()
    assert with_slots == count(engine, mediators)


def test_load_demo_twice_same_day_creates_nothing(engine):
    demo.load_demo(engine, NOW)
    before = count(engine, slots)
    assert demo.load_demo(engine, NOW).created == 0
    assert demo.load_demo(engine, NOW + timedelta(hours=3)).created == 0
    assert count(engine, slots) == before


def test_load_demo_tops_up_next_day(engine):
    demo.load_demo(engine, NOW)
    report = demo.load_demo(engine, NOW + timedelta(days=1))
    assert report.created > 0
    assert report.errors == []


def test_load_demo_does_not_reimport_directory(engine):
    demo.load_demo(engine, NOW)
    mediator_count = count(engine, mediators)
    demo.load_demo(engine, NOW + timedelta(days=1))
    assert count(engine, mediators) == mediator_count


# ---- directory CSV ------------------------------------------------------------------------

def directory(*lines):
    return "\n".join([HEADER, *lines]) + "\n"


GOOD_1 = "m-1,Anne Martin,family|consumer,separation,phone|video,1 rue A,75011,75|92,fr,anne@exemple.fr"
GOOD_2 = "m-2,Paul Durand,workplace,,in_person,2 rue B,69003,,fr|en,Paul@Exemple.fr"
BAD_SPECIALITY = "m-3,Léa Petit,astrology,,phone,3 rue C,75011,75,fr,lea@exemple.fr"
BAD_POSTAL = "m-4,Marc Blanc,family,,phone,4 rue D,99999,75,fr,marc@exemple.fr"


def test_csv_reports_bad_rows_and_imports_good_ones(engine):
    report = import_directory_csv(engine, directory(GOOD_1, BAD_SPECIALITY, BAD_POSTAL, GOOD_2))
    assert report.created == 2
    assert len(report.errors) == 2
    assert report.errors[0].startswith("line 3:") and "speciality" in report.errors[0]
    assert report.errors[1].startswith("line 4:") and "99999" in report.errors[1]
    assert {row.external_id for row in rows(engine, mediators)} == {"m-1", "m-2"}


def test_csv_fills_place_and_defaults(engine):
    import_directory_csv(engine, directory(GOOD_1, GOOD_2))
    lyon = rows(engine, mediators, mediators.c.external_id == "m-2")[0]
    assert lyon.commune == "Lyon"
    assert lyon.departement == "69"
    assert lyon.areas_served == ["69"]  # defaults to the office's département
    assert lyon.sub_specialities == []
    assert lyon.email == "paul@exemple.fr"
    paris = rows(engine, mediators, mediators.c.external_id == "m-1")[0]
    assert paris.specialities == ["family", "consumer"]
    assert paris.modes == ["phone", "video"]
    assert paris.areas_served == ["75", "92"]


def test_csv_missing_columns(engine):
    report = import_directory_csv(engine, "external_id,name,email\nm-1,Anne Martin,anne@exemple.fr\n")
    assert report.created == 0
    assert len(report.errors) == 1
    assert report.errors[0].startswith("line 1: missing columns")
    assert "postal_code" in report.errors[0]
    assert count(engine, mediators) == 0


def test_csv_missing_value(engine):
    report = import_directory_csv(engine, directory("m-5,,family,,phone,5 rue E,75011,75,fr,x@exemple.fr"))
    assert report.created == 0
    assert report.errors == ["line 2: missing name"]


def test_csv_bad_email_and_mode(engine):
    report = import_directory_csv(engine, directory(
        "m-6,Eve Roux,family,,phone,6 rue F,75011,75,fr,not-an-email",
        "m-7,Yves Roux,family,,fax,7 rue G,75011,75,fr,yves@exemple.fr",
    ))
    assert report.created == 0
    assert [error[:7] for error in report.errors] == ["line 2:", "line 3:"]


def test_csv_with_bom(engine):
    assert import_directory_csv(engine, "\ufeff" + directory(GOOD_1)).created == 1


def test_csv_reimport_updates(engine):
    import_directory_csv(engine, directory(GOOD_1, GOOD_2))
    report = import_directory_csv(engine, directory(GOOD_1.replace("Anne Martin", "Anne Martin-Leroy"), GOOD_2))
    assert (report.created, report.updated, report.errors) == (0, 2, [])
    assert count(engine, mediators) == 2
    assert rows(engine, mediators, mediators.c.external_id == "m-1")[0].name == "Anne Martin-Leroy"


# ---- availability ICS ---------------------------------------------------------------------

WEEKLY = """BEGIN:VEVENT
UID:weekly-1
DTSTAMP:20261101T000000Z
DTSTART;TZID=Europe/Paris:20261124T090000
DTEND;TZID=Europe/Paris:20261124T120000
RRULE:FREQ=WEEKLY
SUMMARY:Permanence
END:VEVENT
"""

VISIO = """BEGIN:VEVENT
UID:visio-1
DTSTAMP:20261101T000000Z
DTSTART;TZID=Europe/Paris:20261126T140000
DTEND;TZID=Europe/Paris:20261126T150000
CATEGORIES:visio
SUMMARY:Visio
END:VEVENT
"""

CANCELLED = """BEGIN:VEVENT
UID:cancelled-1
DTSTAMP:20261101T000000Z
DTSTART;TZID=Europe/Paris:20261127T090000
DTEND;TZID=Europe/Paris:20261127T110000
STATUS:CANCELLED
SUMMARY:Annulé
END:VEVENT
"""


def feed(*events):
    body = "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//Test//Agenda//FR\n" + "".join(events) + "END:VCALENDAR\n"
    return body.replace("\n", "\r\n")


@pytest.fixture
def mediator(engine):
    import_directory_csv(engine, directory(
        "ics-1,Anne Martin,family,,phone|video|in_person,1 rue A,75011,75,fr,anne@exemple.fr"))
    return "ics-1"


def ics_slots(engine, prefix):
    return sorted((row for row in rows(engine, slots) if row.source_uid.startswith(prefix)),
                  key=lambda row: row.starts_at)


def test_ics_weekly_event_gives_three_sessions_a_week(engine, mediator):
    report = import_availability_ics(engine, mediator, feed(WEEKLY), NOW)
    assert report.errors == []
    weekly = ics_slots(engine, "weekly-1")
    assert report.created == len(weekly) == 12  # 24 Nov, 1, 8 and 15 Dec, 3 sessions each
    per_day = Counter(slot.starts_at.date() for slot in weekly)
    assert list(per_day.values()) == [3, 3, 3, 3]
    assert all(day.weekday() == 1 for day in per_day)  # Tuesdays
    # 09:00, 10:00, 11:00 in Paris are 08:00, 09:00, 10:00 UTC in winter
    assert {slot.starts_at.hour for slot in weekly} == {8, 9, 10}
    for slot in weekly:
        assert slot.ends_at - slot.starts_at == timedelta(hours=1)
        assert NOW <= slot.starts_at < NOW + timedelta(days=28)
        assert slot.modes == ["phone", "video", "in_person"]
        assert (slot.status, slot.source) == ("open", "ics")


def test_ics_categories_limit_modes(engine, mediator):
    import_availability_ics(engine, mediator, feed(VISIO), NOW)
    visio = ics_slots(engine, "visio-1")
    assert len(visio) == 1
    assert visio[0].modes == ["video"]
    assert visio[0].starts_at == datetime(2026, 11, 26, 13, 0)


def test_ics_cancelled_event_gives_nothing(engine, mediator):
    report = import_availability_ics(engine, mediator, feed(CANCELLED), NOW)
    assert report.created == 0
    assert count(engine, slots) == 0


def test_ics_reimport_is_idempotent(engine, mediator):
    first = import_availability_ics(engine, mediator, feed(WEEKLY, VISIO, CANCELLED), NOW)
    assert first.created == 13
    before = count(engine, slots)
    again = import_availability_ics(engine, mediator, feed(WEEKLY, VISIO, CANCELLED), NOW)
    assert (again.created, again.removed, again.errors) == (0, 0, [])
    assert count(engine, slots) == before


def test_ics_removed_event_withdraws_open_slots(engine, mediator):
    import_availability_ics(engine, mediator, feed(WEEKLY, VISIO), NOW)
    report = import_availability_ics(engine, mediator, feed(WEEKLY), NOW)
    assert report.removed == 1
    assert report.created == 0
    assert [slot.status for slot in ics_slots(engine, "visio-1")] == ["withdrawn"]
    assert {slot.status for slot in ics_slots(engine, "weekly-1")} == {"open"}


def test_ics_event_cancelled_later_withdraws_its_slots(engine, mediator):
    import_availability_ics(engine, mediator, feed(WEEKLY, VISIO), NOW)
    report = import_availability_ics(engine, mediator, feed(WEEKLY, VISIO.replace("CATEGORIES", "STATUS:CANCELLED\nCATEGORIES")), NOW)
    assert report.removed == 1
    assert [slot.status for slot in ics_slots(engine, "visio-1")] == ["withdrawn"]


def test_ics_removed_event_keeps_booked_slots(engine, mediator):
    import_availability_ics(engine, mediator, feed(WEEKLY, VISIO), NOW)
    with engine.begin() as connection:
        connection.execute(slots.update().where(slots.c.source_uid.like("visio-1%")).values(status="booked"))
    report = import_availability_ics(engine, mediator, feed(WEEKLY), NOW)
    assert report.removed == 0
    assert [slot.status for slot in ics_slots(engine, "visio-1")] == ["booked"]


def test_ics_withdrawn_slot_reopens_when_event_returns(engine, mediator):
    import_availability_ics(engine, mediator, feed(WEEKLY, VISIO), NOW)
    import_availability_ics(engine, mediator, feed(WEEKLY), NOW)
    report = import_availability_ics(engine, mediator, feed(WEEKLY, VISIO), NOW)
    assert report.created == 0
    assert [slot.status for slot in ics_slots(engine, "visio-1")] == ["open"]


def test_ics_unknown_mediator(engine):
    report = import_availability_ics(engine, "nobody", feed(WEEKLY), NOW)
    assert report.created == 0
    assert report.errors == ["unknown mediator 'nobody'"]


def test_ics_unreadable_calendar(engine, mediator):
    report = import_availability_ics(engine, mediator, "this is not a calendar", NOW)
    assert report.created == 0
    assert len(report.errors) == 1
    assert report.errors[0].startswith("unreadable calendar")


# ---- invitation ---------------------------------------------------------------------------

def booking_dict(mode="in_person", status="confirmed"):
    return {
        "reference": "MED-7K3Q9", "status": status, "mode": mode, "slot_id": 5,
        "starts_at": "2026-11-24T13:00:00Z", "ends_at": "2026-11-24T14:00:00Z",
        "mediator": {"id": 1, "name": "Claire Fontanel (démo)", "email": "claire@demo-mediation.example",
                     "address": "12 rue des Tilleuls", "postal_code": "75011", "commune": "Paris"},
        "person": {"name": "Marie Dupont", "email": "marie@exemple.fr", "phone": None},
    }


def only_event(data):
    calendar = icalendar.Calendar.from_ical(data)
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1
    return events[0]


def test_invitation_in_person():
    event = only_event(ics.invitation(booking_dict(), NOW))
    assert "MED-7K3Q9" in str(event["UID"])
    assert event.decoded("DTSTART") == datetime(2026, 11, 24, 13, 0, tzinfo=timezone.utc)
    assert event.decoded("DTEND") == datetime(2026, 11, 24, 14, 0, tzinfo=timezone.utc)
    location = str(event["LOCATION"])
    assert "12 rue des Tilleuls" in location
    assert "75011" in location and "Paris" in location
    assert str(event["STATUS"]) == "CONFIRMED"
    assert "MED-7K3Q9" in str(event["SUMMARY"])
    assert "claire@demo-mediation.example" in str(event["ORGANIZER"])


def test_invitation_video_has_no_address():
    event = only_event(ics.invitation(booking_dict(mode="video"), NOW))
    assert "Tilleuls" not in str(event["LOCATION"])
    assert str(event["LOCATION"]) == "visio"


def test_invitation_cancelled():
    event = only_event(ics.invitation(booking_dict(status="cancelled"), NOW))
    assert str(event["STATUS"]) == "CANCELLED"


def test_invitation_leaves_out_the_person():
    data = ics.invitation(booking_dict(), NOW).decode()
    assert "Marie Dupont" not in data
    assert "marie@exemple.fr" not in data


def test_invitation_dtstamp_is_now():
    event = only_event(ics.invitation(booking_dict(), NOW))
    assert event.decoded("DTSTAMP") == NOW.replace(tzinfo=timezone.utc)
