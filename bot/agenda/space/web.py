"""The mediator's space on the agenda's aiohttp app: French server-rendered pages.

Every page goes through `space_middleware`: security headers (a CSP without any script,
no framing, no referrer, no caching), French HTML error pages for every 4xx, no stack
trace. Every form POST carries a CSRF token bound to the session (or, before sign-in, to
a random pre-session cookie); cookies are HttpOnly, SameSite=Strict, Secure behind https.
"""
from __future__ import annotations

import asyncio
import logging
import re
from datetime import date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, Awaitable, Callable

import jinja2
from aiohttp import web
from multidict import MultiDict

from bot import content
from bot.places import geo
from bot.codes import MODES
from bot.agenda import forms
from bot.agenda.space import appointments, auth, calendars, hours
from bot.agenda.store import AgendaError, NotFound
from bot.language.contacts import parse_contact

log = logging.getLogger("agenda.space")
TEMPLATES = Path(__file__).parent / "templates"
PREFIX = "/espace"
SPACE = web.AppKey("space", dict)
MAX_FORM = 16 * 1024
MAX_UPLOAD = calendars.MAX_FEED_BYTES
CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; "
       "base-uri 'none'")
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
_REFERENCE = re.compile(r"^MED-[A-Z0-9]{5}$")
_NOTICES = ("hours", "exception", "deleted", "duration", "cancelled", "marked", "revoked", "busy")

_environment = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)),
                                  autoescape=jinja2.select_autoescape(default=True, default_for_string=True))


class PageError(Exception):
    def __init__(self, status: int, message: str, retry_after: int | None = None):
        super().__init__(message)
        self.status, self.message, self.retry_after = status, message, retry_after


def settings_from(public_url: str, allow_private_feeds: bool = False,
                  limits: auth.SigninLimits = auth.SigninLimits()) -> dict:
    public_url = public_url.rstrip("/")
    return {"url": public_url + PREFIX, "public_url": public_url, "secure": public_url.startswith("https://"),
            "allow_private_feeds": allow_private_feeds, "limits": limits}


# ---- rendering --------------------------------------------------------------------------
def _local(value: datetime, departement: str) -> str:
    from bot.agenda.space.appointments import when
    return when(value, departement)


def brief_rows(brief: dict) -> list[tuple[str, str]]:
    """The neutral brief as label/value rows (never the person's own words: there are none)."""
    labels, rows = content.SPACE_BRIEF_LABELS, []
    if brief.get("anonymised"):
        return [(labels["note"], str(brief.get("note") or ""))]
    facts = brief.get("facts") if isinstance(brief.get("facts"), dict) else {}
    pairs = [("domain", content.DOMAIN_LABELS.get(brief.get("domain"), brief.get("domain"))),
             ("other_party", content.OTHER_PARTY_LABELS.get(facts.get("other_party"), facts.get("other_party"))),
             ("relationship_continues", content.RELATIONSHIP_LABELS.get(facts.get("relationship_continues"),
                                                                        facts.get("relationship_continues"))),
             ("amount_eur", f"{facts['amount_eur']} €" if facts.get("amount_eur") is not None else None),
             ("court_status", content.COURT_LABELS.get(facts.get("court_status"), facts.get("court_status"))),
             ("urgency", content.URGENCY_LABELS.get(facts.get("urgency"), facts.get("urgency"))),
             ("departement", facts.get("departement"))]
    prelitigation = brief.get("prelitigation") if isinstance(brief.get("prelitigation"), dict) else {}
    verdict = prelitigation.get("verdict")
    pairs.append(("prelitigation", content.SPACE_VERDICT_LABELS.get(verdict, verdict)))
    safety = brief.get("safety") if isinstance(brief.get("safety"), dict) else {}
    if "risk" in safety:
        pairs.append(("safety", content.SPACE_SAFETY_YES if safety.get("risk") else content.SPACE_SAFETY_NO))
    aim = brief.get("outcome_aim")
    pairs.append(("outcome_aim", content.OUTCOME_NAMES.get(aim, aim) if isinstance(aim, str) else None))
    pairs.append(("note", brief.get("note")))
    for key, value in pairs:
        if value not in (None, "", [], {}):
            rows.append((labels[key], str(value)))
    return rows


def render(request: web.Request, template: str, status: int = 200, **values: Any) -> web.Response:
    values.setdefault("mediator", request.get("mediator"))
    values.setdefault("csrf", request.get("csrf", ""))
    values.setdefault("notice", None)
    html = _environment.get_template(template).render(t=content.SPACE_PAGES, prefix=PREFIX, **values)
    return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")


def _error_page(request: web.Request, status: int, message: str) -> web.Response:
    title = content.SPACE_ERROR_TITLES.get(status, content.SPACE_ERROR_TITLES[400])
    try:
        return render(request, "error.html", status=status, title=title, message=message)
    except Exception:  # noqa: BLE001 - the error page itself failed: plain text, still French
        log.exception("error page failed")
        return web.Response(text=title, status=status, content_type="text/plain", charset="utf-8")


def _secure_headers(response: web.StreamResponse, secure: bool) -> None:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers["X-Frame-Options"] = "DENY"
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "no-referrer"  # the sign-in link and feed tokens are in URLs
    headers["Cache-Control"] = "no-store"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    if secure:
        headers["Strict-Transport-Security"] = "max-age=31536000"


def _is_space(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/") or path.startswith("/calendar/")


@web.middleware
async def space_middleware(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]):
    if not _is_space(request.path):
        return await handler(request)
    secure = request.app[SPACE]["secure"]
    try:
        response = await handler(request)
    except PageError as error:
        response = _error_page(request, error.status, error.message)
        if error.retry_after:
            response.headers["Retry-After"] = str(error.retry_after)
    except auth.RateLimited as error:
        response = _error_page(request, 429, content.SPACE_RATE_LIMITED.format(
            minutes=max(1, -(-error.retry_after // 60))))
        response.headers["Retry-After"] = str(error.retry_after)
    except AgendaError as error:
        status = error.status if 400 <= error.status < 500 else 400
        response = _error_page(request, status, content.SPACE_ERROR_MESSAGES.get(status, content.SPACE_ERROR_MESSAGES[400]))
    except web.HTTPException as error:
        if error.status < 400:
            _secure_headers(error, secure)
            raise
        status = error.status
        response = _error_page(request, status, content.SPACE_ERROR_MESSAGES.get(status, content.SPACE_ERROR_MESSAGES[400]))
        if status == 405:
            response.headers["Allow"] = error.headers.get("Allow", "")
    except Exception:  # noqa: BLE001 - the log has the trace, the mediator a French page
        log.exception("space: unhandled error on %s", request.method)
        response = _error_page(request, 500, content.SPACE_ERROR_MESSAGES[500])
    _secure_headers(response, secure)
    return response


# ---- sessions, CSRF ---------------------------------------------------------------------
def _cookie_names(secure: bool) -> tuple[str, str]:
    return ("__Host-ma_space", "__Host-ma_pre") if secure else ("ma_space", "ma_pre")


def _set_cookie(response: web.StreamResponse, name: str, value: str, secure: bool, max_age: int | None) -> None:
    response.set_cookie(name, value, path="/", httponly=True, samesite="Strict", secure=secure, max_age=max_age)


async def _run(request: web.Request, function: Callable[..., Any], *args: Any) -> Any:
    from bot.agenda.service import POOL
    return await asyncio.get_running_loop().run_in_executor(request.app[POOL], partial(function, *args))


def _store(request: web.Request):
    from bot.agenda.service import STORE
    return request.app[STORE]


def _pre_session(request: web.Request) -> tuple[str, bool]:
    """The pre-session cookie the sign-in forms are bound to (new if absent)."""
    _session_name, pre_name = _cookie_names(request.app[SPACE]["secure"])
    value = request.cookies.get(pre_name, "")
    if _TOKEN.match(value):
        return value, False
    return auth.new_token(), True


async def _form(request: web.Request) -> MultiDict:
    try:
        return await forms.read_form(request, MAX_FORM)
    except forms.Unreadable as error:
        raise PageError(error.status, content.SPACE_ERROR_MESSAGES[error.status]) from None


def _field(form: MultiDict, name: str, limit: int = 200) -> str:
    value = form.get(name, "")
    if not isinstance(value, str) or len(value) > limit or any(ord(char) < 32 and char not in "\t" for char in value):
        raise PageError(400, content.SPACE_ERROR_MESSAGES[400])
    return value.strip()


def signed_in(handler: Callable[[web.Request], Awaitable[web.StreamResponse]] | None = None, *,
              multipart: bool = False):
    """The page needs a live session; a POST also needs the session's CSRF token, read from
    its url-encoded form before the handler runs. Only a handler declared `multipart` (the
    busy-times upload) may instead get a multipart form, and checks the token while reading it."""
    if handler is None:
        return partial(signed_in, multipart=multipart)

    async def wrapper(request: web.Request) -> web.StreamResponse:
        session_name, _pre = _cookie_names(request.app[SPACE]["secure"])
        session_id = request.cookies.get(session_name, "")
        mediator = await _run(request, auth.session_mediator, _store(request).engine, session_id,
                              _store(request).clock()) if _TOKEN.match(session_id) else None
        if mediator is None:
            if request.method == "GET":
                raise web.HTTPSeeOther(f"{PREFIX}/connexion")
            raise PageError(403, content.SPACE_SESSION_EXPIRED)
        request["mediator"], request["session_id"] = mediator, session_id
        request["csrf"] = auth.csrf_token("session:" + session_id)
        if request.method == "POST" and not (multipart and request.content_type == "multipart/form-data"):
            request["form"] = await _form(request)
            if not auth.csrf_ok("session:" + session_id, request["form"].get("csrf")):
                raise PageError(403, content.SPACE_CSRF_REFUSED)
        return await handler(request)
    return wrapper


def _notice(request: web.Request) -> str | None:
    code = request.query.get("ok", "")
    return content.SPACE_NOTICES.get(code) if code in _NOTICES else None


def _redirect(path: str, notice: str | None = None) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(f"{PREFIX}{path}" + (f"?ok={notice}" if notice else ""))


# ---- sign-in ------------------------------------------------------------------------------
async def home(request: web.Request) -> web.StreamResponse:
    raise web.HTTPSeeOther(f"{PREFIX}/rendez-vous")


async def stylesheet(request: web.Request) -> web.StreamResponse:
    return web.Response(text=(TEMPLATES / "space.css").read_text(encoding="utf-8"), content_type="text/css",
                        charset="utf-8")


def _with_pre(request: web.Request, response: web.Response, value: str, fresh: bool) -> web.Response:
    if fresh:
        _set_cookie(response, _cookie_names(request.app[SPACE]["secure"])[1], value, request.app[SPACE]["secure"], None)
    return response


async def signin_form(request: web.Request) -> web.StreamResponse:
    pre, fresh = _pre_session(request)
    return _with_pre(request, render(request, "signin.html", csrf=auth.csrf_token("pre:" + pre)), pre, fresh)


def _client(request: web.Request) -> str:
    return "ip:" + (request.remote or "unknown")


async def signin_request(request: web.Request) -> web.StreamResponse:
    form = await _form(request)
    pre, fresh = _pre_session(request)
    if fresh or not auth.csrf_ok("pre:" + pre, form.get("csrf")):
        raise PageError(403, content.SPACE_CSRF_REFUSED)
    email = _field(form, "email", 254)
    valid = (parse_contact(email) or {}).get("email") if email else None
    if not valid:
        return render(request, "signin.html", status=400, csrf=auth.csrf_token("pre:" + pre),
                      error=content.SPACE_SIGNIN_BAD_EMAIL, email=email)
    store, space = _store(request), request.app[SPACE]
    await _run(request, partial(auth.request_link, store.engine, valid, _client(request), store.clock(), space["url"],
                                space["limits"]))
    return render(request, "signin_sent.html")


def _link_token(request: web.Request) -> str:
    token = request.match_info["token"]
    if not _TOKEN.match(token):
        raise PageError(404, content.SPACE_LINK_INVALID)
    return token


async def signin_link(request: web.Request) -> web.StreamResponse:
    token = _link_token(request)
    store = _store(request)
    if not await _run(request, auth.link_usable, store.engine, token, store.clock()):
        raise PageError(410, content.SPACE_LINK_INVALID)
    pre, fresh = _pre_session(request)
    return _with_pre(request, render(request, "signin_link.html", csrf=auth.csrf_token("pre:" + pre), token=token),
                     pre, fresh)


async def signin_redeem(request: web.Request) -> web.StreamResponse:
    token = _link_token(request)
    form = await _form(request)
    pre, fresh = _pre_session(request)
    if fresh or not auth.csrf_ok("pre:" + pre, form.get("csrf")):
        raise PageError(403, content.SPACE_CSRF_REFUSED)
    store = _store(request)
    session_id = await _run(request, auth.redeem_link, store.engine, token, store.clock())
    if session_id is None:
        raise PageError(410, content.SPACE_LINK_INVALID)
    secure = request.app[SPACE]["secure"]
    session_name, pre_name = _cookie_names(secure)
    response = web.HTTPSeeOther(f"{PREFIX}/rendez-vous")
    _set_cookie(response, session_name, session_id, secure, int(auth.SESSION_TTL.total_seconds()))
    response.del_cookie(pre_name, path="/")
    _secure_headers(response, secure)
    raise response


@signed_in
async def signout(request: web.Request) -> web.StreamResponse:
    await _run(request, auth.end_session, _store(request).engine, request["session_id"])
    response = web.HTTPSeeOther(f"{PREFIX}/connexion")
    response.del_cookie(_cookie_names(request.app[SPACE]["secure"])[0], path="/")
    raise response


# ---- appointments -----------------------------------------------------------------------
def _reference(request: web.Request) -> str:
    reference = request.match_info["reference"].upper()
    if not _REFERENCE.match(reference):
        raise PageError(404, content.SPACE_ERROR_MESSAGES[404])
    return reference


def _appointment_view(item: dict, departement: str) -> dict:
    return {**item, "when": _local(item["starts_at"], departement),
            "mode_label": content.BOOKING_MODE_LABELS.get(item["mode"], item["mode"]),
            "status_label": content.SPACE_STATUS_LABELS.get(item["outcome"] or item["status"], item["status"])}


@signed_in
async def appointments_page(request: web.Request) -> web.StreamResponse:
    store, mediator = _store(request), request["mediator"]
    upcoming, past = await _run(request, appointments.list_bookings, store.engine, mediator["id"], store.clock())
    return render(request, "appointments.html", notice=_notice(request),
                  upcoming=[_appointment_view(item, mediator["departement"]) for item in upcoming],
                  past=[_appointment_view(item, mediator["departement"]) for item in past[:100]])


@signed_in
async def appointment_page(request: web.Request) -> web.StreamResponse:
    store, mediator = _store(request), request["mediator"]
    try:
        item = await _run(request, appointments.booking, store.engine, mediator["id"], _reference(request), store.clock())
    except NotFound:
        raise PageError(404, content.SPACE_ERROR_MESSAGES[404]) from None
    return render(request, "appointment.html", notice=_notice(request), item=_appointment_view(item, mediator["departement"]),
                  brief=brief_rows(item["brief"]))


@signed_in
async def appointment_cancel(request: web.Request) -> web.StreamResponse:
    store, mediator = _store(request), request["mediator"]
    reference = _reference(request)
    if request["form"].get("confirm") != "yes":
        raise PageError(400, content.SPACE_CANCEL_UNCONFIRMED)
    await _run(request, appointments.cancel, store.engine, mediator["id"], reference, store.clock(), store.messaging)
    raise _redirect(f"/rendez-vous/{reference}", "cancelled")


@signed_in
async def appointment_mark(request: web.Request) -> web.StreamResponse:
    store, mediator = _store(request), request["mediator"]
    reference = _reference(request)
    outcome = request["form"].get("outcome", "")
    if outcome not in appointments.OUTCOMES:
        raise PageError(400, content.SPACE_ERROR_MESSAGES[400])
    await _run(request, appointments.mark, store.engine, mediator["id"], reference, outcome, store.clock())
    raise _redirect(f"/rendez-vous/{reference}", "marked")


# ---- hours --------------------------------------------------------------------------------
async def _hours_page(request: web.Request, status: int = 200, error: str | None = None) -> web.Response:
    store, mediator = _store(request), request["mediator"]
    data = await _run(request, hours.overview, store.engine, mediator["id"], store.clock())
    departement = mediator["departement"]
    exceptions = [{**item, "from_label": _local(item["starts_at"], departement),
                   "to_label": _local(item["ends_at"], departement)} for item in data["exceptions"]]
    return render(request, "hours.html", status=status, notice=_notice(request), error=error,
                  rules=data["rules"], exceptions=exceptions, session_minutes=data["session_minutes"],
                  open_slots=data["open_slots"], weekdays=content.WEEKDAYS, modes=MODES,
                  mode_labels=content.MODE_LABELS, session_choices=hours.SESSION_CHOICES,
                  tz_label=content.TIMEZONE_LABELS.get(geo.timezone_name(departement), ""))


@signed_in
async def hours_page(request: web.Request) -> web.StreamResponse:
    return await _hours_page(request)


def _int(value: str, low: int, high: int) -> int | None:
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 6 and low <= int(value) <= high else None


@signed_in
async def hours_add(request: web.Request) -> web.StreamResponse:
    form, store, mediator = request["form"], _store(request), request["mediator"]
    weekday = _int(_field(form, "weekday", 2), 0, 6)
    starts, ends = hours.parse_time(_field(form, "starts", 5)), hours.parse_time(_field(form, "ends", 5))
    modes = [mode for mode in form.getall("mode", []) if mode in MODES]
    if weekday is None or not starts or not ends or starts >= ends or not modes:
        return await _hours_page(request, 400, content.SPACE_HOURS_INVALID)
    try:
        await _run(request, hours.add_rule, store.engine, mediator["id"], weekday, starts, ends, modes, store.clock())
    except hours.HoursError as error:
        return await _hours_page(request, 400, str(error))
    raise _redirect("/disponibilites", "hours")


def _path_id(request: web.Request, name: str) -> int:
    value = _int(request.match_info[name], 1, 2**31 - 1)
    if value is None:
        raise PageError(404, content.SPACE_ERROR_MESSAGES[404])
    return value


@signed_in
async def hours_delete(request: web.Request) -> web.StreamResponse:
    store, mediator = _store(request), request["mediator"]
    await _run(request, hours.delete_rule, store.engine, mediator["id"], _path_id(request, "rule_id"), store.clock())
    raise _redirect("/disponibilites", "deleted")


def _parse_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if re.match(r"^\d{4}-\d{2}-\d{2}$", value) else None
    except ValueError:
        return None


@signed_in
async def exception_add(request: web.Request) -> web.StreamResponse:
    form, store, mediator = request["form"], _store(request), request["mediator"]
    day_from, day_to = _parse_date(_field(form, "from_date", 10)), _parse_date(_field(form, "to_date", 10) or
                                                                               _field(form, "from_date", 10))
    from_time_text, to_time_text = _field(form, "from_time", 5), _field(form, "to_time", 5)
    from_time = hours.parse_time(from_time_text) if from_time_text else None
    to_time = hours.parse_time(to_time_text) if to_time_text else None
    label = _field(form, "label", 80) or content.SPACE_EXCEPTION_DEFAULT_LABEL
    today = store.clock().date()
    if (day_from is None or day_to is None or day_to < day_from or (from_time_text and not from_time)
            or (to_time_text and not to_time) or day_from < today - timedelta(days=1)
            or day_to > today + timedelta(days=731)):
        return await _hours_page(request, 400, content.SPACE_EXCEPTION_INVALID)
    starts_at, ends_at = hours.local_date_range(day_from, day_to, geo.timezone_name(mediator["departement"]),
                                                from_time, to_time)
    try:
        await _run(request, hours.add_exception, store.engine, mediator["id"], starts_at, ends_at, label, store.clock())
    except hours.HoursError as error:
        return await _hours_page(request, 400, str(error))
    raise _redirect("/disponibilites", "exception")


@signed_in
async def exception_delete(request: web.Request) -> web.StreamResponse:
    store, mediator = _store(request), request["mediator"]
    await _run(request, hours.delete_exception, store.engine, mediator["id"], _path_id(request, "exception_id"),
               store.clock())
    raise _redirect("/disponibilites", "deleted")


@signed_in
async def duration_set(request: web.Request) -> web.StreamResponse:
    store, mediator = _store(request), request["mediator"]
    minutes = _int(_field(request["form"], "minutes", 3), 1, 999)
    if minutes not in hours.SESSION_CHOICES:
        return await _hours_page(request, 400, content.SPACE_HOURS_INVALID)
    await _run(request, hours.set_session_minutes, store.engine, mediator["id"], minutes, store.clock())
    raise _redirect("/disponibilites", "duration")


# ---- calendar -----------------------------------------------------------------------------
def _calendar_state(engine, mediator_id: int) -> dict:
    from bot.agenda.schema import busy_periods, mediator_accounts
    import sqlalchemy as sa
    with engine.connect() as connection:
        account = connection.execute(sa.select(mediator_accounts).where(
            mediator_accounts.c.mediator_id == mediator_id)).first()
        busy = connection.execute(sa.select(sa.func.count()).select_from(busy_periods)
                                  .where(busy_periods.c.mediator_id == mediator_id)).scalar()
    return {"has_feed": bool(account and account.feed_token_hash), "busy_url": account.busy_url if account else None,
            "busy_imported_at": account.busy_imported_at if account else None, "busy_count": busy}


async def _calendar_page(request: web.Request, status: int = 200, feed_url: str | None = None,
                         error: str | None = None) -> web.Response:
    store, mediator = _store(request), request["mediator"]
    state = await _run(request, _calendar_state, store.engine, mediator["id"])
    imported = state["busy_imported_at"]
    return render(request, "calendar.html", status=status, notice=_notice(request), error=error, feed_url=feed_url,
                  https_url=feed_url.replace("webcal://", "https://", 1) if feed_url and feed_url.startswith("webcal://")
                  else feed_url, imported_label=_local(imported, mediator["departement"]) if imported else None, **state)


@signed_in
async def calendar_page(request: web.Request) -> web.StreamResponse:
    return await _calendar_page(request)


def _new_feed(engine, mediator_id: int) -> str:
    with engine.begin() as connection:
        return calendars.new_feed_token(connection, mediator_id)


def _revoke_feed(engine, mediator_id: int) -> None:
    with engine.begin() as connection:
        calendars.revoke_feed(connection, mediator_id)


@signed_in
async def feed_create(request: web.Request) -> web.StreamResponse:
    token = await _run(request, _new_feed, _store(request).engine, request["mediator"]["id"])
    public = request.app[SPACE]["public_url"]
    scheme, _sep, rest = public.partition("://")
    # Shown once: only its hash is kept.
    return await _calendar_page(request, feed_url=f"webcal://{rest}/calendar/{token}.ics")


@signed_in
async def feed_revoke(request: web.Request) -> web.StreamResponse:
    await _run(request, _revoke_feed, _store(request).engine, request["mediator"]["id"])
    raise _redirect("/agenda", "revoked")


async def _multipart(request: web.Request) -> tuple[dict[str, str], bytes | None]:
    """The busy-times form: small text fields and one file read up to MAX_UPLOAD bytes."""
    try:
        return await forms.read_multipart(request, ("csrf", "url", "source"), "file", MAX_UPLOAD)
    except forms.TooLarge as error:
        raise PageError(413, content.SPACE_BUSY_TOO_LARGE if error.field == "file"
                        else content.SPACE_ERROR_MESSAGES[413]) from None
    except forms.Unreadable:
        raise PageError(400, content.SPACE_ERROR_MESSAGES[400]) from None


def _import_busy(engine, mediator_id: int, text: bytes, now: datetime, url: str | None) -> int:
    return calendars.import_busy(engine, mediator_id, text, now, url)


@signed_in(multipart=True)
async def busy_import(request: web.Request) -> web.StreamResponse:
    if "form" in request:  # urlencoded (an address only): already read and CSRF-checked
        fields, upload = {"url": _field(request["form"], "url", 500)}, None
    else:
        fields, upload = await _multipart(request)
        if not auth.csrf_ok("session:" + request["session_id"], fields.get("csrf")):
            raise PageError(403, content.SPACE_CSRF_REFUSED)
    store, mediator, space = _store(request), request["mediator"], request.app[SPACE]
    url = (fields.get("url") or "").strip()
    try:
        if upload:
            await _run(request, _import_busy, store.engine, mediator["id"], upload, store.clock(), None)
        elif url:
            body = await _run(request, calendars.fetch, url, space["allow_private_feeds"])
            await _run(request, _import_busy, store.engine, mediator["id"], body, store.clock(),
                       calendars.check_url(url, space["allow_private_feeds"]))
        else:
            return await _calendar_page(request, 400, error=content.SPACE_BUSY_NOTHING)
    except calendars.CalendarError as error:
        return await _calendar_page(request, 400, error=str(error))
    raise _redirect("/agenda", "busy")


async def mediator_feed(request: web.Request) -> web.StreamResponse:
    token = request.match_info["token"]
    store = _store(request)

    def build() -> bytes | None:
        with store.engine.connect() as connection:
            mediator_id = calendars.mediator_for_feed(connection, token) if _TOKEN.match(token) else None
            if mediator_id is None:
                return None
            return calendars.feed(connection, mediator_id, store.clock(), request.app[SPACE]["url"])

    body = await _run(request, build)
    if body is None:
        raise PageError(404, content.SPACE_FEED_UNKNOWN)
    return web.Response(body=body, content_type="text/calendar", charset="utf-8",
                        headers={"Content-Disposition": 'inline; filename="mediation-accueil.ics"'})


def add_routes(app: web.Application, settings: dict) -> None:
    app[SPACE] = settings
    router = app.router
    router.add_get(PREFIX, home)
    router.add_get(f"{PREFIX}/style.css", stylesheet)
    router.add_get(f"{PREFIX}/connexion", signin_form)
    router.add_post(f"{PREFIX}/connexion", signin_request)
    router.add_get(f"{PREFIX}/connexion/{{token}}", signin_link)
    router.add_post(f"{PREFIX}/connexion/{{token}}", signin_redeem)
    router.add_post(f"{PREFIX}/deconnexion", signout)
    router.add_get(f"{PREFIX}/rendez-vous", appointments_page)
    router.add_get(f"{PREFIX}/rendez-vous/{{reference}}", appointment_page)
    router.add_post(f"{PREFIX}/rendez-vous/{{reference}}/annuler", appointment_cancel)
    router.add_post(f"{PREFIX}/rendez-vous/{{reference}}/statut", appointment_mark)
    router.add_get(f"{PREFIX}/disponibilites", hours_page)
    router.add_post(f"{PREFIX}/disponibilites/horaires", hours_add)
    router.add_post(f"{PREFIX}/disponibilites/horaires/{{rule_id}}/supprimer", hours_delete)
    router.add_post(f"{PREFIX}/disponibilites/exceptions", exception_add)
    router.add_post(f"{PREFIX}/disponibilites/exceptions/{{exception_id}}/supprimer", exception_delete)
    router.add_post(f"{PREFIX}/disponibilites/duree", duration_set)
    router.add_get(f"{PREFIX}/agenda", calendar_page)
    router.add_post(f"{PREFIX}/agenda/abonnement", feed_create)
    router.add_post(f"{PREFIX}/agenda/abonnement/revoquer", feed_revoke)
    router.add_post(f"{PREFIX}/agenda/occupations", busy_import)
    router.add_get("/calendar/{token}.ics", mediator_feed)
