"""The outbox's sender: runs inside the agenda service (service.py starts it), as many
times as there are replicas, on one database.

A replica claims due rows with one conditional UPDATE per row ("pending, and no live
lease"): the database applies it to a row once, so exactly one replica gets each message
(rowcount == 1), as the holds do in store.py. The lease (5 minutes) outlives a send (30 s
timeout); a replica that died mid-send leaves a lease that lapses and the row is taken
again. A failed send is retried with exponential back-off (30 s, 1 min, 2 min… capped at
1 h); after MAX_ATTEMPTS the row is 'failed', a log line says so (ids only, no personal
data) and `python -m bot.agenda failed-messages` lists them.
"""
from __future__ import annotations

import asyncio
import logging
import socket
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable, Protocol

import sqlalchemy as sa

from bot.agenda import outbox
from bot.agenda.schema import outbox as table

log = logging.getLogger("agenda.outbox")
MAX_ATTEMPTS = 8
LEASE = timedelta(minutes=5)
BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(hours=1)


class Transport(Protocol):
    async def send(self, message: outbox.Message) -> None: ...


def describe_error(error: BaseException) -> str:
    """What went wrong, without personal data: an SMTP server's text may quote the address."""
    code = getattr(error, "code", None)
    return f"{type(error).__name__}{f' {code}' if isinstance(code, int) else ''}"[:200]


@dataclass
class Sender:
    engine: sa.engine.Engine
    transports: dict[str, Transport]   # by channel: email, sms
    clock: Callable[[], datetime]
    worker: str = field(default_factory=lambda: f"{socket.gethostname()[:40]}-{uuid.uuid4().hex[:8]}")
    lease: timedelta = LEASE
    max_attempts: int = MAX_ATTEMPTS
    backoff: timedelta = BACKOFF
    batch: int = 20

    # ---- database (synchronous, run in the service's thread pool) -----------------------
    def claim(self) -> list[outbox.Message]:
        """The due messages this worker now holds a lease on (none held by another)."""
        now = self.clock()
        free = sa.or_(sa.and_(table.c.status == "pending",
                              sa.or_(table.c.claimed_until.is_(None), table.c.claimed_until < now)),
                      sa.and_(table.c.status == "sending", table.c.claimed_until < now))  # a sender died mid-send
        claimed = []
        with self.engine.begin() as connection:
            ids = connection.execute(sa.select(table.c.id).where(table.c.next_attempt_at <= now, free)
                                     .order_by(table.c.next_attempt_at, table.c.id).limit(self.batch)).scalars().all()
        for message_id in ids:
            with self.engine.begin() as connection:
                taken = connection.execute(table.update().where(table.c.id == message_id, free).values(
                    status="sending", claimed_by=self.worker, claimed_until=now + self.lease)).rowcount == 1
                if taken:
                    row = connection.execute(sa.select(table).where(table.c.id == message_id)).first()
                    claimed.append(outbox.decode(row))
        return claimed

    def mark_sent(self, message: outbox.Message) -> None:
        with self.engine.begin() as connection:
            connection.execute(table.update().where(table.c.id == message.id, table.c.claimed_by == self.worker)
                               .values(status="sent", sent_at=self.clock(), claimed_until=None,
                                       attempts=table.c.attempts + 1, last_error=None))

    def mark_failed(self, message: outbox.Message, error: str) -> bool:
        """Count a failed attempt; True when the message is given up on."""
        now = self.clock()
        attempts = message.attempts + 1
        final = attempts >= self.max_attempts
        delay = min(self.backoff * (2 ** (attempts - 1)), MAX_BACKOFF)
        with self.engine.begin() as connection:
            connection.execute(table.update().where(table.c.id == message.id, table.c.claimed_by == self.worker)
                               .values(status="failed" if final else "pending", attempts=attempts, last_error=error,
                                       next_attempt_at=now if final else now + delay, claimed_until=None))
        if final:
            log.error("outbox: message %d (%s, %s to the %s) failed after %d attempts (%s); "
                      "`python -m bot.agenda failed-messages` lists the failed messages",
                      message.id, message.dedup_key, message.channel, message.recipient_kind, attempts, error)
        else:
            log.warning("outbox: message %d (%s) not sent, attempt %d (%s); next try in %d s",
                        message.id, message.channel, attempts, error, delay.total_seconds())
        return final

    # ---- delivery --------------------------------------------------------------------------
    async def _call(self, executor: Any, function: Callable, *args: Any) -> Any:
        if executor is None:
            return function(*args)
        return await asyncio.get_running_loop().run_in_executor(executor, function, *args)

    async def run_once(self, executor: Any = None) -> int:
        """Send what is due now; the number of messages sent."""
        sent = 0
        for message in await self._call(executor, self.claim):
            transport = self.transports.get(message.channel)
            try:
                if transport is None:
                    raise LookupError(f"no transport for {message.channel}")
                await transport.send(message)
            except Exception as error:  # noqa: BLE001 - any failure is retried, never lost
                await self._call(executor, self.mark_failed, message, describe_error(error))
                continue
            await self._call(executor, self.mark_sent, message)
            sent += 1
        return sent

    async def run_forever(self, executor: Any = None, interval: float = 5.0) -> None:
        while True:
            try:
                await self.run_once(executor)
            except Exception:  # noqa: BLE001 - the sender must never stop (the database may be down)
                log.exception("outbox: sending round failed")
            await asyncio.sleep(interval)
