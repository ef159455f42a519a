"""The fictional demo directory (bot/agenda/data/demo_directory.csv, 48 mediators, all
names marked "(démo)", e-mails on the reserved .example domain) and its slots over the
next four weeks, topped up at each start so the demo never runs dry.
"""
from __future__ import annotations

import random
from datetime import datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from bot.places import geo
from bot.agenda.importers import ImportReport, import_directory_csv, iter_days
from bot.agenda.schema import mediator_hours, mediators, slots

DIRECTORY = Path(__file__).parent / "data" / "demo_directory.csv"
HORIZON_DAYS = 28
SESSION = timedelta(hours=1)
_HOURS = (9, 10, 11, 14, 15, 16, 17)


def _sessions(external_id: str, tz: ZoneInfo, first_day, days: int):
    rng = random.Random(external_id)  # the same mediator keeps the same weekly habits
    working_days = set(rng.sample(range(5), 3))
    for day in iter_days(first_day, days):
        if day.weekday() not in working_days:
            continue
        day_rng = random.Random(f"{external_id}:{day.isoformat()}")
        for hour in sorted(day_rng.sample(_HOURS, 3)):
            local = datetime.combine(day, time(hour), tzinfo=tz)
            yield day, hour, local.astimezone(timezone.utc).replace(tzinfo=None)


def load_demo(engine: sa.engine.Engine, now: datetime) -> ImportReport:
    """Import the demo directory once (if the directory is empty), then top up its slots."""
    with engine.connect() as connection:
        has_mediators = connection.execute(sa.select(sa.func.count()).select_from(mediators)).scalar() > 0
    report = ImportReport() if has_mediators else import_directory_csv(engine, DIRECTORY.read_text(encoding="utf-8"))
    with engine.begin() as connection:
        # A demo mediator who set their hours in the space gets their slots from them only.
        demo_mediators = connection.execute(
            sa.select(mediators).where(mediators.c.external_id.like("demo-%"),
                                       ~mediators.c.id.in_(sa.select(mediator_hours.c.mediator_id)))).fetchall()
        existing = {(row.mediator_id, row.source_uid) for row in connection.execute(
            sa.select(slots.c.mediator_id, slots.c.source_uid).where(slots.c.source == "demo"))}
        rows = []
        for mediator in demo_mediators:
            tz = ZoneInfo(geo.timezone_name(mediator.departement))
            for day, hour, starts in _sessions(mediator.external_id, tz, now.date(), HORIZON_DAYS + 1):
                uid = f"demo:{day.isoformat()}:{hour:02d}"
                if starts > now and (mediator.id, uid) not in existing:
                    rows.append({"mediator_id": mediator.id, "starts_at": starts, "ends_at": starts + SESSION,
                                 "modes": mediator.modes, "status": "open", "source": "demo", "source_uid": uid})
        if rows:
            connection.execute(slots.insert(), rows)
    report.created += len(rows)
    return report
