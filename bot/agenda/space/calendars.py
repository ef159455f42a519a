"""The mediator's calendars: the private subscription feed of their bookings, and the
import of their own busy times so that no slot is offered over another commitment.

The feed's token is random (192 bits), kept only as a keyed hash: the URL is shown once,
at creation; revoking clears the hash, regenerating replaces it. Busy times keep only
start and end (never the titles of the mediator's other appointments).
"""
from __future__ import annotations

import ipaddress
import json
import logging
import socket
import subprocess
import sys
import urllib.parse
import urllib.request
from datetime import datetime, timedelta, timezone

import icalendar
import sqlalchemy as sa

from bot import content
from bot.paths import ROOT
from bot.agenda import references
from bot.agenda.schema import bookings, busy_periods, mediator_accounts, mediators, slots
from bot.agenda.space import hours

BUSY_HORIZON = timedelta(days=90)
PARSE_SECONDS = 10.0  # expanding a busy-times calendar: a real one of 90 days takes well under a second
log = logging.getLogger(__name__)
MAX_FEED_BYTES = 2 * 1024 * 1024
FEED_PAST = timedelta(days=90)  # past appointments kept in the feed


class CalendarError(ValueError):
    """A busy-times source that cannot be read; the message is French, for the mediator."""


def hash_feed_token(token: str) -> str:
    return references.hash_calendar_token("mediator-feed:" + token)


def ensure_account(connection: sa.engine.Connection, mediator_id: int) -> None:
    if connection.execute(sa.select(mediator_accounts.c.mediator_id)
                          .where(mediator_accounts.c.mediator_id == mediator_id)).first() is None:
        connection.execute(mediator_accounts.insert().values(mediator_id=mediator_id,
                                                             session_minutes=hours.DEFAULT_SESSION_MINUTES))


def new_feed_token(connection: sa.engine.Connection, mediator_id: int) -> str:
    """A new subscription token (the previous one stops working)."""
    ensure_account(connection, mediator_id)
    token = references.new_calendar_token()
    connection.execute(mediator_accounts.update().where(mediator_accounts.c.mediator_id == mediator_id)
                       .values(feed_token_hash=hash_feed_token(token)))
    return token


def revoke_feed(connection: sa.engine.Connection, mediator_id: int) -> None:
    connection.execute(mediator_accounts.update().where(mediator_accounts.c.mediator_id == mediator_id)
                       .values(feed_token_hash=None))


def has_feed(connection: sa.engine.Connection, mediator_id: int) -> bool:
    return connection.execute(sa.select(mediator_accounts.c.feed_token_hash).where(
        mediator_accounts.c.mediator_id == mediator_id)).scalar() is not None


def mediator_for_feed(connection: sa.engine.Connection, token: str) -> int | None:
    if not token or len(token) > 64:
        return None
    return connection.execute(sa.select(mediator_accounts.c.mediator_id).join(
        mediators, mediators.c.id == mediator_accounts.c.mediator_id).where(
        mediator_accounts.c.feed_token_hash == hash_feed_token(token), mediators.c.active.is_(True))).scalar()


def feed(connection: sa.engine.Connection, mediator_id: int, now: datetime, space_url: str) -> bytes:
    """VCALENDAR of the mediator's bookings (cancelled ones marked CANCELLED). No brief and
    no contact inside: calendars are synced to third parties; both are in the space."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Mediation Accueil//Espace mediateur//FR")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", content.SPACE_FEED_NAME)
    calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    rows = connection.execute(
        sa.select(bookings.c.reference, bookings.c.mode, bookings.c.status, bookings.c.person_name,
                  bookings.c.updated_at, slots.c.starts_at, slots.c.ends_at, mediators.c.address,
                  mediators.c.postal_code, mediators.c.commune)
        .join(slots, slots.c.id == bookings.c.slot_id).join(mediators, mediators.c.id == slots.c.mediator_id)
        .where(slots.c.mediator_id == mediator_id, slots.c.starts_at >= now - FEED_PAST)
        .order_by(slots.c.starts_at))
    for row in rows:
        event = icalendar.Event()
        event.add("uid", f"{row.reference}@mediation-accueil")
        event.add("dtstamp", now.replace(tzinfo=timezone.utc))
        event.add("last-modified", row.updated_at.replace(tzinfo=timezone.utc))
        event.add("dtstart", row.starts_at.replace(tzinfo=timezone.utc))
        event.add("dtend", row.ends_at.replace(tzinfo=timezone.utc))
        event.add("summary", content.SPACE_FEED_SUMMARY.format(reference=row.reference, name=row.person_name,
                                                               mode=content.MODE_LABELS[row.mode]))
        event.add("description", content.SPACE_FEED_DESCRIPTION.format(url=f"{space_url}/rendez-vous/{row.reference}"))
        event.add("location", f"{row.address}, {row.postal_code} {row.commune}" if row.mode == "in_person"
                  else content.MODE_LABELS[row.mode])
        event.add("status", "CANCELLED" if row.status == "cancelled" else "CONFIRMED")
        event.add("transp", "OPAQUE")
        calendar.add_component(event)
    return calendar.to_ical()


def busy_from_ics(ics_text: str | bytes, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """Busy periods (naive UTC) between `start` and `end`; free (TRANSP:TRANSPARENT) and
    cancelled events are not busy. Raises CalendarError for what is not a calendar, and for
    one too heavy to expand: busy_expand.py runs in a child process stopped after
    PARSE_SECONDS (a rule repeating every second would otherwise hold a worker for hours)."""
    data = ics_text.encode("utf-8", "surrogatepass") if isinstance(ics_text, str) else ics_text
    try:
        child = subprocess.run([sys.executable, "-m", "bot.agenda.space.busy_expand", start.isoformat(),
                                end.isoformat()], input=data, capture_output=True, timeout=PARSE_SECONDS,
                               cwd=ROOT, check=False)
        result = json.loads(child.stdout or b"{}")
    except subprocess.TimeoutExpired:  # run() has killed it
        raise CalendarError(content.SPACE_BUSY_TOO_COMPLEX) from None
    except ValueError:
        result = {}
    if "periods" in result:
        return [(datetime.fromisoformat(begin), datetime.fromisoformat(finish)) for begin, finish in result["periods"]]
    if result.get("error") == "too_many":
        raise CalendarError(content.SPACE_BUSY_TOO_COMPLEX)
    if result.get("error") != "unreadable":  # the child died (out of memory…)
        log.warning("busy-times expansion failed (exit code %s)", child.returncode)
    raise CalendarError(content.SPACE_BUSY_UNREADABLE)


def check_url(url: str, allow_private: bool = False) -> str:
    """An https (or webcal) address of a public host; anything else is refused before any
    request, so the service cannot be made to read its own network."""
    url = (url or "").strip()
    if url.lower().startswith("webcal://"):
        url = "https://" + url[len("webcal://"):]
    try:
        parsed = urllib.parse.urlsplit(url)
        port = parsed.port
    except ValueError:  # "https://[", a port that is not a number or out of range
        raise CalendarError(content.SPACE_BUSY_BAD_URL) from None
    if parsed.scheme not in (("https", "http") if allow_private else ("https",)) or not parsed.hostname \
            or len(url) > 500 or parsed.username or parsed.password:
        raise CalendarError(content.SPACE_BUSY_BAD_URL)
    if not allow_private:
        try:
            addresses = {info[4][0] for info in socket.getaddrinfo(parsed.hostname, port or 443)}
        except (OSError, UnicodeError):
            raise CalendarError(content.SPACE_BUSY_UNREACHABLE) from None
        if any(not ipaddress.ip_address(address.split("%")[0]).is_global for address in addresses):
            raise CalendarError(content.SPACE_BUSY_BAD_URL)
    return url


def fetch(url: str, allow_private: bool = False, timeout: float = 20) -> bytes:
    url = check_url(url, allow_private)
    request = urllib.request.Request(url, headers={"User-Agent": "MediationAccueil-Agenda/1"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:  # noqa: S310 - scheme checked above
            body = reply.read(MAX_FEED_BYTES + 1)
    except (OSError, ValueError):
        raise CalendarError(content.SPACE_BUSY_UNREACHABLE) from None
    if len(body) > MAX_FEED_BYTES:
        raise CalendarError(content.SPACE_BUSY_TOO_LARGE)
    return body


def store_busy(connection: sa.engine.Connection, mediator_id: int, periods: list[tuple[datetime, datetime]],
               now: datetime, url: str | None) -> hours.Regeneration:
    """Replace the mediator's busy times, then regenerate their slots around them."""
    ensure_account(connection, mediator_id)
    connection.execute(busy_periods.delete().where(busy_periods.c.mediator_id == mediator_id))
    if periods:
        connection.execute(busy_periods.insert(), [{"mediator_id": mediator_id, "starts_at": begin, "ends_at": finish}
                                                   for begin, finish in periods])
    connection.execute(mediator_accounts.update().where(mediator_accounts.c.mediator_id == mediator_id)
                       .values(busy_url=url, busy_imported_at=now))
    return hours.regenerate(connection, mediator_id, now)


def import_busy(engine: sa.engine.Engine, mediator_id: int, ics_text: str | bytes, now: datetime,
                url: str | None = None) -> int:
    periods = busy_from_ics(ics_text, now - timedelta(days=1), now + BUSY_HORIZON)
    with engine.begin() as connection:
        store_busy(connection, mediator_id, periods, now, url)
    return len(periods)


def refresh_busy_urls(engine: sa.engine.Engine, now: datetime, allow_private: bool = False) -> int:
    """Re-read every mediator's busy-times URL (housekeeping); a failure keeps the last times."""
    with engine.connect() as connection:
        sources = connection.execute(sa.select(mediator_accounts.c.mediator_id, mediator_accounts.c.busy_url)
                                     .where(mediator_accounts.c.busy_url.is_not(None))).fetchall()
    refreshed = 0
    for mediator_id, url in sources:
        try:
            import_busy(engine, mediator_id, fetch(url, allow_private), now, url)
            refreshed += 1
        except CalendarError:
            continue
    return refreshed
