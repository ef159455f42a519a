"""The agenda HTTP service (aiohttp). Documented in bot/agenda/openapi.yaml.

The database work is synchronous SQLAlchemy run in a thread pool, so the event loop
never blocks. Every error is JSON {"error": {"code", "message"}} with a French message, but
on the person's booking page (/public/booking/*), which answers with itself in French;
no stack trace leaves.
Service routes (/api) need the bearer AGENDA_TOKEN when it is set; the mediator's
routes (/api/mediators/{id}/bookings) need AGENDA_ADMIN_TOKEN; the person's calendar
file (/public/calendar/{token}.ics) needs only its own random token, never the code.
Wrong codes are counted per booking and per client (the X-Client-Key header of the
conversation's server, else the caller's address) and lock out past a limit (423, 429).
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from functools import partial
from pathlib import Path
from typing import Any, Awaitable, Callable

import sqlalchemy as sa
from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from bot.agenda import db, demo, forms, ics, mail, manage, messages, references, sealed, sms
from bot.privacy.crypto import same_secret
from bot.agenda.sender import Sender
from bot import content
from bot.language.contacts import parse_contact
from bot.codes import DOMAINS, MODES, NO_PREFERENCE
from bot.agenda.schema import bookings, mediators, slots
from bot.agenda.store import AgendaError, AgendaStore, CodeLimits, Conflict, Forbidden, NotFound
from bot.agenda.space import calendars as space_calendars, hours as space_hours, web as space_web

log = logging.getLogger("agenda")
OPENAPI = Path(__file__).with_name("openapi.yaml")
STORE = web.AppKey("store", AgendaStore)
POOL = web.AppKey("pool", ThreadPoolExecutor)
SETTINGS = web.AppKey("settings", dict)
HOUSEKEEPING = web.AppKey("housekeeping", asyncio.Task)
SENDER = web.AppKey("sender", Sender)
SENDING = web.AppKey("sending", asyncio.Task)
MAX_BODY = 64 * 1024
# Bounds of every parameter (issue 16): a value outside them is a 400 (or the 404/403 an
# unknown id gets), never a 500 from the database or from date arithmetic.
MAX_ID = 2**31 - 1  # the id columns are 32-bit integers on PostgreSQL
MAX_EXCLUDED = 100
MAX_LIMIT_DIGITS = 3
DATES_BEFORE = timedelta(days=366)  # how far from the agenda's clock a search may start or end
DATES_AFTER = timedelta(days=2 * 366)
_HOLD_ID = re.compile(r"^[0-9a-f-]{1,36}$")
_REFERENCE = re.compile(r"^MED-[" + references.ALPHABET + r"]{5}$")
_SECRET = re.compile(r"^[A-Za-z0-9]{1,64}$")
_CALENDAR_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# Control (NUL…), format, surrogate, private-use and unassigned characters: PostgreSQL refuses
# NUL, no driver can encode a lone surrogate, and none belongs in a name or an address.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})


def clean_text(value: str, allow_newlines: bool = False) -> bool:
    return not any(unicodedata.category(char) in _REFUSED_CATEGORIES
                   and not (allow_newlines and char in "\n\t") for char in value)


class TooLarge(AgendaError):
    status = 413


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


def _page_error(request: web.Request, status: int) -> web.Response:
    """The person's booking page answers every refusal with itself, in French (and the code
    form again when the address names a booking)."""
    named = request.path.split("/")[3:4]  # /public/booking/{reference}/…: no route matched on a 404 or 405
    reference = named[0].upper() if named and _REFERENCE.match(named[0].upper()) else ""
    notice = content.MANAGE_PAGE_ERRORS.get(status) or (content.MANAGE_PAGE_REFUSED if status < 500
                                                        else content.MANAGE_PAGE_ERRORS[500])
    return _html(_manage_page(reference, notice, form=bool(reference)), status)


@web.middleware
async def errors_middleware(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]):
    page = request.path.startswith("/public/booking/")
    try:
        return await handler(request)
    except AgendaError as error:
        if page:
            return _page_error(request, error.status)
        reply = _error(error.status, error.code, error.message)
        if getattr(error, "retry_after", None):
            reply.headers["Retry-After"] = str(error.retry_after)
        return reply
    except web.HTTPException as error:
        if error.status < 400:
            raise
        if page:
            reply = _page_error(request, error.status)
        elif error.status == 413:
            reply = _error(413, "body_too_large", content.AGENDA_ERRORS["body_too_large"].format(kb=MAX_BODY // 1024))
        else:
            reply = _error(error.status, error.reason.lower().replace(" ", "_"),
                           content.AGENDA_ERRORS.get(f"http_{error.status}", content.AGENDA_ERRORS["http_error"]))
        if error.status == 405:
            reply.headers["Allow"] = error.headers.get("Allow", "")
        return reply
    except Exception:  # noqa: BLE001 - the log has the trace, the client gets a clean 500
        log.exception("unhandled error on %s %s", request.method, request.path)
        return _page_error(request, 500) if page else _error(500, "internal_error",
                                                             content.AGENDA_ERRORS["internal_error"])


class _MalformedRequestsLog(logging.Filter):
    """aiohttp logs a request it cannot parse (a control character in a header…) with its
    raw bytes, cookies included: one line without them instead (no client data in logs)."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, HttpProcessingError):
            record.msg, record.args = "malformed HTTP request refused (%s)", (error.code,)
            record.exc_info, record.exc_text = None, None
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


MALFORMED_REQUESTS_LOG = _MalformedRequestsLog()


def _bearer_ok(request: web.Request, expected: str | None) -> bool:
    if not expected:
        return True
    return same_secret(request.headers.get("Authorization", ""), f"Bearer {expected}")


@web.middleware
async def auth_middleware(request: web.Request, handler):
    settings = request.app[SETTINGS]
    if request.path.startswith("/api/mediators/") and request.path.endswith("/bookings"):
        if not settings["admin_token"] or not _bearer_ok(request, settings["admin_token"]):
            return _error(401, "unauthorized", "mediator access needs the admin token")
    elif request.path.startswith("/api/") and request.path != "/api/openapi.yaml":
        if not _bearer_ok(request, settings["token"]):
            return _error(401, "unauthorized", content.AGENDA_ERRORS["unauthorized"])
    return await handler(request)


async def _run(request: web.Request, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(request.app[POOL], partial(function, *args, **kwargs))


async def _json_body(request: web.Request) -> dict[str, Any]:
    if request.content_length and request.content_length >= MAX_BODY:
        raise TooLarge(content.AGENDA_ERRORS["body_too_large"].format(kb=MAX_BODY // 1024), "body_too_large")
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):  # RecursionError: nested too deep
        raise AgendaError(content.AGENDA_ERRORS["invalid_json"], "invalid_json") from None
    if not isinstance(body, dict):
        raise AgendaError(content.AGENDA_ERRORS["invalid_json"], "invalid_json")
    return body


def _int_id(value: str, what: str) -> int:
    if not (value.isascii() and value.isdigit()) or len(value) > 10 or int(value) > MAX_ID:
        raise NotFound(f"Identifiant inconnu ({what}).", f"{what}_not_found")
    return int(value)


def _hold_id(value: object) -> str:
    """A hold id has the shape the agenda gives (a UUID); any other is unknown."""
    if not isinstance(value, str) or not _HOLD_ID.match(value):
        raise NotFound(content.AGENDA_ERRORS["hold_not_found"], "hold_not_found")
    return value


def _reference(value: str) -> str:
    """A booking reference (MED-XXXXX); any other text gets the answer of an unknown one."""
    if not _REFERENCE.match(value.upper()):
        raise Forbidden(content.AGENDA_ERRORS["booking_not_found_or_wrong_secret"], "booking_not_found_or_wrong_secret")
    return value.upper()


def _calendar_token(value: str) -> str:
    """A calendar link's token (url-safe base64); any other text names no calendar."""
    if not _CALENDAR_TOKEN.match(value):
        raise NotFound(content.AGENDA_ERRORS["calendar_not_found"], "calendar_not_found")
    return value


def _date(value: str | None, default: datetime, now: datetime) -> datetime:
    if not value:
        return default
    try:
        parsed = datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith("Z") else value)
        if parsed.tzinfo is not None:  # an explicit offset is converted, not dropped
            parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
    except (ValueError, OverflowError):  # 9999-12-31T23:59:59-01:00 overflows once in UTC
        raise AgendaError(content.AGENDA_ERRORS["invalid_date"], "invalid_date") from None
    if not now - DATES_BEFORE <= parsed <= now + DATES_AFTER:
        raise AgendaError(content.AGENDA_ERRORS["date_out_of_bounds"], "invalid_date")
    return parsed


def _text(body: dict, key: str, limit: int, required: bool = False) -> str | None:
    value = body.get(key)
    if value is None or value == "":
        if required:
            raise AgendaError(content.AGENDA_ERRORS["missing_field"].format(key=key), f"missing_{key}")
        return None
    if not isinstance(value, str) or len(value) > limit or not clean_text(value):
        raise AgendaError(content.AGENDA_ERRORS["invalid_field"].format(key=key, limit=limit), f"invalid_{key}")
    return value.strip()


def _clean_json(value: Any) -> bool:
    """Every string (keys too) of a JSON value free of NUL and unencodable characters."""
    if isinstance(value, str):
        return clean_text(value, allow_newlines=True)
    if isinstance(value, dict):
        return all(_clean_json(key) and _clean_json(item) for key, item in value.items())
    if isinstance(value, list):
        return all(_clean_json(item) for item in value)
    return True


# ---- handlers ---------------------------------------------------------------------------
async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def openapi(request: web.Request) -> web.Response:
    return web.Response(text=OPENAPI.read_text(encoding="utf-8"), content_type="application/yaml")


async def search_slots(request: web.Request) -> web.Response:
    query = request.query
    store = request.app[STORE]
    domain = query.get("domain") or None
    if domain and domain not in DOMAINS + ("other",):
        raise AgendaError(content.AGENDA_ERRORS["invalid_domain"].format(values=", ".join(DOMAINS)), "invalid_domain")
    mode = query.get("mode") or None
    if mode and mode not in MODES + (NO_PREFERENCE,):
        raise AgendaError(content.AGENDA_ERRORS["invalid_mode"].format(values=", ".join(MODES), none=NO_PREFERENCE), "invalid_mode")
    postal_code = query.get("postal_code") or None
    if postal_code and not (len(postal_code) == 5 and postal_code.isascii() and postal_code.isdigit()):
        raise AgendaError(content.AGENDA_ERRORS["invalid_postal_code"], "invalid_postal_code")
    now = store.clock()
    start = _date(query.get("from"), now, now)
    end = _date(query.get("to"), start + timedelta(days=demo.HORIZON_DAYS), now)
    limit_text = query.get("limit", "3").strip()
    parts = [part.strip() for part in query.get("exclude", "").split(",") if part.strip()]
    if not (limit_text.isascii() and limit_text.isdigit() and len(limit_text) <= MAX_LIMIT_DIGITS) \
            or len(parts) > MAX_EXCLUDED \
            or not all(part.isascii() and part.isdigit() and len(part) <= 10 and int(part) <= MAX_ID for part in parts):
        raise AgendaError(content.AGENDA_ERRORS["invalid_query"].format(max_excluded=MAX_EXCLUDED), "invalid_query")
    limit = min(max(int(limit_text), 1), 20)
    exclude = {int(part) for part in parts}
    page, total = await _run(request, store.search, domain, postal_code, mode, start, end, limit, exclude)
    return web.json_response({"slots": [offer.as_json() for offer in page], "remaining": total})


async def hold_slot(request: web.Request) -> web.Response:
    slot_id = _int_id(request.match_info["slot_id"], "slot")
    body = await _json_body(request)
    mode = _text(body, "mode", 16, required=True)
    return web.json_response(await _run(request, request.app[STORE].hold, slot_id, mode), status=201)


async def release_hold(request: web.Request) -> web.Response:
    await _run(request, request.app[STORE].release, _hold_id(request.match_info["hold_id"]))
    return web.Response(status=204)


async def confirm_hold(request: web.Request) -> web.Response:
    body = await _json_body(request)
    person = body.get("person")
    brief = body.get("brief", {})
    if not isinstance(person, dict) or not isinstance(brief, dict):
        raise AgendaError(content.AGENDA_ERRORS["invalid_body"], "invalid_body")
    if len(json.dumps(brief)) > 16_000 or not _clean_json(brief):
        raise AgendaError(content.AGENDA_ERRORS["invalid_brief"], "invalid_brief")
    contact = {
        "name": _text(person, "name", 120, required=True),
        "email": _text(person, "email", 254), "phone": _text(person, "phone", 32),
        "contact_consent": person.get("contact_consent") is True,
    }
    for key in ("email", "phone"):  # the same checks as in the conversation, for any client
        if contact[key] and (parse_contact(contact[key]) or {}).get(key) is None:
            raise AgendaError(content.AGENDA_ERRORS[f"invalid_{key}"], f"invalid_{key}")
    conversation = _text(body, "conversation", 128)
    booking = await _run(request, request.app[STORE].confirm, _hold_id(request.match_info["hold_id"]), contact, brief,
                         conversation)
    return web.json_response(booking, status=201)


async def anonymise_conversation(request: web.Request) -> web.Response:
    """Erasure of one conversation: every booking it made loses the person's data."""
    body = await _json_body(request)
    conversation = _text(body, "conversation", 128, required=True)
    return web.json_response({"anonymised": await _run(request, request.app[STORE].anonymise_conversation,
                                                       conversation)})


def _secret(request: web.Request, body: dict | None = None) -> str | None:
    """The code, from the body or a header: never from the URL (URLs end up in logs). Anything
    but the code's letters and digits cannot match: treated as a wrong code."""
    secret = (body or {}).get("secret") or request.headers.get("X-Booking-Secret")
    return secret if isinstance(secret, str) and _SECRET.match(secret) else None


def _client(request: web.Request) -> str:
    """Who is trying codes: the person the conversation's server names (X-Client-Key, a
    pseudonym), else the caller's address. Stored only as a keyed digest (store.py)."""
    named = request.headers.get("X-Client-Key", "").strip()
    if not (named.isascii() and named.isprintable()):  # undecodable bytes: counted by address
        named = ""
    return "key:" + named[:128] if named else "ip:" + (request.remote or "unknown")


async def get_booking(request: web.Request) -> web.Response:
    booking = await _run(request, request.app[STORE].booking, _reference(request.match_info["reference"]),
                         _secret(request), _client(request))
    return web.json_response(booking)


async def cancel_booking(request: web.Request) -> web.Response:
    body = await _json_body(request)
    booking = await _run(request, request.app[STORE].cancel, _reference(request.match_info["reference"]),
                         _secret(request, body), _client(request))
    return web.json_response(booking)


async def anonymise_booking(request: web.Request) -> web.Response:
    body = await _json_body(request)
    booking = await _run(request, request.app[STORE].anonymise, _reference(request.match_info["reference"]),
                         _secret(request, body), _client(request))
    return web.json_response(booking)


async def reschedule_booking(request: web.Request) -> web.Response:
    body = await _json_body(request)
    hold_id = _hold_id(_text(body, "hold_id", 36, required=True))
    booking = await _run(request, request.app[STORE].reschedule, _reference(request.match_info["reference"]),
                         _secret(request, body), hold_id, _client(request))
    return web.json_response(booking)


async def booking_ics(request: web.Request) -> web.Response:
    store = request.app[STORE]
    booking = await _run(request, store.booking_by_calendar_token, _calendar_token(request.match_info["token"]))
    return web.Response(body=ics.invitation(booking, store.clock()), content_type="text/calendar", charset="utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{booking["reference"]}.ics"'})


def _manage_page(reference: str, notice: str = "", form: bool = True) -> str:
    """The page of the messages' link: asks for the code, then moves or cancels (manage.py)."""
    return manage.page(reference, manage.code_form(reference) if form else "", notice)


def _html(text: str, status: int = 200) -> web.Response:
    return web.Response(text=text, status=status, content_type="text/html", charset="utf-8",
                        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
                                 "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                                                            "form-action 'self'; frame-ancestors 'none'"})


async def manage_booking_page(request: web.Request) -> web.Response:
    try:
        reference = _reference(request.match_info["reference"])
    except Forbidden:
        return _html(_manage_page("", content.MANAGE_WRONG_CODE, form=False), 404)
    return _html(_manage_page(reference))


async def manage_booking_cancel(request: web.Request) -> web.Response:
    """The code comes in the form's body (never the URL); wrong codes are counted and locked
    out as everywhere else."""
    try:
        reference = _reference(request.match_info["reference"])
    except Forbidden:
        return _html(_manage_page("", content.MANAGE_WRONG_CODE, form=False), 404)
    form = await _page_form(request, reference)
    if isinstance(form, web.Response):
        return form
    try:
        await _run(request, request.app[STORE].cancel, reference, _form_secret(form), _client(request))
    except AgendaError as error:
        if error.code == "booking_already_cancelled":
            return _html(_manage_page(reference, content.MANAGE_ALREADY_CANCELLED, form=False), 409)
        message = content.MANAGE_WRONG_CODE if error.status == 403 else error.message
        return _html(_manage_page(reference, message), error.status)
    return _html(_manage_page(reference, content.MANAGE_CANCELLED.format(reference=reference), form=False))


async def _page_form(request: web.Request, reference: str) -> Any:
    """The page's form fields, or the French page that answers a body no form of ours sends
    (too large, not url-encoded UTF-8): the form again, nothing counted."""
    try:
        return await forms.read_form(request, MAX_BODY)
    except forms.TooLarge:
        return _html(_manage_page(reference, content.MANAGE_TOO_LARGE), 413)
    except forms.Unreadable:
        return _html(_manage_page(reference, content.MANAGE_UNREADABLE), 400)


def _form_secret(form: Any) -> str | None:
    secret = form.get("secret")
    return secret.strip().lower() if isinstance(secret, str) and _SECRET.match(secret.strip()) else None


def _code_refused(reference: str, error: AgendaError) -> web.Response:
    """The cancel form's answers to a refused code: one neutral message for an unknown
    reference or a wrong code; the lockouts' own message (423, 429) with the form again."""
    if error.code in ("booking_already_cancelled", "booking_cancelled"):
        return _html(_manage_page(reference, content.MANAGE_ALREADY_CANCELLED, form=False), 409)
    if error.status == 409:
        return _html(_manage_page(reference, content.MANAGE_MOVE_NOT_MOVABLE, form=False), 409)
    message = content.MANAGE_WRONG_CODE if error.status == 403 else error.message
    reply = _html(_manage_page(reference, message), error.status)
    if getattr(error, "retry_after", None):
        reply.headers["Retry-After"] = str(error.retry_after)
    return reply


async def _move_offers_page(request: web.Request, reference: str, secret: str | None, notice: str = "",
                            status: int = 200) -> web.Response:
    """The open slots the booking may move to (store.move_offers), with a fresh form token."""
    store = request.app[STORE]
    try:
        booking, offers = await _run(request, store.move_offers, reference, secret, _client(request))
    except AgendaError as error:
        return _code_refused(reference, error)
    token = manage.move_token(reference, secret, [offer.slot_id for offer in offers], store.clock())
    return _html(manage.page(reference, manage.offers_form(reference, booking, offers, token), notice), status)


async def manage_booking_move(request: web.Request) -> web.Response:
    """Two steps on one route. With `secret`: the code is checked (counted, locked out as for
    cancelling) and the open slots are listed. With `token` and `slot`: the chosen slot is held
    and the booking moved through store.reschedule (its messages queued in its transaction)."""
    try:
        reference = _reference(request.match_info["reference"])
    except Forbidden:
        return _html(_manage_page("", content.MANAGE_WRONG_CODE, form=False), 404)
    form = await _page_form(request, reference)
    if isinstance(form, web.Response):
        return form
    store = request.app[STORE]
    if "token" not in form:
        return await _move_offers_page(request, reference, _form_secret(form))
    token = manage.open_move_token(form.get("token"), reference, store.clock())
    secret = token.get("secret") if token else None
    if not isinstance(secret, str) or not _SECRET.match(secret):
        return _html(_manage_page(reference, content.MANAGE_MOVE_EXPIRED), 400)
    offered = token.get("slots") if isinstance(token.get("slots"), list) else []
    chosen = form.get("slot")
    if not (isinstance(chosen, str) and chosen.isascii() and chosen.isdigit() and len(chosen) <= 10
            and int(chosen) in offered):
        return await _move_offers_page(request, reference, secret, content.MANAGE_MOVE_PICK, 400)
    try:
        current = await _run(request, store.booking, reference, secret, _client(request))
        if current["status"] != "confirmed":
            raise AgendaError(current["status"], f"booking_{current['status']}")
        hold = await _run(request, store.hold, int(chosen), current["mode"])
    except AgendaError as error:
        if error.code in ("slot_taken", "slot_past", "slot_not_found", "mode_not_offered"):
            return await _move_offers_page(request, reference, secret, content.MANAGE_MOVE_TAKEN, 409)
        return _code_refused(reference, error if error.status != 400 else Conflict(error.message, error.code))
    try:
        booking = await _run(request, store.reschedule, reference, secret, hold["hold_id"], _client(request))
    except AgendaError as error:
        try:
            await _run(request, store.release, hold["hold_id"])
        except AgendaError:
            pass  # already released or confirmed: nothing to give back
        if error.code in ("slot_taken", "slot_past", "same_slot"):
            return await _move_offers_page(request, reference, secret, content.MANAGE_MOVE_TAKEN, 409)
        return _code_refused(reference, error)
    messaged = messages.person_channel(booking["person"], store.messaging) is not None
    return _html(manage.page(reference, manage.moved(reference, booking, messaged)))


def _mediator_bookings(store: AgendaStore, mediator_id: int) -> list[dict]:
    with store.engine.connect() as connection:
        if connection.execute(sa.select(mediators.c.id).where(mediators.c.id == mediator_id)).first() is None:
            raise NotFound(f"mediator {mediator_id} does not exist", "mediator_not_found")
        rows = connection.execute(
            sa.select(bookings.c.reference, bookings.c.mode, bookings.c.brief, bookings.c.person_name,
                      bookings.c.person_email, bookings.c.person_phone, slots.c.starts_at)
            .join(slots, slots.c.id == bookings.c.slot_id)
            .where(slots.c.mediator_id == mediator_id, bookings.c.status == "confirmed")
            .order_by(slots.c.starts_at))
        return [{"reference": row.reference, "mode": row.mode, "starts_at": row.starts_at.isoformat() + "Z",
                 "person": {"name": sealed.unseal(row.person_name), "email": sealed.unseal(row.person_email),
                            "phone": sealed.unseal(row.person_phone)},
                 "brief": sealed.unseal_json(row.brief)} for row in rows]


async def mediator_bookings(request: web.Request) -> web.Response:
    mediator_id = _int_id(request.match_info["mediator_id"], "mediator")
    return web.json_response({"bookings": await _run(request, _mediator_bookings, request.app[STORE], mediator_id)})


# ---- application ------------------------------------------------------------------------
async def _housekeeping(app: web.Application) -> None:
    """Expire lapsed holds every 30 s; top up the demo slots and the slots generated from
    the mediators' hours once a day; re-read the mediators' busy-times URLs every hour."""
    store, last_top_up, last_busy = app[STORE], None, None
    loop = asyncio.get_running_loop()
    while True:
        try:
            await loop.run_in_executor(app[POOL], store.expire_holds)
            today = store.clock().date()
            if last_top_up != today:
                if app[SETTINGS]["demo"]:
                    await loop.run_in_executor(app[POOL], demo.load_demo, store.engine, store.clock())
                await loop.run_in_executor(app[POOL], space_hours.regenerate_all, store.engine, store.clock())
                last_top_up = today
            hour = store.clock().replace(minute=0, second=0)
            if last_busy != hour:
                last_busy = hour
                await loop.run_in_executor(app[POOL], space_calendars.refresh_busy_urls, store.engine, store.clock(),
                                           app[space_web.SPACE]["allow_private_feeds"])
        except Exception:  # noqa: BLE001 - housekeeping must never kill the service
            log.exception("housekeeping failed")
        await asyncio.sleep(30)


async def _start_background(app: web.Application) -> None:
    app[HOUSEKEEPING] = asyncio.create_task(_housekeeping(app))
    if SENDER in app:  # the outbox's sender (sender.py): every replica runs one
        app[SENDING] = asyncio.create_task(app[SENDER].run_forever(app[POOL], app[SETTINGS]["send_interval"]))


async def _stop_background(app: web.Application) -> None:
    app[HOUSEKEEPING].cancel()
    if SENDING in app:
        app[SENDING].cancel()
    app[POOL].shutdown(wait=False)
    app[STORE].engine.dispose()


def create_app(store: AgendaStore, token: str | None = None, admin_token: str | None = None,
               demo_data: bool = False, workers: int = 16, sender: Sender | None = None,
               send_interval: float = 5.0, space: dict | None = None) -> web.Application:
    """`sender`: the outbox's sender to run in the background (none: messages stay queued).
    `space`: the mediator's space settings (space_web.settings_from), by default on the
    loopback address of `serve`."""
    app = web.Application(middlewares=[errors_middleware, auth_middleware, space_web.space_middleware,
                                       forms.headers_middleware],
                          client_max_size=MAX_BODY)
    logging.getLogger("aiohttp.server").addFilter(MALFORMED_REQUESTS_LOG)
    app[STORE] = store
    app[POOL] = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="agenda-db")
    app[SETTINGS] = {"token": token, "admin_token": admin_token, "demo": demo_data, "send_interval": send_interval}
    if sender is not None:
        app[SENDER] = sender
    app.router.add_get("/health", health)
    app.router.add_get("/api/openapi.yaml", openapi)
    app.router.add_get("/api/slots", search_slots)
    app.router.add_post("/api/slots/{slot_id}/hold", hold_slot)
    app.router.add_delete("/api/holds/{hold_id}", release_hold)
    app.router.add_post("/api/holds/{hold_id}/confirm", confirm_hold)
    app.router.add_get("/api/bookings/{reference}", get_booking)
    app.router.add_post("/api/bookings/{reference}/cancel", cancel_booking)
    app.router.add_post("/api/bookings/{reference}/anonymise", anonymise_booking)
    app.router.add_post("/api/bookings/{reference}/reschedule", reschedule_booking)
    app.router.add_post("/api/conversations/anonymise", anonymise_conversation)
    app.router.add_get("/api/mediators/{mediator_id}/bookings", mediator_bookings)
    app.router.add_get("/public/calendar/{token}.ics", booking_ics)
    app.router.add_get("/public/booking/{reference}", manage_booking_page)
    app.router.add_post("/public/booking/{reference}", manage_booking_cancel)
    app.router.add_post("/public/booking/{reference}/move", manage_booking_move)
    space_web.add_routes(app, space or space_web.settings_from("http://127.0.0.1:5056"))
    app.on_startup.append(_start_background)
    app.on_cleanup.append(_stop_background)
    return app


def build_from_environment() -> tuple[web.Application, AgendaStore]:
    engine = db.make_engine()
    db.migrate(engine)
    hold_minutes = float(os.environ.get("AGENDA_HOLD_MINUTES", "10"))
    limits = CodeLimits(per_booking=int(os.environ.get("AGENDA_CODE_MAX_FAILURES", "5")),
                        per_client=int(os.environ.get("AGENDA_CODE_MAX_FAILURES_PER_CLIENT", "20")))
    email, text_messages = mail.from_env(), sms.from_env()
    store = AgendaStore(engine, hold_ttl=timedelta(minutes=hold_minutes), code_limits=limits,
                        messaging=messages.Messaging.from_env(email.delivery, text_messages is not None))
    if email.delivery == "files":
        log.warning("SMTP_URL is not set: e-mails are written under %s instead of being sent", email.directory)
    demo_data = os.environ.get("AGENDA_DEMO", "1") == "1"
    if demo_data:
        demo.load_demo(engine, store.clock())
    transports = {"email": email, **({"sms": text_messages} if text_messages else {})}
    sender = Sender(engine, transports, store.clock)
    space = space_web.settings_from(os.environ.get("AGENDA_PUBLIC_URL") or "http://127.0.0.1:5056")
    app = create_app(store, token=os.environ.get("AGENDA_TOKEN") or None,
                     admin_token=os.environ.get("AGENDA_ADMIN_TOKEN") or None, demo_data=demo_data, sender=sender,
                     send_interval=float(os.environ.get("AGENDA_SEND_INTERVAL", "5")), space=space)
    return app, store
