"""Agenda operations on the database: search, hold, confirm, cancel, reschedule.

No double booking, on SQLite and PostgreSQL alike, rests on conditional single-row
UPDATEs ("take the slot only if it is open and not validly held"): the database
applies them one at a time to a row, so among simultaneous requests exactly one sees
rowcount == 1. A partial unique index on live bookings backs this up.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from bot.codes import DOMAINS, MODES
from bot import content
from bot.agenda import matching, messages, references, sealed
from bot.agenda import outbox as outbox_module
from bot.agenda.schema import bookings, busy_periods, code_attempts, holds, mediators, outbox, slots

DEFAULT_HOLD = timedelta(minutes=10)
# Offers start at least this far ahead: the mediator needs time to read the brief.
DEFAULT_NOTICE = timedelta(hours=12)


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)


class AgendaError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code or self.code


class NotFound(AgendaError):
    status, code = 404, "not_found"


class Conflict(AgendaError):
    status, code = 409, "conflict"


class Forbidden(AgendaError):
    status, code = 403, "forbidden"


class Failure(AgendaError):
    status, code = 500, "internal_error"


class Locked(AgendaError):
    """Too many wrong codes for this booking: locked for a while, even for the right code."""
    status, code = 423, "booking_locked"

    def __init__(self, retry_after: int):
        super().__init__(content.AGENDA_BOOKING_LOCKED.format(minutes=max(1, -(-retry_after // 60))))
        self.retry_after = retry_after


class TooManyAttempts(AgendaError):
    """Too many wrong codes from this client, whatever the bookings."""
    status, code = 429, "too_many_attempts"

    def __init__(self, retry_after: int):
        super().__init__(content.AGENDA_TOO_MANY_ATTEMPTS.format(minutes=max(1, -(-retry_after // 60))))
        self.retry_after = retry_after


@dataclass(frozen=True)
class CodeLimits:
    """Wrong booking codes allowed within `window`, per booking and per client, before a
    lockout of `lockout` (the right code is refused too meanwhile: guessing stops)."""
    per_booking: int = 5
    per_client: int = 20
    window: timedelta = timedelta(minutes=15)
    lockout: timedelta = timedelta(minutes=15)


@dataclass
class AgendaStore:
    engine: sa.engine.Engine
    hold_ttl: timedelta = DEFAULT_HOLD
    clock: Callable[[], datetime] = field(default=utcnow)
    notice: timedelta = DEFAULT_NOTICE
    code_limits: CodeLimits = field(default_factory=CodeLimits)
    # How the messages of a booking leave (messages.py); they are queued in its transaction.
    messaging: messages.Messaging = field(default_factory=messages.Messaging)

    # ---- search -------------------------------------------------------------------
    def open_slot_rows(self, start: datetime, end: datetime, domain: str | None = None) -> list[dict[str, Any]]:
        now = self.clock()
        query = (
            sa.select(
                slots.c.id.label("slot_id"), slots.c.starts_at, slots.c.ends_at, slots.c.modes.label("slot_modes"),
                mediators.c.id.label("mediator_id"), mediators.c.name, mediators.c.specialities,
                mediators.c.postal_code, mediators.c.commune, mediators.c.address, mediators.c.areas_served,
            )
            .join(mediators, mediators.c.id == slots.c.mediator_id)
            .where(
                slots.c.status == "open",
                sa.or_(slots.c.held_until.is_(None), slots.c.held_until < now),
                slots.c.starts_at >= max(start, now + self.notice), slots.c.starts_at < end,
                mediators.c.active.is_(True),
                ~self._busy_overlap(),
            )
        )
        if domain in DOMAINS:  # narrow in SQL; matching.speciality_fits still decides
            query = query.where(sa.cast(mediators.c.specialities, sa.String).like(f'%"{domain}"%'))
        with self.engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(query)]

    @staticmethod
    def _busy_overlap():
        """The slot overlaps one of its mediator's imported busy times (mediator's space)."""
        return sa.exists().where(busy_periods.c.mediator_id == slots.c.mediator_id,
                                 busy_periods.c.starts_at < slots.c.ends_at, busy_periods.c.ends_at > slots.c.starts_at)

    def search(self, domain: str | None, postal_code: str | None, mode: str | None, start: datetime,
               end: datetime, limit: int = 3, exclude: set[int] = frozenset()) -> tuple[list[matching.Offer], int]:
        """A page of the best offers not in `exclude`, and how many fitting offers remain in all."""
        offers = [offer for offer in matching.offers_for(self.open_slot_rows(start, end, domain), domain, postal_code, mode)
                  if offer.slot_id not in exclude]
        return matching.diverse_page(offers, limit), len(offers)

    # ---- holds ----------------------------------------------------------------------
    def _take(self, connection: sa.engine.Connection, slot_id: int, hold_id: str, now: datetime) -> bool:
        """Atomically mark `slot_id` held by `hold_id` if it is open and not validly held by another."""
        result = connection.execute(
            slots.update()
            .where(slots.c.id == slot_id, slots.c.status == "open",
                   sa.or_(slots.c.hold_id.is_(None), slots.c.hold_id == hold_id, slots.c.held_until < now))
            .values(hold_id=hold_id, held_until=now + self.hold_ttl)
        )
        return result.rowcount == 1

    def hold(self, slot_id: int, mode: str) -> dict[str, Any]:
        if mode not in MODES:
            raise AgendaError(f"mode must be one of {', '.join(MODES)}", "invalid_mode")
        now = self.clock()
        hold_id = str(uuid.uuid4())
        with self.engine.begin() as connection:
            slot = connection.execute(sa.select(slots).where(slots.c.id == slot_id)).first()
            if slot is None:
                raise NotFound(f"slot {slot_id} does not exist", "slot_not_found")
            if mode not in slot.modes:
                raise AgendaError(f"slot {slot_id} is not offered in mode {mode}", "mode_not_offered")
            if slot.starts_at <= now:
                raise Conflict(f"slot {slot_id} is in the past", "slot_past")
            if connection.execute(sa.select(self._busy_overlap()).select_from(slots).where(slots.c.id == slot_id)).scalar():
                raise Conflict(f"slot {slot_id} is already held or booked", "slot_taken")
            if not self._take(connection, slot_id, hold_id, now):
                raise Conflict(f"slot {slot_id} is already held or booked", "slot_taken")
            expires = now + self.hold_ttl
            connection.execute(holds.insert().values(id=hold_id, slot_id=slot_id, mode=mode, created_at=now,
                                                     expires_at=expires, status="active"))
        return {"hold_id": hold_id, "slot_id": slot_id, "mode": mode, "expires_at": expires.isoformat() + "Z"}

    def release(self, hold_id: str) -> None:
        with self.engine.begin() as connection:
            hold = self._hold(connection, hold_id)
            if hold.status != "active":
                raise Conflict(f"hold {hold_id} is {hold.status}", f"hold_{hold.status}")
            connection.execute(holds.update().where(holds.c.id == hold_id).values(status="released"))
            connection.execute(slots.update().where(slots.c.id == hold.slot_id, slots.c.hold_id == hold_id)
                               .values(hold_id=None, held_until=None))

    def expire_holds(self) -> int:
        """Mark lapsed holds expired and free their slots; searches ignore them anyway."""
        now = self.clock()
        with self.engine.begin() as connection:
            connection.execute(slots.update().where(slots.c.status == "open", slots.c.held_until < now)
                               .values(hold_id=None, held_until=None))
            expired = connection.execute(holds.update().where(holds.c.status == "active", holds.c.expires_at < now)
                                         .values(status="expired")).rowcount
            # Counters whose window and lockout are both over are forgotten.
            connection.execute(code_attempts.delete().where(
                code_attempts.c.window_started < now - self.code_limits.window,
                sa.or_(code_attempts.c.locked_until.is_(None), code_attempts.c.locked_until < now)))
            return expired

    @staticmethod
    def _hold(connection: sa.engine.Connection, hold_id: str) -> sa.engine.Row:
        hold = connection.execute(sa.select(holds).where(holds.c.id == str(hold_id))).first()
        if hold is None:
            raise NotFound(f"hold {hold_id} does not exist", "hold_not_found")
        return hold

    def _book_slot(self, connection: sa.engine.Connection, hold: sa.engine.Row, now: datetime) -> None:
        """Turn a hold into a booked slot, even after expiry if nobody took the slot meanwhile."""
        if hold.status == "confirmed":
            raise Conflict(f"hold {hold.id} is already confirmed", "hold_already_confirmed")
        if hold.status == "released":
            raise Conflict(f"hold {hold.id} was released", "hold_released")
        starts_at = connection.execute(sa.select(slots.c.starts_at).where(slots.c.id == hold.slot_id)).scalar()
        if starts_at <= now:  # a hold left to lapse must not book a session already begun
            raise Conflict(f"slot {hold.slot_id} is in the past", "slot_past")
        if not self._take(connection, hold.slot_id, hold.id, now):
            raise Conflict("the hold expired and the slot was taken by someone else", "slot_taken")
        booked = connection.execute(
            slots.update().where(slots.c.id == hold.slot_id, slots.c.hold_id == hold.id, slots.c.status == "open")
            .values(status="booked", held_until=None)
        )
        if booked.rowcount != 1:
            raise Conflict("the slot was taken by someone else", "slot_taken")
        connection.execute(holds.update().where(holds.c.id == hold.id).values(status="confirmed"))

    # ---- bookings -------------------------------------------------------------------
    def confirm(self, hold_id: str, person: dict[str, Any], brief: dict[str, Any],
                conversation: str | None = None) -> dict[str, Any]:
        """Book the held slot: returns the booking and, once only, its secret. `conversation`:
        the pseudonymous key of the conversation that booked (kept as a keyed digest), so that
        its erasure reaches this booking (`anonymise_conversation`)."""
        if not person.get("contact_consent"):
            raise AgendaError("the person's consent to pass on their contact details is required", "consent_required")
        if not person.get("name") or not (person.get("email") or person.get("phone")):
            raise AgendaError("name and an email or a phone number are required", "contact_required")
        now = self.clock()
        secret, calendar = references.new_secret(), references.new_calendar_token()
        replayed = self._replay_confirm(hold_id, person, secret, calendar, now)
        if replayed:
            return replayed
        for _attempt in range(5):  # a reference collision is rare; try a new one
            reference = references.new_reference()
            try:
                with self.engine.begin() as connection:
                    hold = self._hold(connection, hold_id)
                    self._book_slot(connection, hold, now)
                    booking_id = connection.execute(bookings.insert().values(
                        reference=reference, slot_id=hold.slot_id, hold_id=hold.id, mode=hold.mode,
                        secret_hash=references.hash_secret(secret), secret_scheme=references.SCHEME,
                        calendar_token_hash=references.hash_calendar_token(calendar),
                        person_name=sealed.seal(person["name"][:120]),
                        conversation_key_hash=self._conversation_hash(conversation),
                        person_email=sealed.seal(person.get("email")), person_phone=sealed.seal(person.get("phone")),
                        contact_consent_at=now, brief=sealed.seal_json(brief), status="confirmed", created_at=now,
                        updated_at=now,
                    )).inserted_primary_key[0]
                    described = self._describe(connection, self._row(connection, booking_id))
                    # Same transaction: the booking and its messages exist together or not at all.
                    messages.queue(connection, "confirmed", described, booking_id=booking_id, brief=brief,
                                   messaging=self.messaging, now=now, event_key="confirmed")
            except IntegrityError as error:
                if "reference" in str(error.orig).lower():
                    continue
                raise Conflict("the slot was taken by someone else", "slot_taken") from error
            return {**self.booking(reference, secret), "secret": secret, "calendar_token": calendar,
                    "notifications": messages.notifications(described, self.messaging, now)}
        raise Failure("could not mint a unique reference", "reference_exhausted")

    def _replay_confirm(self, hold_id: str, person: dict[str, Any], secret: str, calendar: str,
                        now: datetime) -> dict[str, Any] | None:
        """The same person confirming the same hold again: the first answer was lost (the
        action server or the network failed after the booking was made). They get their
        booking back with a new code (the first one was shown to nobody), not a conflict
        that would leave them without a reference. Anyone else still gets the conflict."""
        with self.engine.begin() as connection:
            row = connection.execute(sa.select(bookings).where(bookings.c.hold_id == str(hold_id),
                                                               bookings.c.status == "confirmed")).first()
            same_person = row is not None and (
                sealed.unseal(row.person_name), sealed.unseal(row.person_email), sealed.unseal(row.person_phone)) == (
                person["name"][:120], person.get("email"), person.get("phone"))
            if not same_person:
                return None
            connection.execute(bookings.update().where(bookings.c.id == row.id)
                               .values(secret_hash=references.hash_secret(secret), secret_scheme=references.SCHEME,
                                       calendar_token_hash=references.hash_calendar_token(calendar), updated_at=now))
        described = self.booking(row.reference, secret)
        return {**described, "secret": secret, "calendar_token": calendar,
                "notifications": messages.notifications(described, self.messaging, now)}

    @staticmethod
    def _row(connection: sa.engine.Connection, booking_id: int) -> sa.engine.Row:
        return connection.execute(sa.select(bookings).where(bookings.c.id == booking_id)).first()

    def _booking_row(self, connection: sa.engine.Connection, reference: str, secret: str | None) -> sa.engine.Row:
        row = connection.execute(sa.select(bookings).where(bookings.c.reference == (reference or "").upper())).first()
        # Same answer for an unknown reference and a wrong secret: no guessing which exist.
        if row is None or not references.secret_matches(secret, row.secret_hash, row.secret_scheme):
            raise Forbidden(content.AGENDA_ERRORS["booking_not_found_or_wrong_secret"], "booking_not_found_or_wrong_secret")
        return row

    # ---- wrong codes: counted per booking and per client, locked out past the limit ----
    def _attempt_keys(self, reference: str, client: str | None) -> tuple[str, str | None]:
        booking_key = "booking:" + (reference or "").upper()[:32]
        client_key = "client:" + references.keyed("client:" + client) if client else None
        return booking_key, client_key

    def _check_lockouts(self, connection: sa.engine.Connection, booking_key: str, client_key: str | None,
                        now: datetime) -> None:
        keys = [key for key in (booking_key, client_key) if key]
        for row in connection.execute(sa.select(code_attempts).where(code_attempts.c.key.in_(keys))).all():
            if row.locked_until is not None and row.locked_until > now:
                retry_after = int((row.locked_until - now).total_seconds()) + 1
                raise (Locked if row.key == booking_key else TooManyAttempts)(retry_after)

    @staticmethod
    def _claim_attempt_row(connection: sa.engine.Connection, key: str, now: datetime) -> None:
        dialect_insert = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
        connection.execute(dialect_insert(code_attempts).values(key=key, failures=0, window_started=now)
                           .on_conflict_do_nothing(index_elements=["key"]))
        connection.execute(code_attempts.update().where(code_attempts.c.key == key)
                           .values(failures=code_attempts.c.failures))

    def _count_failure(self, connection: sa.engine.Connection, key: str, limit: int, now: datetime) -> None:
        limits = self.code_limits
        self._claim_attempt_row(connection, key, now)
        row = code_attempts.c
        connection.execute(code_attempts.update().where(row.key == key, row.window_started <= now - limits.window)
                           .values(failures=0, window_started=now))
        connection.execute(code_attempts.update().where(row.key == key).values(failures=row.failures + 1))
        connection.execute(code_attempts.update().where(row.key == key, row.failures >= limit)
                           .values(locked_until=now + limits.lockout, failures=0, window_started=now))

    def _verify_code(self, reference: str, secret: str | None, client: str | None) -> None:
        """Refuse a locked booking or client; count a wrong code (committed even though the
        request fails); forget a booking's wrong codes once its right one is given."""
        now = self.clock()
        booking_key, client_key = self._attempt_keys(reference, client)
        with self.engine.begin() as connection:
            # Write first: the booking's attempt row is locked for this transaction (a row lock on
            # PostgreSQL, the write lock on SQLite), so concurrent tries are counted one after the
            # other and none passes the lockout check on a stale count.
            self._claim_attempt_row(connection, booking_key, now)
            self._check_lockouts(connection, booking_key, client_key, now)
            try:
                self._booking_row(connection, reference, secret)
            except Forbidden:
                self._count_failure(connection, booking_key, self.code_limits.per_booking, now)
                if client_key:
                    self._count_failure(connection, client_key, self.code_limits.per_client, now)
                failed = True
            else:
                connection.execute(code_attempts.delete().where(code_attempts.c.key == booking_key))
                failed = False
        if failed:
            raise Forbidden(content.AGENDA_ERRORS["booking_not_found_or_wrong_secret"], "booking_not_found_or_wrong_secret")

    def booking_by_calendar_token(self, token: str | None) -> dict[str, Any]:
        """The booking a calendar link names; the same 404 for a wrong or revoked token."""
        if not token or len(token) > 64:
            raise NotFound(content.AGENDA_ERRORS["calendar_not_found"], "calendar_not_found")
        with self.engine.connect() as connection:
            row = connection.execute(sa.select(bookings).where(
                bookings.c.calendar_token_hash == references.hash_calendar_token(token))).first()
            if row is None:
                raise NotFound(content.AGENDA_ERRORS["calendar_not_found"], "calendar_not_found")
            return self._describe(connection, row)

    def booking(self, reference: str, secret: str | None, client: str | None = None) -> dict[str, Any]:
        self._verify_code(reference, secret, client)
        with self.engine.connect() as connection:
            row = self._booking_row(connection, reference, secret)
            return self._describe(connection, row)

    @staticmethod
    def _describe(connection: sa.engine.Connection, row: sa.engine.Row) -> dict[str, Any]:
        slot = connection.execute(sa.select(slots).where(slots.c.id == row.slot_id)).first()
        mediator = connection.execute(sa.select(mediators).where(mediators.c.id == slot.mediator_id)).first()
        return {
            "reference": row.reference, "status": row.status, "mode": row.mode,
            "slot_id": slot.id, "starts_at": slot.starts_at.isoformat() + "Z", "ends_at": slot.ends_at.isoformat() + "Z",
            "mediator": {"id": mediator.id, "name": mediator.name, "email": mediator.email,
                         "address": mediator.address, "postal_code": mediator.postal_code, "commune": mediator.commune},
            "person": {"name": sealed.unseal(row.person_name), "email": sealed.unseal(row.person_email),
                       "phone": sealed.unseal(row.person_phone)},
        }

    def cancel(self, reference: str, secret: str | None, client: str | None = None) -> dict[str, Any]:
        self._verify_code(reference, secret, client)
        now = self.clock()
        with self.engine.begin() as connection:
            row = self._booking_row(connection, reference, secret)
            if row.status == "cancelled":
                raise Conflict(f"booking {row.reference} is already cancelled", "booking_already_cancelled")
            connection.execute(bookings.update().where(bookings.c.id == row.id).values(status="cancelled", updated_at=now))
            connection.execute(slots.update().where(slots.c.id == row.slot_id)
                               .values(status="open", hold_id=None, held_until=None))
            described = self._describe(connection, self._row(connection, row.id))
            messages.queue(connection, "cancelled", described, booking_id=row.id, brief=None,
                           messaging=self.messaging, now=now, event_key="cancelled")
            return described

    @staticmethod
    def _conversation_hash(conversation: str | None) -> str | None:
        return references.keyed("conversation:" + conversation) if conversation else None

    def anonymise_conversation(self, conversation: str) -> list[str]:
        """Every booking the conversation made, stripped of the person (as `anonymise`): its
        erasure, whichever booking its slots still name. The references, oldest first."""
        now = self.clock()
        key = self._conversation_hash(conversation)
        if not key:
            return []
        with self.engine.begin() as connection:
            rows = connection.execute(sa.select(bookings).where(bookings.c.conversation_key_hash == key)
                                      .order_by(bookings.c.id)).all()
            for row in rows:
                self._strip_person(connection, row, now)
            return [row.reference for row in rows]

    @staticmethod
    def _strip_person(connection: sa.engine.Connection, row: sa.engine.Row, now: datetime) -> None:
        brief = sealed.unseal_json(row.brief) or {}
        connection.execute(bookings.update().where(bookings.c.id == row.id).values(
            person_name=content.BOOKING_ANONYMISED_NAME, person_email=None, person_phone=None, updated_at=now,
            calendar_token_hash=None, conversation_key_hash=None,
            brief={"anonymised": True, "domain": brief.get("domain"), "mode": row.mode,
                   "note": content.BOOKING_ANONYMISED_NOTE}))
        # Its messages not yet sent go (a reminder, a confirmation still queued); those sent keep
        # their status for the operator but lose the recipient and the bodies.
        outbox_module.drop_pending(connection, [row.id])
        connection.execute(outbox.update().where(outbox.c.booking_id == row.id).values(
            recipient="", body_text="", body_html=None, attachments=None))

    def anonymise(self, reference: str, secret: str | None, client: str | None = None) -> dict[str, Any]:
        """The person asked to erase their data: the booking keeps its slot, mode and domain
        (what the mediator needs to hold the appointment) and loses the name, contact
        details and the rest of the brief; its calendar link is revoked. Idempotent."""
        self._verify_code(reference, secret, client)
        now = self.clock()
        with self.engine.begin() as connection:
            row = self._booking_row(connection, reference, secret)
            self._strip_person(connection, row, now)
            return self._describe(connection, connection.execute(sa.select(bookings).where(bookings.c.id == row.id)).first())

    def reschedule(self, reference: str, secret: str | None, hold_id: str, client: str | None = None) -> dict[str, Any]:
        """Move a booking to the slot held by `hold_id`; same reference, old slot freed. The
        calendar link changes too (the old one is revoked): the new one is in the answer."""
        self._verify_code(reference, secret, client)
        now = self.clock()
        calendar = references.new_calendar_token()
        with self.engine.begin() as connection:
            row = self._booking_row(connection, reference, secret)
            if row.status != "confirmed":
                raise Conflict(f"booking {row.reference} is {row.status}", f"booking_{row.status}")
            hold = self._hold(connection, hold_id)
            if hold.slot_id == row.slot_id:
                raise Conflict("the new slot is the current one", "same_slot")
            before = self._describe(connection, row)
            self._book_slot(connection, hold, now)
            connection.execute(slots.update().where(slots.c.id == row.slot_id)
                               .values(status="open", hold_id=None, held_until=None))
            connection.execute(bookings.update().where(bookings.c.id == row.id)
                               .values(slot_id=hold.slot_id, hold_id=hold.id, mode=hold.mode, updated_at=now,
                                       calendar_token_hash=references.hash_calendar_token(calendar)))
            described = self._describe(connection, self._row(connection, row.id))
            messages.queue(connection, "moved", described, booking_id=row.id, brief=None, messaging=self.messaging,
                           now=now, event_key=f"moved-{hold.id}", old=before)
            return {**described, "calendar_token": calendar}

    def move_offers(self, reference: str, secret: str | None, client: str | None = None, limit: int = 8,
                    days: int = 28, others: int = 3) -> tuple[dict[str, Any], list[matching.Offer]]:
        """The booking and the open slots it may move to over the next `days`: the same
        mediator in the same mode first (soonest first), then up to `others` of other mediators
        of the same domain in that mode (in person: near the current office), more of them
        when the same mediator has fewer. The code is checked (and counted) as everywhere."""
        self._verify_code(reference, secret, client)
        now = self.clock()
        with self.engine.connect() as connection:
            row = self._booking_row(connection, reference, secret)
            if row.status != "confirmed":
                raise Conflict(f"booking {row.reference} is {row.status}", f"booking_{row.status}")
            described = self._describe(connection, row)
            domain = (sealed.unseal_json(row.brief) or {}).get("domain")
        mediator, mode = described["mediator"], row.mode
        rows = [slot for slot in self.open_slot_rows(now, now + timedelta(days=days), domain)
                if slot["slot_id"] != row.slot_id]
        in_person = mode == "in_person"
        same = sorted((matching.Offer(
            slot_id=slot["slot_id"], mediator_id=slot["mediator_id"], mediator_name=slot["name"],
            starts_at=slot["starts_at"], ends_at=slot["ends_at"], mode=mode, tier=0,
            place=slot["commune"] if in_person else "", address=slot["address"] if in_person else "")
            for slot in rows if slot["mediator_id"] == mediator["id"] and mode in slot["slot_modes"]),
            key=lambda offer: offer.starts_at)
        # A booking whose domain is unknown (no brief) stays with its mediator: nobody else is known to fit.
        elsewhere = matching.offers_for([slot for slot in rows if slot["mediator_id"] != mediator["id"]],
                                        domain, mediator["postal_code"], mode) if domain else []
        first = same[:limit - min(len(elsewhere), others)]
        room = limit - len(first)
        return described, first + (matching.diverse_page(elsewhere, room) if room > 0 else [])

    def brief(self, reference: str, secret: str | None, client: str | None = None) -> dict[str, Any]:
        self._verify_code(reference, secret, client)
        with self.engine.connect() as connection:
            return dict(sealed.unseal_json(self._booking_row(connection, reference, secret).brief))
