"""One person's messages one after the other, in arrival order; different people at the
same time. Also across several Rasa replicas when REDIS_URL is set.

`ConversationWorkers.submit` takes the message's place in its person's queue before the
webhook answers, then runs the message in a background task when its turn comes. The
queue of a person (named by the conversation id, a pseudonym) is:
- `PersonQueues`, in memory: one asyncio.Lock per conversation (it wakes waiters in FIFO
  order, and tasks start in creation order);
- `SharedPersonQueues`, in Redis, on top of the same local lock: Rasa's ticket lock
  (rasa.core.lock.TicketLock, the FIFO ticket algorithm behind Rasa's own lock store) kept
  under `ma:order:<conversation id>`. A message takes the next ticket when it arrives and
  runs when its ticket is the first one left. Not Rasa's RedisLockStore itself: its Redis
  client is synchronous (it would block the event loop), it issues a ticket by reading then
  writing the lock, so two replicas can take the same ticket (exactly the case to handle),
  and its keys never expire. Here every change is one atomic WATCH/MULTI transaction through
  redis.asyncio, and the key lives TICKET_SECONDS after its last change.

A ticket lives TICKET_SECONDS; a waiting message renews its own while it polls and a
running one every third of that, so the tickets of a replica that died are forgotten
within TICKET_SECONDS and its person's next messages go on.

The cap: at most `max_queued` messages waiting or running per person, the extra dropped
(a flood). In Redis the cap counts the tickets, so it holds across all replicas.

While Redis is unreachable a message keeps only its replica's own order (the local lock),
which is what one process did before; the failure is logged by type only.
"""
from __future__ import annotations

import asyncio
import json
import logging
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Awaitable, Callable

from rasa.core.lock import TicketLock

from bot.channels.shared_store import UNAVAILABLE, SharedStore, shared_store

logger = logging.getLogger(__name__)

MAX_QUEUED_PER_PERSON = 20  # more messages waiting for one person is a flood: the extra are dropped
TICKET_SECONDS = 30.0
POLL_SECONDS = 0.05

Job = Callable[[], Awaitable[Any]]


@dataclass
class _Line:
    """One conversation's queue in this process."""

    turn: asyncio.Lock = field(default_factory=asyncio.Lock)
    issuing: asyncio.Lock = field(default_factory=asyncio.Lock)  # shared tickets in local arrival order
    queued: int = 0


class Place:
    """A message's place in its person's queue: `async with place.turn():` waits for it,
    runs, and leaves the queue (also when cancelled or failing)."""

    def __init__(self, queues: "PersonQueues", key: str, line: _Line) -> None:
        self.queues, self.key, self.line = queues, key, line
        self._left = False

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        try:
            async with self.line.turn:
                yield
        finally:
            self.leave()

    def leave(self) -> None:
        if not self._left:
            self._left = True
            self.queues._leave_here(self.key)

    def abandon(self) -> Awaitable[None] | None:
        """Gives the place back if `turn` never ran (a task cancelled before it started);
        returns what is left to await, if anything."""
        self.leave()
        return None


class PersonQueues:
    """In this process's memory."""

    def __init__(self, max_queued: int = MAX_QUEUED_PER_PERSON) -> None:
        self.max_queued = max_queued
        self._lines: dict[str, _Line] = {}  # only people with a message waiting or running

    async def enter(self, key: str) -> Place | None:
        """This message's place, or None when the person already has `max_queued`."""
        return self._enter_here(key)

    def _enter_here(self, key: str) -> Place | None:
        line = self._lines.setdefault(key, _Line())
        if line.queued >= self.max_queued:
            return None
        line.queued += 1
        return Place(self, key, line)

    def _leave_here(self, key: str) -> None:
        line = self._lines[key]
        line.queued -= 1
        if not line.queued:
            del self._lines[key]

    def __len__(self) -> int:
        return len(self._lines)


def _ticket_lock(raw: str | None, key: str) -> TicketLock:
    if not raw:
        return TicketLock(key)
    try:
        lock = TicketLock.from_dict(json.loads(raw))
    except (ValueError, KeyError, TypeError):
        return TicketLock(key)  # unreadable: start afresh rather than block the person
    lock.remove_expired_tickets()
    return lock


class SharedPlace(Place):
    """A place with a ticket in Redis, on top of the local one."""

    def __init__(self, local: Place, queues: "SharedPersonQueues", ticket: int) -> None:
        super().__init__(local.queues, local.key, local.line)
        self.shared, self.ticket = queues, ticket
        self._released = False

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        try:
            async with super().turn():
                await self.shared._wait_for(self.key, self.ticket)
                heartbeat = asyncio.create_task(self.shared._keep_alive(self.key, self.ticket))
                try:
                    yield
                finally:
                    heartbeat.cancel()
                    await self._release()  # before the local lock lets this replica's next one in
        finally:
            await self._release()  # also when cancelled before its turn came

    async def _release(self) -> None:
        if not self._released:
            self._released = True
            await self.shared._release(self.key, self.ticket)

    def abandon(self) -> Awaitable[None] | None:
        self.leave()
        return None if self._released else self._release()


class SharedPersonQueues(PersonQueues):
    """In Redis, shared by the replicas (see the module's docstring)."""

    def __init__(self, store: SharedStore, max_queued: int = MAX_QUEUED_PER_PERSON,
                 ticket_seconds: float = TICKET_SECONDS, poll_seconds: float = POLL_SECONDS) -> None:
        super().__init__(max_queued)
        self.store, self.ticket_seconds, self.poll_seconds = store, ticket_seconds, poll_seconds

    def _name(self, key: str) -> str:
        return self.store.key("order", key)

    async def enter(self, key: str) -> Place | None:
        local = self._enter_here(key)
        if local is None:
            return None
        async with local.line.issuing:
            ticket = await self._take_ticket(key)
        if ticket is UNAVAILABLE:
            return local  # this replica's own order only, until Redis is back
        if ticket is None:
            local.leave()
            return None
        return SharedPlace(local, self, ticket)

    async def _change(self, key: str, change: Callable[[TicketLock], Any]) -> Any:
        """change(lock) on the stored lock in one atomic transaction; the lock is saved
        (with a fresh TTL) or deleted when it has no ticket left. UNAVAILABLE when Redis fails."""
        name = self._name(key)
        ttl_ms = max(1, int(self.ticket_seconds * 1000))

        async def transaction(client) -> Any:
            async def attempt(pipe) -> Any:
                lock = _ticket_lock(await pipe.get(name), key)
                result = change(lock)
                pipe.multi()
                if lock.tickets:
                    pipe.set(name, lock.dumps(), px=ttl_ms)
                else:
                    pipe.delete(name)
                return result
            return await client.transaction(attempt, name, value_from_callable=True)

        return await self.store.run("message order", transaction)

    async def _take_ticket(self, key: str) -> int | None:
        def take(lock: TicketLock) -> int | None:
            if len(lock.tickets) >= self.max_queued:
                return None  # over the cap, counted over every replica
            return lock.issue_ticket(self.ticket_seconds)
        return await self._change(key, take)

    async def _renew(self, key: str, ticket: int) -> bool:
        """Pushes the ticket's expiry back; False when it is gone (expired, or Redis lost it)."""
        def renew(lock: TicketLock) -> bool:
            for held in lock.tickets:
                if held.number == ticket:
                    held.expires = time.time() + self.ticket_seconds
                    return True
            return False
        return await self._change(key, renew)

    async def _release(self, key: str, ticket: int) -> None:
        await self._change(key, lambda lock: lock.remove_ticket_for(ticket))

    async def _wait_for(self, key: str, ticket: int) -> None:
        """Returns when `ticket` is the first one left (or is gone, or Redis fails)."""
        renewed = time.monotonic()
        while True:
            raw = await self.store.run("message order", lambda client: client.get(self._name(key)))
            if raw is UNAVAILABLE:
                return  # the local lock still keeps this replica's order
            lock = _ticket_lock(raw, key)
            if not any(held.number == ticket for held in lock.tickets):
                logger.warning("message order: a ticket expired while waiting; the message goes ahead")
                return
            if lock.now_serving == ticket:
                return
            if time.monotonic() - renewed >= self.ticket_seconds / 3:
                renewed = time.monotonic()
                if await self._renew(key, ticket) is False:
                    return
            await asyncio.sleep(self.poll_seconds)

    async def _keep_alive(self, key: str, ticket: int) -> None:
        while True:
            await asyncio.sleep(self.ticket_seconds / 3)
            await self._renew(key, ticket)


def person_queues(max_queued: int = MAX_QUEUED_PER_PERSON) -> PersonQueues:
    """Shared when REDIS_URL is set, else per process."""
    store = shared_store()
    return SharedPersonQueues(store, max_queued) if store else PersonQueues(max_queued)


class ConversationWorkers:
    """Runs each message in a background task, in order per conversation (see above)."""

    def __init__(self, channel: str, max_queued: int = MAX_QUEUED_PER_PERSON,
                 queues: PersonQueues | None = None) -> None:
        self.channel = channel
        self.queues = queues if queues is not None else person_queues(max_queued)
        self._tasks: set[asyncio.Task] = set()  # strong references: the loop keeps only weak ones

    async def submit(self, key: str, job: Job) -> asyncio.Task | None:
        """Takes the message's place in the queue of conversation `key` and schedules `job`;
        None when that conversation already has too many waiting (the job is dropped)."""
        place = await self.queues.enter(key)
        if place is None:
            logger.warning("%s: more than %d messages waiting for one person; extra dropped", self.channel,
                           self.queues.max_queued)
            return None
        task = self._track(asyncio.create_task(self._run(place, job)))
        task.add_done_callback(lambda _: self._abandoned(place))
        return task

    def _track(self, task: asyncio.Task) -> asyncio.Task:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _abandoned(self, place: Place) -> None:
        # A task cancelled before its first step never runs its `finally`: its place must
        # still be given back (nothing to do for one that ran).
        cleanup = place.abandon()
        if cleanup is not None:
            self._track(asyncio.ensure_future(cleanup))

    async def _run(self, place: Place, job: Job) -> None:
        try:
            async with place.turn():
                await job()
        except asyncio.CancelledError:
            logger.warning("%s: background message cancelled", self.channel)
        except Exception as failure:  # noqa: BLE001 - logged by type only: no user text in logs
            logger.error("%s: background message failed: %s", self.channel, type(failure).__name__)

    @property
    def pending(self) -> int:
        return len(self._tasks)

    async def drain(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
