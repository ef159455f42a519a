"""Slots generated from a mediator's weekly hours, minus closed periods and busy times.

Hours are local times (the mediator's time zone, from their département); each rule
gives one mode on one weekday. Sessions of `session_minutes` are cut from each rule; a
session offered by several rules (phone 9–12 and video 9–12) is one slot with both modes.
Regeneration never touches a slot that is booked or validly held, nor a past one; it
never creates a slot overlapping another live slot of the mediator (imported or demo).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Iterable
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from bot.places import geo
from bot.codes import MODES
from bot.agenda.schema import busy_periods, mediator_accounts, mediator_exceptions, mediator_hours, mediators, slots

SOURCE = "hours"
HORIZON = timedelta(days=28)
DEFAULT_SESSION_MINUTES = 60
SESSION_CHOICES = (30, 45, 60, 90, 120)
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def parse_time(value: str) -> time | None:
    match = _TIME.match(value or "")
    return time(int(match.group(1)), int(match.group(2))) if match else None


@dataclass(frozen=True)
class Rule:
    weekday: int
    starts: time
    ends: time
    mode: str


def _overlaps(start: datetime, end: datetime, periods: Iterable[tuple[datetime, datetime]]) -> bool:
    return any(start < period_end and period_start < end for period_start, period_end in periods)


def sessions(rules: list[Rule], closed: list[tuple[datetime, datetime]], tz_name: str, start: datetime,
             end: datetime, session_minutes: int) -> list[dict]:
    """Sessions (uid, starts_at, ends_at, modes) starting in [start, end), naive UTC, that
    avoid every `closed` period (exceptions and busy times, naive UTC). Pure."""
    tz = ZoneInfo(tz_name)
    step = timedelta(minutes=session_minutes)
    by_start: dict[datetime, set[str]] = {}
    first = (start.replace(tzinfo=timezone.utc).astimezone(tz).date()) - timedelta(days=1)
    days = (end - start).days + 3
    for day in (first + timedelta(days=offset) for offset in range(days)):
        for rule in rules:
            if rule.weekday != day.weekday() or rule.mode not in MODES:
                continue
            cursor = datetime.combine(day, rule.starts, tzinfo=tz)
            finish = datetime.combine(day, rule.ends, tzinfo=tz)
            while cursor + step <= finish:
                utc = cursor.astimezone(timezone.utc).replace(tzinfo=None)
                if start <= utc < end and not _overlaps(utc, utc + step, closed):
                    by_start.setdefault(utc, set()).add(rule.mode)
                cursor += step
    result, last_end = [], None
    for utc in sorted(by_start):  # rules of several modes may be cut on different grids
        if last_end is not None and utc < last_end:
            continue
        local = utc.replace(tzinfo=timezone.utc).astimezone(tz)
        result.append({"uid": f"{SOURCE}:{local.strftime('%Y-%m-%dT%H:%M')}:{session_minutes}",
                       "starts_at": utc, "ends_at": utc + step,
                       "modes": [mode for mode in MODES if mode in by_start[utc]]})
        last_end = utc + step
    return result


def session_minutes(connection: sa.engine.Connection, mediator_id: int) -> int:
    value = connection.execute(sa.select(mediator_accounts.c.session_minutes)
                               .where(mediator_accounts.c.mediator_id == mediator_id)).scalar()
    return value or DEFAULT_SESSION_MINUTES


def rules_of(connection: sa.engine.Connection, mediator_id: int) -> list[Rule]:
    rows = connection.execute(sa.select(mediator_hours).where(mediator_hours.c.mediator_id == mediator_id)
                              .order_by(mediator_hours.c.weekday, mediator_hours.c.starts, mediator_hours.c.id))
    rules = []
    for row in rows:
        starts, ends = parse_time(row.starts), parse_time(row.ends)
        if starts and ends and starts < ends:
            rules.append(Rule(row.weekday, starts, ends, row.mode))
    return rules


def closed_periods(connection: sa.engine.Connection, mediator_id: int, start: datetime,
                   end: datetime) -> list[tuple[datetime, datetime]]:
    periods = []
    for table in (mediator_exceptions, busy_periods):
        periods += [(row.starts_at, row.ends_at) for row in connection.execute(
            sa.select(table.c.starts_at, table.c.ends_at).where(
                table.c.mediator_id == mediator_id, table.c.ends_at > start, table.c.starts_at < end))]
    return periods


@dataclass
class Regeneration:
    created: int = 0
    reopened: int = 0
    withdrawn: int = 0
    kept: int = 0  # booked or held slots that the hours no longer cover, left as they are


def regenerate(connection: sa.engine.Connection, mediator_id: int, now: datetime,
               horizon: timedelta = HORIZON) -> Regeneration:
    """Bring the mediator's generated slots in line with their hours, inside the open
    transaction `connection`. Only open, not validly held slots are ever withdrawn."""
    report = Regeneration()
    mediator = connection.execute(sa.select(mediators).where(mediators.c.id == mediator_id)).first()
    if mediator is None:
        return report
    end = now + horizon
    rules = rules_of(connection, mediator_id) if mediator.active else []
    wanted = sessions(rules, closed_periods(connection, mediator_id, now, end + timedelta(days=1)),
                      geo.timezone_name(mediator.departement), now, end, session_minutes(connection, mediator_id))
    existing = connection.execute(sa.select(slots).where(
        slots.c.mediator_id == mediator_id, slots.c.ends_at > now, slots.c.starts_at < end + timedelta(days=1),
        slots.c.status != "withdrawn")).fetchall()

    def taken(row) -> bool:
        return row.status == "booked" or (row.held_until is not None and row.held_until >= now)

    # Other live slots of this mediator: generated sessions must not overlap them.
    occupied = [(row.starts_at, row.ends_at, row.source_uid) for row in existing
                if row.source != SOURCE or taken(row)]
    by_uid = {row.source_uid: row for row in connection.execute(sa.select(slots).where(
        slots.c.mediator_id == mediator_id, slots.c.source == SOURCE, slots.c.starts_at >= now))}
    keep = set()
    for session in wanted:
        if any(session["starts_at"] < other_end and other_start < session["ends_at"] and uid != session["uid"]
               for other_start, other_end, uid in occupied):
            continue
        keep.add(session["uid"])
        row = by_uid.get(session["uid"])
        if row is None:
            connection.execute(slots.insert().values(
                mediator_id=mediator_id, starts_at=session["starts_at"], ends_at=session["ends_at"],
                modes=session["modes"], status="open", source=SOURCE, source_uid=session["uid"]))
            report.created += 1
        elif row.status == "withdrawn":
            connection.execute(slots.update().where(slots.c.id == row.id, slots.c.status == "withdrawn")
                               .values(status="open", modes=session["modes"], hold_id=None, held_until=None))
            report.reopened += 1
        elif row.status == "open" and list(row.modes) != session["modes"] and not taken(row):
            connection.execute(slots.update().where(slots.c.id == row.id).values(modes=session["modes"]))
    for uid, row in by_uid.items():
        if uid in keep or row.status == "withdrawn":
            continue
        if taken(row):
            report.kept += 1
            continue
        withdrawn = connection.execute(slots.update().where(
            slots.c.id == row.id, slots.c.status == "open",
            sa.or_(slots.c.held_until.is_(None), slots.c.held_until < now))
            .values(status="withdrawn", hold_id=None, held_until=None)).rowcount
        report.withdrawn += withdrawn
        report.kept += 1 - withdrawn
    return report


def mediators_with_hours(connection: sa.engine.Connection) -> list[int]:
    return [row[0] for row in connection.execute(sa.select(mediator_hours.c.mediator_id).distinct())]


def regenerate_all(engine: sa.engine.Engine, now: datetime) -> int:
    """The daily top-up: every mediator with hours gets their horizon filled again."""
    with engine.connect() as connection:
        ids = mediators_with_hours(connection)
    for mediator_id in ids:
        with engine.begin() as connection:
            regenerate(connection, mediator_id, now)
    return len(ids)


def local_date_range(day_from: date, day_to: date, tz_name: str, start: time | None = None,
                     end: time | None = None) -> tuple[datetime, datetime]:
    """A closed period typed by the mediator (local dates and optional times) in naive UTC."""
    tz = ZoneInfo(tz_name)
    begin = datetime.combine(day_from, start or time(0), tzinfo=tz)
    finish = datetime.combine(day_to, end, tzinfo=tz) if end else datetime.combine(day_to + timedelta(days=1), time(0), tzinfo=tz)
    return (begin.astimezone(timezone.utc).replace(tzinfo=None), finish.astimezone(timezone.utc).replace(tzinfo=None))


# ---- edits from the mediator's space: each one regenerates the slots in its transaction ----
MAX_RULES, MAX_EXCEPTIONS = 60, 200


class HoursError(ValueError):
    """A refused edit; the message is French, for the mediator."""


def _ensure_account(connection: sa.engine.Connection, mediator_id: int) -> None:
    if connection.execute(sa.select(mediator_accounts.c.mediator_id)
                          .where(mediator_accounts.c.mediator_id == mediator_id)).first() is None:
        connection.execute(mediator_accounts.insert().values(mediator_id=mediator_id,
                                                             session_minutes=DEFAULT_SESSION_MINUTES))


def add_rule(engine: sa.engine.Engine, mediator_id: int, weekday: int, starts: time, ends: time,
             modes: list[str], now: datetime) -> Regeneration:
    from bot import content
    if not 0 <= weekday <= 6 or starts >= ends or not modes or not set(modes) <= set(MODES):
        raise HoursError(content.SPACE_HOURS_INVALID)
    with engine.begin() as connection:
        _ensure_account(connection, mediator_id)
        count = connection.execute(sa.select(sa.func.count()).select_from(mediator_hours)
                                   .where(mediator_hours.c.mediator_id == mediator_id)).scalar()
        if count + len(modes) > MAX_RULES:
            raise HoursError(content.SPACE_HOURS_TOO_MANY)
        for mode in modes:
            connection.execute(mediator_hours.insert().values(
                mediator_id=mediator_id, weekday=weekday, starts=starts.strftime("%H:%M"),
                ends=ends.strftime("%H:%M"), mode=mode))
        return regenerate(connection, mediator_id, now)


def delete_rule(engine: sa.engine.Engine, mediator_id: int, rule_id: int, now: datetime) -> Regeneration:
    with engine.begin() as connection:
        connection.execute(mediator_hours.delete().where(mediator_hours.c.id == rule_id,
                                                         mediator_hours.c.mediator_id == mediator_id))
        return regenerate(connection, mediator_id, now)


def add_exception(engine: sa.engine.Engine, mediator_id: int, starts_at: datetime, ends_at: datetime, label: str,
                  now: datetime) -> Regeneration:
    from bot import content
    if ends_at <= starts_at or ends_at - starts_at > timedelta(days=366):
        raise HoursError(content.SPACE_EXCEPTION_INVALID)
    with engine.begin() as connection:
        count = connection.execute(sa.select(sa.func.count()).select_from(mediator_exceptions)
                                   .where(mediator_exceptions.c.mediator_id == mediator_id)).scalar()
        if count >= MAX_EXCEPTIONS:
            raise HoursError(content.SPACE_EXCEPTION_TOO_MANY)
        connection.execute(mediator_exceptions.insert().values(mediator_id=mediator_id, starts_at=starts_at,
                                                               ends_at=ends_at, label=label[:80]))
        return regenerate(connection, mediator_id, now)


def delete_exception(engine: sa.engine.Engine, mediator_id: int, exception_id: int, now: datetime) -> Regeneration:
    with engine.begin() as connection:
        connection.execute(mediator_exceptions.delete().where(mediator_exceptions.c.id == exception_id,
                                                              mediator_exceptions.c.mediator_id == mediator_id))
        return regenerate(connection, mediator_id, now)


def set_session_minutes(engine: sa.engine.Engine, mediator_id: int, minutes: int, now: datetime) -> Regeneration:
    from bot import content
    if minutes not in SESSION_CHOICES:
        raise HoursError(content.SPACE_HOURS_INVALID)
    with engine.begin() as connection:
        _ensure_account(connection, mediator_id)
        connection.execute(mediator_accounts.update().where(mediator_accounts.c.mediator_id == mediator_id)
                           .values(session_minutes=minutes))
        return regenerate(connection, mediator_id, now)


def overview(engine: sa.engine.Engine, mediator_id: int, now: datetime) -> dict:
    """What « Mes disponibilités » shows: rules, future closed periods, session length."""
    with engine.connect() as connection:
        rules = [dict(row._mapping) for row in connection.execute(
            sa.select(mediator_hours).where(mediator_hours.c.mediator_id == mediator_id)
            .order_by(mediator_hours.c.weekday, mediator_hours.c.starts, mediator_hours.c.mode))]
        exceptions = [dict(row._mapping) for row in connection.execute(
            sa.select(mediator_exceptions).where(mediator_exceptions.c.mediator_id == mediator_id,
                                                 mediator_exceptions.c.ends_at > now)
            .order_by(mediator_exceptions.c.starts_at))]
        open_slots = connection.execute(sa.select(sa.func.count()).select_from(slots).where(
            slots.c.mediator_id == mediator_id, slots.c.status == "open", slots.c.starts_at >= now)).scalar()
        return {"rules": rules, "exceptions": exceptions, "session_minutes": session_minutes(connection, mediator_id),
                "open_slots": open_slots}
