"""A mediator's appointments: list, read, cancel (the person is told through the outbox),
mark done or missed. Every query is bounded to the signed-in mediator's own slots."""
from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from bot import content
from bot.places import geo
from bot.language.dates import when_label
from bot.agenda import messages, sealed
from bot.agenda.outbox import enqueue
from bot.agenda.schema import booking_outcomes, bookings, mediators, slots
from bot.agenda.store import Conflict, NotFound

OUTCOMES = ("done", "missed")


def when(starts_at: datetime, departement: str) -> str:
    """« lundi 23 novembre à 9 h 00 », in the mediator's time zone."""
    tz_name = geo.timezone_name(departement)
    return when_label(starts_at.isoformat() + "Z", tz_name)


def _query(mediator_id: int):
    return (sa.select(bookings, slots.c.starts_at, slots.c.ends_at, slots.c.mediator_id,
                      booking_outcomes.c.outcome)
            .join(slots, slots.c.id == bookings.c.slot_id)
            .outerjoin(booking_outcomes, booking_outcomes.c.booking_id == bookings.c.id)
            .where(slots.c.mediator_id == mediator_id))


def _describe(row: sa.engine.Row, now: datetime) -> dict[str, Any]:
    brief = sealed.unseal_json(row.brief) or {}
    return {
        "id": row.id, "reference": row.reference, "status": row.status, "mode": row.mode,
        "starts_at": row.starts_at, "ends_at": row.ends_at, "outcome": row.outcome,
        "person": {"name": sealed.unseal(row.person_name), "email": sealed.unseal(row.person_email),
                   "phone": sealed.unseal(row.person_phone)},
        "brief": brief if isinstance(brief, dict) else {},
        "upcoming": row.starts_at > now,
        "can_cancel": row.status == "confirmed" and row.starts_at > now,
        "can_mark": row.status == "confirmed" and row.starts_at <= now,
    }


def list_bookings(engine: sa.engine.Engine, mediator_id: int, now: datetime) -> tuple[list[dict], list[dict]]:
    """(upcoming soonest first, past latest first)."""
    with engine.connect() as connection:
        rows = connection.execute(_query(mediator_id).order_by(slots.c.starts_at, bookings.c.id)).fetchall()
    described = [_describe(row, now) for row in rows]
    return ([item for item in described if item["upcoming"]],
            [item for item in described if not item["upcoming"]][::-1])


def _row(connection: sa.engine.Connection, mediator_id: int, reference: str) -> sa.engine.Row:
    row = connection.execute(_query(mediator_id).where(bookings.c.reference == reference)
                             .order_by(bookings.c.id.desc())).first()
    if row is None:  # another mediator's booking is as unknown as a made-up reference
        raise NotFound("no such booking for this mediator", "booking_not_found")
    return row


def booking(engine: sa.engine.Engine, mediator_id: int, reference: str, now: datetime) -> dict:
    with engine.connect() as connection:
        return _describe(_row(connection, mediator_id, reference), now)


def cancel(engine: sa.engine.Engine, mediator_id: int, reference: str, now: datetime,
           messaging: messages.Messaging | None = None) -> dict:
    """Cancel an upcoming appointment. The slot is withdrawn (the mediator is not free then);
    in the same transaction the person's message is queued (e-mail, else SMS when Twilio is
    configured: messages.person_channel) and their pending reminder dropped."""
    messaging = messaging or messages.Messaging()
    with engine.begin() as connection:
        row = _row(connection, mediator_id, reference)
        if row.status != "confirmed" or row.starts_at <= now:
            raise Conflict("this booking cannot be cancelled", "booking_not_cancellable")
        changed = connection.execute(bookings.update().where(bookings.c.id == row.id, bookings.c.status == "confirmed")
                                     .values(status="cancelled", updated_at=now)).rowcount
        if changed != 1:
            raise Conflict("this booking cannot be cancelled", "booking_not_cancellable")
        connection.execute(slots.update().where(slots.c.id == row.slot_id)
                           .values(status="withdrawn", hold_id=None, held_until=None))
        messages.drop_reminders(connection, row.id)
        mediator = connection.execute(sa.select(mediators).where(mediators.c.id == mediator_id)).first()
        person = {"email": sealed.unseal(row.person_email), "phone": sealed.unseal(row.person_phone)}
        values = {"reference": row.reference, "name": mediator.name, "when": when(row.starts_at, mediator.departement),
                  "mode": content.BOOKING_MODE_LABELS.get(row.mode, row.mode)}
        channel = messages.person_channel(person, messaging)
        subject = content.SPACE_CANCEL_SUBJECT.format(**values)
        if channel == "email":
            text = content.SPACE_CANCEL_TEXT.format(**values)
            enqueue(connection, dedup_key=f"booking:{row.id}:cancelled-by-mediator:person:email", channel="email",
                    recipient=person["email"], recipient_kind="person", subject=subject, text=text,
                    html=messages.to_html(subject, text), booking_id=row.id, mediator_id=mediator_id, now=now)
        elif channel == "sms":
            enqueue(connection, dedup_key=f"booking:{row.id}:cancelled-by-mediator:person:sms", channel="sms",
                    recipient=person["phone"], recipient_kind="person", subject="",
                    text=content.SPACE_CANCEL_SMS.format(**values), booking_id=row.id, mediator_id=mediator_id,
                    now=now)
        return _describe(_row(connection, mediator_id, reference), now)


def mark(engine: sa.engine.Engine, mediator_id: int, reference: str, outcome: str, now: datetime) -> dict:
    """Done or missed, for an appointment whose time has come; marking again changes it."""
    if outcome not in OUTCOMES:
        raise Conflict("unknown outcome", "invalid_outcome")
    with engine.begin() as connection:
        row = _row(connection, mediator_id, reference)
        if row.status != "confirmed" or row.starts_at > now:
            raise Conflict("this booking cannot be marked yet", "booking_not_markable")
        if row.outcome is None:
            connection.execute(booking_outcomes.insert().values(booking_id=row.id, outcome=outcome, marked_at=now))
        else:
            connection.execute(booking_outcomes.update().where(booking_outcomes.c.booking_id == row.id)
                               .values(outcome=outcome, marked_at=now))
        return _describe(_row(connection, mediator_id, reference), now)
