"""Shared helpers for the agenda tests: a migrated database with a tiny directory."""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from bot.agenda import db
from bot.agenda.schema import mediators, slots
from bot.agenda.store import AgendaStore

NOW = datetime(2026, 11, 23, 8, 0)


class Clock:
    """A clock the test moves by hand (holds expire without sleeping)."""

    def __init__(self, now: datetime = NOW):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def mediator_row(external_id: str, specialities, modes, postal_code: str, departement: str, commune: str,
                 areas=None) -> dict:
    return {"external_id": external_id, "name": f"Médiateur {external_id} (démo)", "specialities": list(specialities),
            "sub_specialities": [], "modes": list(modes), "address": "1 rue des Exemples", "postal_code": postal_code,
            "commune": commune, "departement": departement, "areas_served": list(areas or [departement]),
            "languages": ["fr"], "email": f"{external_id}@demo-mediation.example", "active": True}


def seeded_store(url: str, clock: Clock | None = None) -> AgendaStore:
    """Three mediators (Paris family in person+video, Lyon family in person, Marseille consumer phone),
    two slots each, tomorrow and the day after."""
    engine = db.make_engine(url)
    db.migrate(engine)
    clock = clock or Clock()
    with engine.begin() as connection:
        rows = [mediator_row("paris", ["family"], ["in_person", "video"], "75011", "75", "Paris"),
                mediator_row("lyon", ["family", "workplace"], ["in_person"], "69003", "69", "Lyon", ["69", "01"]),
                mediator_row("marseille", ["consumer"], ["phone"], "13001", "13", "Marseille")]
        for row in rows:
            mediator_id = connection.execute(mediators.insert().values(**row)).inserted_primary_key[0]
            for day in (1, 2):
                start = clock.now + timedelta(days=day, hours=row["external_id"] == "lyon")
                connection.execute(slots.insert().values(
                    mediator_id=mediator_id, starts_at=start, ends_at=start + timedelta(hours=1),
                    modes=row["modes"], status="open", source="api", source_uid=f"{row['external_id']}-{day}"))
    return AgendaStore(engine, clock=clock)


def slot_ids(store: AgendaStore, external_id: str) -> list[int]:
    with store.engine.connect() as connection:
        return [row.id for row in connection.execute(
            sa.select(slots.c.id).join(mediators, mediators.c.id == slots.c.mediator_id)
            .where(mediators.c.external_id == external_id).order_by(slots.c.starts_at))]
