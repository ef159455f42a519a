"""The outbox: messages written in the transaction of what causes them, sent later.

`enqueue` is called on the caller's open connection (inside `engine.begin()`), so a booking
and its messages are committed together or not at all. Each message has a `dedup_key`, one
per message and recipient (e.g. "booking:12:confirmed:person:email"): enqueueing the same
key again does nothing and returns False, so a retried request never queues twice.
The sender (sender.py) claims due rows with a lease and records the delivery status.

The recipient, the bodies and the attachments are encrypted at rest (sealed.py); the subject
is kept in clear and so must not hold personal data (a reference, a date at most).
"""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Iterable, Sequence

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.agenda import sealed
from bot.agenda.schema import outbox

CHANNELS = ("email", "sms")
RECIPIENT_KINDS = ("person", "mediator")
STATUSES = ("pending", "sending", "sent", "failed")


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)


@dataclass(frozen=True)
class Message:
    """A queued message, decrypted, as the sender hands it to a transport."""
    id: int
    dedup_key: str
    channel: str
    recipient_kind: str
    recipient: str
    subject: str
    text: str
    html: str | None
    attachments: list[tuple[str, str, bytes]]
    attempts: int
    booking_id: int | None = None
    mediator_id: int | None = None


def enqueue(connection: sa.engine.Connection, *, dedup_key: str, channel: str, recipient: str, recipient_kind: str,
            subject: str, text: str, html: str | None = None,
            attachments: Sequence[tuple[str, str, bytes]] = (), booking_id: int | None = None,
            mediator_id: int | None = None, send_after: datetime | None = None,
            now: datetime | None = None) -> bool:
    """Queue one message in the caller's transaction. False if `dedup_key` is already queued
    (or sent): nothing is written then. `attachments`: (filename, content type, bytes).
    `now`: the caller's clock (the agenda's, which tests move), else the wall clock."""
    if channel not in CHANNELS:
        raise ValueError(f"channel must be one of {CHANNELS}")
    if recipient_kind not in RECIPIENT_KINDS:
        raise ValueError(f"recipient_kind must be one of {RECIPIENT_KINDS}")
    if not recipient or not dedup_key or len(dedup_key) > 200:
        raise ValueError("a message needs a recipient and a dedup_key of 200 characters at most")
    now = now or _now()
    due = send_after or now
    packed = json.dumps([[name, kind, base64.b64encode(data).decode("ascii")] for name, kind, data in attachments])
    dialect_insert = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
    result = connection.execute(dialect_insert(outbox).values(
        dedup_key=dedup_key, booking_id=booking_id, mediator_id=mediator_id, recipient_kind=recipient_kind,
        channel=channel, recipient=sealed.seal(recipient), subject=subject, body_text=sealed.seal(text),
        body_html=sealed.seal(html), attachments=sealed.seal(packed) if attachments else None,
        send_after=due, status="pending", attempts=0, next_attempt_at=due, created_at=now,
    ).on_conflict_do_nothing(index_elements=["dedup_key"]))
    return result.rowcount == 1


def decode(row: sa.engine.Row) -> Message:
    """The decrypted message of an outbox row."""
    attachments = [(name, kind, base64.b64decode(data))
                   for name, kind, data in json.loads(sealed.unseal(row.attachments) or "[]")]
    return Message(id=row.id, dedup_key=row.dedup_key, channel=row.channel, recipient_kind=row.recipient_kind,
                   recipient=sealed.unseal(row.recipient), subject=row.subject, text=sealed.unseal(row.body_text),
                   html=sealed.unseal(row.body_html), attachments=attachments, attempts=row.attempts,
                   booking_id=row.booking_id, mediator_id=row.mediator_id)


def drop_pending(connection: sa.engine.Connection, booking_ids: Iterable[int]) -> int:
    """Delete the messages of these bookings not yet sent (erasure, or a reminder made moot)."""
    ids = list(booking_ids)
    if not ids:
        return 0
    return connection.execute(outbox.delete().where(outbox.c.booking_id.in_(ids),
                                                    outbox.c.status.in_(("pending", "failed")))).rowcount


def failed(connection: sa.engine.Connection) -> list[dict]:
    """The messages given up on, for the operator: no recipient, no body (personal data)."""
    rows = connection.execute(sa.select(outbox.c.id, outbox.c.dedup_key, outbox.c.channel, outbox.c.recipient_kind,
                                        outbox.c.booking_id, outbox.c.mediator_id, outbox.c.attempts,
                                        outbox.c.last_error, outbox.c.created_at)
                              .where(outbox.c.status == "failed").order_by(outbox.c.id))
    return [{**row._mapping, "created_at": row.created_at.isoformat() + "Z"} for row in rows]
