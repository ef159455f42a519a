"""Fill the directory and the agenda: a CSV directory of mediators, and availability
from the iCalendar (ICS) feeds mediators already keep.

CSV columns (header required): external_id, name, specialities, sub_specialities, modes,
address, postal_code, areas_served, languages, email; lists are separated by "|".
Rows are upserted by external_id; a bad row is reported with its line and skipped.

ICS: every event (recurrences expanded over the horizon) is a period of availability,
cut into sessions of `session_minutes`. Modes come from the event's CATEGORIES
(phone/téléphone, video/visio, in_person/présentiel) or default to the mediator's modes.
An event gone from the feed or CANCELLED withdraws its open slots; booked ones stay.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Iterable

import icalendar
import recurring_ical_events
import sqlalchemy as sa

from bot.places import geo
from bot.language.answers import normalise
from bot.codes import DOMAINS, MODES
from bot.agenda.schema import mediators, slots

CSV_COLUMNS = ("external_id", "name", "specialities", "sub_specialities", "modes", "address", "postal_code",
               "areas_served", "languages", "email")
_MODE_ALIASES = {"phone": "phone", "telephone": "phone", "video": "video", "visio": "video",
                 "visioconference": "video", "in_person": "in_person", "presentiel": "in_person",
                 "en personne": "in_person"}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_DEPARTEMENT = re.compile(r"^(\d{2}|2A|2B|97[1-6])$")


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    removed: int = 0
    errors: list[str] = field(default_factory=list)

    def as_json(self) -> dict:
        return {"created": self.created, "updated": self.updated, "removed": self.removed, "errors": self.errors}


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split("|") if part.strip()]


def _mediator_values(row: dict[str, str]) -> dict:
    """Validated column values of one CSV row; raises ValueError with a readable reason."""
    missing = [column for column in ("external_id", "name", "specialities", "modes", "address", "postal_code", "email")
               if not (row.get(column) or "").strip()]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    specialities, modes = _split(row["specialities"]), _split(row["modes"])
    if not set(specialities) <= set(DOMAINS):
        raise ValueError(f"unknown speciality in {row['specialities']!r}")
    if not set(modes) <= set(MODES):
        raise ValueError(f"unknown mode in {row['modes']!r}")
    place = geo.place(row["postal_code"].strip())
    if place is None:
        raise ValueError(f"unknown postal code {row['postal_code']!r}")
    areas = _split(row.get("areas_served")) or [place.departement]
    if not all(_DEPARTEMENT.match(area) for area in areas):
        raise ValueError(f"bad département in {row.get('areas_served')!r}")
    if not _EMAIL.match(row["email"].strip()):
        raise ValueError(f"bad email {row['email']!r}")
    return {
        "external_id": row["external_id"].strip(), "name": row["name"].strip()[:120],
        "specialities": specialities, "sub_specialities": _split(row.get("sub_specialities")), "modes": modes,
        "address": row["address"].strip(), "postal_code": place.postal_code, "commune": place.commune_name,
        "departement": place.departement, "areas_served": areas, "languages": _split(row.get("languages")) or ["fr"],
        "email": row["email"].strip().lower(), "active": True,
    }


def import_directory_csv(engine: sa.engine.Engine, text: str) -> ImportReport:
    report = ImportReport()
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    absent = set(CSV_COLUMNS) - set(reader.fieldnames or ())
    if absent:
        report.errors.append(f"line 1: missing columns {', '.join(sorted(absent))}")
        return report
    with engine.begin() as connection:
        for line, row in enumerate(reader, start=2):
            try:
                values = _mediator_values(row)
            except ValueError as error:
                report.errors.append(f"line {line}: {error}")
                continue
            existing = connection.execute(sa.select(mediators.c.id)
                                          .where(mediators.c.external_id == values["external_id"])).first()
            if existing:
                connection.execute(mediators.update().where(mediators.c.id == existing.id).values(**values))
                report.updated += 1
            else:
                connection.execute(mediators.insert().values(**values))
                report.created += 1
    return report


def _event_modes(event: icalendar.Event, default: list[str]) -> list[str]:
    categories = event.get("CATEGORIES")
    values: list[str] = []
    for item in categories if isinstance(categories, list) else [categories] if categories else []:
        values += [str(category) for category in item.cats]
    modes = [_MODE_ALIASES[normalise(value)] for value in values if normalise(value) in _MODE_ALIASES]
    return [mode for mode in default if mode in modes] or list(default)


def _utc(value: datetime | date) -> datetime:
    if not isinstance(value, datetime):
        raise ValueError("all-day events are not availability periods")
    if value.tzinfo is None:  # floating time: read as Paris time, the mediators' usual clock
        from zoneinfo import ZoneInfo
        value = value.replace(tzinfo=ZoneInfo("Europe/Paris"))
    return value.astimezone(timezone.utc).replace(tzinfo=None)


def availability_from_ics(ics_text: str, start: datetime, end: datetime, default_modes: list[str],
                          session_minutes: int = 60) -> list[dict]:
    """Sessions (uid, starts_at, ends_at, modes) from a feed, between two naive UTC times."""
    calendar = icalendar.Calendar.from_ical(ics_text)
    window = (start.replace(tzinfo=timezone.utc), end.replace(tzinfo=timezone.utc))
    sessions = []
    for event in recurring_ical_events.of(calendar).between(*window):
        if str(event.get("STATUS", "")).upper() == "CANCELLED" or str(event.get("TRANSP", "")).upper() == "TRANSPARENT":
            continue
        try:
            begin, finish = _utc(event.decoded("DTSTART")), _utc(event.decoded("DTEND"))
        except (KeyError, ValueError):
            continue
        uid = str(event.get("UID", "no-uid"))
        step = timedelta(minutes=session_minutes)
        cursor = begin
        while cursor + step <= finish:
            if start <= cursor < end:
                sessions.append({"uid": f"{uid}@{cursor.isoformat()}", "starts_at": cursor, "ends_at": cursor + step,
                                 "modes": _event_modes(event, default_modes)})
            cursor += step
    return sessions


def import_availability_ics(engine: sa.engine.Engine, external_id: str, ics_text: str, now: datetime,
                            horizon_days: int = 28, session_minutes: int = 60) -> ImportReport:
    report = ImportReport()
    end = now + timedelta(days=horizon_days)
    with engine.begin() as connection:
        mediator = connection.execute(sa.select(mediators).where(mediators.c.external_id == external_id)).first()
        if mediator is None:
            report.errors.append(f"unknown mediator {external_id!r}")
            return report
        try:
            sessions = availability_from_ics(ics_text, now, end, mediator.modes, session_minutes)
        except ValueError as error:
            report.errors.append(f"unreadable calendar: {error}")
            return report
        seen = set()
        for session in sessions:
            seen.add(session["uid"])
            existing = connection.execute(sa.select(slots.c.id, slots.c.status).where(
                slots.c.mediator_id == mediator.id, slots.c.source_uid == session["uid"])).first()
            if existing is None:
                connection.execute(slots.insert().values(
                    mediator_id=mediator.id, starts_at=session["starts_at"], ends_at=session["ends_at"],
                    modes=session["modes"], status="open", source="ics", source_uid=session["uid"]))
                report.created += 1
            elif existing.status in ("open", "withdrawn"):
                connection.execute(slots.update().where(slots.c.id == existing.id).values(
                    modes=session["modes"], status="open" if existing.status == "withdrawn" else existing.status))
                report.updated += 1
        stale = connection.execute(sa.select(slots.c.id, slots.c.source_uid).where(
            slots.c.mediator_id == mediator.id, slots.c.source == "ics", slots.c.status == "open",
            slots.c.starts_at >= now, slots.c.starts_at < end)).fetchall()
        for slot_id, uid in stale:
            if uid not in seen:
                connection.execute(slots.update().where(slots.c.id == slot_id, slots.c.status == "open")
                                   .values(status="withdrawn", hold_id=None, held_until=None))
                report.removed += 1
    return report


def iter_days(start: date, days: int) -> Iterable[date]:
    return (start + timedelta(days=offset) for offset in range(days))
