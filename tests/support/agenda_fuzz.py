"""Hostile input for every route of the agenda server (issue 18): the mediator's space
(/espace/*, /calendar/{token}.ics), the person's booking page (/public/booking/…), the
person's calendar file and the bearer API, on a real server on loopback. The unit fuzz
(tests/unit/agenda/test_agenda_fuzz.py) runs it on the agenda app alone in SQLite; the e2e
fuzz (tests/e2e/test_fuzz.py) on the agenda of the real servers, in SQLite and PostgreSQL.

A case is drawn symbolically (route, method, path part, query, form fields, encoding,
Content-Type, Origin, cookies, CSRF token, bearer) and resolved when sent against what
`prepare` set up (a signed-in mediator A, a session that signed out, sign-in links used and
unused, bookings of A and of another mediator B, move tokens, a feed token…), so that
hypothesis draws the hostile (any Unicode, lone surrogates percent-encoded with
errors="surrogatepass", NUL, huge bodies, malformed encodings) as well as the almost-right:
a valid session with a CSRF token of another binding, a link already used, the code of
another booking, a slot never offered, a mode not in the list, year 0 or 99999, an end
before the start.

Every answer: below 500, no stack trace, no internal name; a French page on the person's
and the mediator's routes. And nothing a confirmation guards (bookings, outcomes, hours,
closures, session length, feed, busy times, sessions, used links) changes unless the
request carried what authorises it (the live session with its own CSRF token, the
pre-session with its own, or the booking's own code).
"""
from __future__ import annotations

import html
import http.client
import json
import re
import urllib.parse
from dataclasses import dataclass, field
from datetime import date, timedelta
from http.cookies import SimpleCookie

import sqlalchemy as sa
from hypothesis import strategies as st

from bot import content
from bot.agenda.outbox import decode
from bot.agenda.schema import (booking_outcomes, bookings, busy_periods, mediator_accounts, mediator_exceptions,
                               mediator_hours, mediator_sessions, mediators, outbox, signin_links, slots)
from tests.support.fuzz import HOSTILE_TEXTS, JSON_VALUES, assert_no_internal_names, assert_sane

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
LINK = re.compile(r"/espace/connexion/([A-Za-z0-9_-]+)")
MOVE_TOKEN = re.compile(r'name="token" value="([^"]+)"')
OFFERED = re.compile(r'name="slot" value="(\d+)"')
FEED = re.compile(r'value="webcal://[^"]+/calendar/([A-Za-z0-9_-]+)\.ics"')
PERSON = {"name": "Personne Fuzz", "email": "personne.fuzz@exemple.fr", "contact_consent": True}
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD")


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # "{p}": the fuzzed path part
    fields: tuple[str, ...] = ()
    part: str = ""  # the PLAUSIBLE list a {p} also draws from
    guard: str = ""  # "session", "pre", "code" or "bearer": what may authorise a change; "": nothing may change
    page: bool = False  # a French HTML page for the person or the mediator (4xx included)
    api: bool = False  # the bearer API (JSON bodies)


SPACE_ROUTES = (
    Route("GET", "/espace", page=True), Route("GET", "/espace/style.css"),
    Route("POST", "/espace/deconnexion", ("csrf",), guard="session", page=True),
    Route("GET", "/espace/rendez-vous", page=True),
    Route("GET", "/espace/rendez-vous/{p}", part="reference", page=True),
    Route("POST", "/espace/rendez-vous/{p}/annuler", ("csrf", "confirm"), "reference", "session", True),
    Route("POST", "/espace/rendez-vous/{p}/statut", ("csrf", "outcome"), "reference", "session", True),
    Route("GET", "/espace/disponibilites", page=True),
    Route("POST", "/espace/disponibilites/horaires", ("csrf", "weekday", "starts", "ends", "mode", "mode"),
          guard="session", page=True),
    Route("POST", "/espace/disponibilites/horaires/{p}/supprimer", ("csrf",), "rule", "session", True),
    Route("POST", "/espace/disponibilites/exceptions",
          ("csrf", "from_date", "to_date", "from_time", "to_time", "label"), guard="session", page=True),
    Route("POST", "/espace/disponibilites/exceptions/{p}/supprimer", ("csrf",), "exception", "session", True),
    Route("POST", "/espace/disponibilites/duree", ("csrf", "minutes"), guard="session", page=True),
    Route("GET", "/espace/agenda", page=True),
    Route("POST", "/espace/agenda/abonnement", ("csrf",), guard="session", page=True),
    Route("POST", "/espace/agenda/abonnement/revoquer", ("csrf",), guard="session", page=True),
    Route("POST", "/espace/agenda/occupations", ("csrf", "url", "file"), guard="session", page=True),
    Route("GET", "/calendar/{p}.ics", part="feed"),
)
SIGNIN_ROUTES = (
    Route("GET", "/espace/connexion", page=True),
    Route("POST", "/espace/connexion", ("csrf", "email"), guard="pre", page=True),
    Route("GET", "/espace/connexion/{p}", part="link", page=True),
    Route("POST", "/espace/connexion/{p}", ("csrf",), "link", "pre", True),
)
PUBLIC_ROUTES = (
    Route("GET", "/health"), Route("GET", "/api/openapi.yaml"),
    Route("GET", "/public/calendar/{p}.ics", part="calendar"),
    Route("GET", "/public/booking/{p}", part="person_reference", page=True),
    Route("POST", "/public/booking/{p}", ("secret",), "person_reference", "code", True),
    Route("POST", "/public/booking/{p}/move", ("secret", "token", "slot"), "person_reference", "code", True),
)
API_ROUTES = (
    Route("GET", "/api/slots", api=True), Route("POST", "/api/slots/{p}/hold", ("mode",), "slot", api=True),
    Route("DELETE", "/api/holds/{p}", part="hold", api=True),
    Route("POST", "/api/holds/{p}/confirm", ("person", "brief", "conversation"), "hold", api=True),
    Route("GET", "/api/bookings/{p}", ("secret",), "person_reference", api=True),
    Route("POST", "/api/bookings/{p}/cancel", ("secret",), "person_reference", "code", api=True),
    Route("POST", "/api/bookings/{p}/anonymise", ("secret",), "person_reference", "code", api=True),
    Route("POST", "/api/bookings/{p}/reschedule", ("secret", "hold_id"), "person_reference", "code", api=True),
    Route("POST", "/api/conversations/anonymise", ("conversation",), guard="bearer", api=True),
    Route("GET", "/api/mediators/{p}/bookings", part="mediator", api=True),
)
ALL_ROUTES = SPACE_ROUTES + SIGNIN_ROUTES + PUBLIC_ROUTES + API_ROUTES

BUSY_ICS = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//fuzz//FR\r\nBEGIN:VEVENT\r\nUID:a@fuzz\r\n"
            "DTSTART:{start}\r\nDTEND:{end}\r\n{extra}SUMMARY:x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
FILES = (
    BUSY_ICS.format(start="20261124T073000Z", end="20261124T083000Z", extra="").encode(),
    BUSY_ICS.format(start="00000101T000000Z", end="00000101T010000Z", extra="").encode(),
    BUSY_ICS.format(start="99999101T000000Z", end="99999101T010000Z", extra="").encode(),
    BUSY_ICS.format(start="20261124T083000Z", end="20261124T073000Z", extra="").encode(),  # ends before it starts
    BUSY_ICS.format(start="20261124T073000Z", end="20261124T073001Z", extra="RRULE:FREQ=SECONDLY\r\n").encode(),
    BUSY_ICS.format(start="19000101T000000Z", end="19000101T000001Z", extra="RRULE:FREQ=HOURLY\r\n").encode(),
    BUSY_ICS.format(start="20261124T073000Z", end="20261124T083000Z",
                    extra="RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30\r\n").encode(),  # never: dateutil seeks to 9999
    b"<html>nope</html>", b"", b"\xff\xfe\x00\x00" * 100, b"BEGIN:VCALENDAR\r\n" * 1000,
)
# What a {p} or a field also draws, besides hostile text: "@name" is resolved from `prepare`.
PLAUSIBLE = {
    "reference": ("@own_reference", "@own_reference_lower", "@other_reference", "@person_reference", "MED-ZZZZZ"),
    "person_reference": ("@person_reference", "@person_reference_lower", "@other_reference", "@own_reference",
                         "MED-ZZZZZ", "MED-"),
    "link": ("@link_used", "@link_unused", "@feed_token", "@session", "a" * 43),
    "feed": ("@feed_token", "@calendar", "@link_used", "@session"),
    "calendar": ("@calendar", "@feed_token", "@link_used"),
    "rule": ("@rule_id", "0", "-1", "99999999999", "2147483648", "1e3", "١"),
    "exception": ("@exception_id", "0", "-1", "99999999999", "@rule_id"),
    "slot": ("@not_offered_slot", "@booked_slot", "0", "-1", "2147483648"),
    "hold": ("@hold_id", "00000000-0000-0000-0000-000000000000", "-"),
    "mediator": ("@mediator_id", "0", "2147483648"),
    "secret": ("@other_secret", "zzzzzzzz", "ZZZZZZZZ", "12345678", "        ", "@own_secret"),
    "token": ("@move_token", "@foreign_move_token", "", "gAAAAA" + "A" * 100),
    "email": ("@email", "@email_upper", "personne@inconnu.example", "a@b", "x@" + "y" * 300 + ".fr", " @ "),
    "confirm": ("yes", "no", "YES", "on", ""),
    "outcome": ("done", "missed", "exploded", "DONE", ""),
    "weekday": ("0", "3", "6", "7", "-1", "٣", "1" * 50, ""),
    "starts": ("09:00", "12:00", "23:59", "00:00", "24:00", "9:00", "25:99", "12:00:00"),
    "ends": ("10:00", "08:00", "23:59", "00:00", "24:00", "12:00"),
    "mode": ("phone", "video", "in_person", "teleportation", "no_preference", "PHONE"),
    "from_date": ("@today", "@in_a_month", "@yesterday", "@in_three_years", "0000-01-01", "0001-01-01",
                  "99999-01-01", "9999-12-31", "2026-02-30", "-001-01-01", "٢٠٢٦-١١-٢٥"),
    "to_date": ("@today", "@in_a_month", "@yesterday", "@in_three_years", "0000-01-01", "99999-12-31", ""),
    "from_time": ("", "09:00", "23:59", "24:00", "18:00"),
    "to_time": ("", "08:00", "23:59", "24:00", "18:00"),
    "label": ("Congés", "", "\u202eesruoc"),
    "minutes": ("30", "45", "60", "90", "120", "7", "0", "999999", "٣٠"),
    "url": ("https://127.0.0.1/x.ics", "http://127.0.0.1:1/x.ics", "file:///etc/passwd", "https://[",
            "https://[::1", "https://agenda.example:99999/x.ics", "https://agenda.example:abc/",
            "webcal://[::1]/a.ics", "https://\u0080/", "https://user:pw@agenda.example/", "https://" + "a" * 600,
            "https://0/", "https://[fe80::1%eth0]/", "webcal://", ""),
    "conversation": ("@conversation", "x" * 200, ""),
    "hold_id": ("@hold_id", "not-a-hold", ""),
}
RAW_PARTS = ("%", "%zz", "%C3%28", "%ED%A0%80", "%00", "..", "%2e%2e", "%2F", "a%2Fb", "%F0%9F%99%82", "%FF%FE")
CONTENT_TYPES = ("application/x-www-form-urlencoded; charset=utf-16",
                 "application/x-www-form-urlencoded; charset=klingon",
                 "application/x-www-form-urlencoded; charset=latin-1", "multipart/form-data",
                 "multipart/form-data; boundary=", 'multipart/form-data; boundary="unterminated',
                 "multipart/form-data; boundary=" + "b" * 100, "text/plain", "application/json", "",
                 "multipart/mixed; boundary=zz")
ENCODINGS = ("form", "form", "form", "multipart", "multipart", "broken_multipart", "broken_multipart", "json", "raw",
             "huge_form", "latin1_form", "empty")
BROKEN_MULTIPARTS = ("truncated", "no_final", "wrong_boundary", "gzip_part", "deflate_part", "unknown_cte",
                     "bad_base64", "no_disposition", "nested", "header_junk", "huge_file")


@dataclass(frozen=True)
class Case:
    route: Route
    method: str
    part: tuple[str, str]  # ("known", name) | ("text", value) | ("raw", already encoded)
    query: tuple[tuple[str, str], ...]
    fields: tuple[tuple[str, tuple[str, str]], ...]
    file: bytes | None
    csrf: tuple[str, str]  # ("known", "csrf_session" | "csrf_pre" | "csrf_stale") | ("text", v) | ("none", "")
    session: tuple[str, str]  # ("known", "session" | "ended_session") | ("text", v) | ("none", "")
    pre: tuple[str, str]
    encoding: str
    broken: str
    content_type: str | None
    origin: str | None
    bearer: tuple[str, str]
    raw_body: bytes


def weighted(*choices):
    """One of these strategies, each as often as its weight (st.one_of's branches end up drawn
    unevenly once the small ones are exhausted)."""
    strategies = [strategy for weight, strategy in choices for _ in range(weight)]
    return st.integers(0, len(strategies) - 1).flatmap(lambda index: strategies[index])


def _value(name: str):
    plausible = PLAUSIBLE.get(name, ())
    texts = HOSTILE_TEXTS.map(lambda value: ("text", value))
    if not plausible:
        return texts
    return weighted((1, texts), (1, st.sampled_from(plausible).map(
        lambda value: ("known", value[1:]) if value.startswith("@") else ("text", value))))


def _choice(*names: str):
    """Mostly one of these known values (in proportion), else none or hostile text."""
    return weighted((6, st.sampled_from(names).map(lambda name: ("known", name))), (1, st.just(("none", ""))),
                    (1, HOSTILE_TEXTS.map(lambda value: ("text", value))))


@st.composite
def cases(draw, routes=ALL_ROUTES) -> Case:
    route = draw(st.sampled_from(routes))
    method = draw(weighted((4, st.just(route.method)), (1, st.sampled_from(METHODS))))
    part = ("none", "")
    if "{p}" in route.path:
        part = draw(weighted((5, _value(route.part)), (1, st.sampled_from(RAW_PARTS).map(lambda raw: ("raw", raw)))))
    query = draw(st.lists(st.tuples(weighted((2, st.sampled_from(("ok", "from", "to", "limit", "exclude", "mode",
                                                                  "domain", "postal_code", "secret"))),
                                             (1, HOSTILE_TEXTS)),
                                    weighted((1, st.sampled_from(("hours", "busy", "cancelled", "3", ""))),
                                             (1, HOSTILE_TEXTS))),
                          max_size=3))
    names = [name for name in route.fields if name not in ("csrf", "file")]
    names += draw(st.lists(st.sampled_from(("csrf", "secret", "token", "slot", "label", "x")), max_size=2))
    fields = tuple((name, draw(_value(name))) for name in names)
    return Case(
        route=route, method=method, part=part, query=tuple(query), fields=fields,
        file=draw(weighted((1, st.none()), (3, st.sampled_from(FILES)), (1, st.binary(max_size=200))))
        if "file" in route.fields
        else None,
        csrf=draw(_choice(*["csrf_pre"] * 4, "csrf_session", "csrf_stale") if route.guard == "pre"
                  else _choice(*["csrf_session"] * 4, "csrf_pre", "csrf_stale")),
        session=draw(_choice(*["session"] * 4, "ended_session")),
        pre=draw(_choice("pre")),
        encoding=draw(st.sampled_from(("multipart",) * 6 + ENCODINGS if "file" in route.fields else ENCODINGS)),
        broken=draw(st.sampled_from(BROKEN_MULTIPARTS)),
        content_type=draw(weighted((6, st.none()), (1, st.sampled_from(CONTENT_TYPES)), (1, HOSTILE_TEXTS))),
        origin=draw(weighted((2, st.none()), (1, st.sampled_from(("null", "https://evil.example", "http://127.0.0.1"))),
                             (1, HOSTILE_TEXTS))),
        bearer=draw(_choice("api_token")),
        raw_body=draw(weighted((1, st.binary(max_size=300)),
                               (1, JSON_VALUES.map(lambda value: json.dumps(value).encode())))),
    )


# ---- HTTP ---------------------------------------------------------------------------------
@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    text: str

    def cookies(self) -> dict[str, str]:
        jar = SimpleCookie()
        for header in self.headers.get_all("Set-Cookie") or []:
            jar.load(header)
        return {name: morsel.value for name, morsel in jar.items()}


def send(host: str, port: int, method: str, path: str, body: bytes | None = None,
         headers: list[tuple[str, str | bytes]] = (), timeout: float = 60) -> Reply:
    """One request with exactly these bytes (http.client: no cookie jar, no re-encoding)."""
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.putrequest(method, path, skip_accept_encoding=True)
        for name, value in headers:
            connection.putheader(name, value)
        if body is not None:
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders()
        if body:
            try:
                connection.send(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server answered (413) before reading it all: its answer is still there
        reply = connection.getresponse()
        return Reply(reply.status, reply.headers, reply.read().decode("utf-8", "replace"))
    finally:
        connection.close()


def _encode(value: str) -> bytes:
    return value.encode("utf-8", "surrogatepass")


def _header_value(value: str) -> bytes:
    return _encode(value).replace(b"\r", b"").replace(b"\n", b"")


def form_body(fields: list[tuple[str, str]]) -> bytes:
    return urllib.parse.urlencode(fields, errors="surrogatepass").encode("ascii")


def multipart_body(fields: list[tuple[str, str]], file: bytes | None, boundary: str = "fuzzboundary") -> bytes:
    parts = [(f'Content-Disposition: form-data; name="{name}"', _encode(value)) for name, value in fields]
    if file is not None:
        parts.append(('Content-Disposition: form-data; name="file"; filename="agenda.ics"\r\n'
                      "Content-Type: text/calendar", file))
    return _multipart(parts, boundary)


def _multipart(parts: list[tuple[str, bytes]], boundary: str) -> bytes:
    body = b"".join(b"--" + boundary.encode() + b"\r\n" + _encode(headers) + b"\r\n\r\n" + data + b"\r\n"
                    for headers, data in parts)
    return body + b"--" + boundary.encode() + b"--\r\n"


def broken_multipart(kind: str, fields: list[tuple[str, str]]) -> tuple[bytes, str]:
    """A multipart body no browser sends, with its Content-Type."""
    good = multipart_body(fields, None)
    content_type = "multipart/form-data; boundary=fuzzboundary"
    csrf = next((value for name, value in fields if name == "csrf"), "")
    field = 'Content-Disposition: form-data; name="url"'
    bodies = {
        "truncated": good[: len(good) // 2],
        "no_final": good[: -len(b"--fuzzboundary--\r\n")],
        "wrong_boundary": good.replace(b"fuzzboundary", b"otherboundary"),
        "gzip_part": _multipart([(field + "\r\nContent-Encoding: gzip", b"not gzip at all")], "fuzzboundary"),
        "deflate_part": _multipart([(field + "\r\nContent-Encoding: deflate", b"\x00\x01junk")], "fuzzboundary"),
        "unknown_cte": _multipart([(field + "\r\nContent-Transfer-Encoding: x-unknown", b"abc")], "fuzzboundary"),
        "bad_base64": _multipart([(field + "\r\nContent-Transfer-Encoding: base64", b"!!!")], "fuzzboundary"),
        "no_disposition": _multipart([("Content-Type: text/plain", b"abc")], "fuzzboundary"),
        "nested": _multipart([('Content-Disposition: form-data; name="file"; filename="a.ics"\r\n'
                               "Content-Type: multipart/mixed; boundary=zz", b"--zz\r\n\r\nx\r\n--zz--\r\n")],
                             "fuzzboundary"),
        "header_junk": b"--fuzzboundary\r\nContent-Disposition: form-data; name=\"\xff\xfe\"\r\n\r\nx\r\n"
                       b"--fuzzboundary--\r\n",
        "huge_file": _multipart([('Content-Disposition: form-data; name="csrf"', _encode(csrf)),
                                 ('Content-Disposition: form-data; name="file"; filename="a.ics"',
                                  b"BEGIN:VCALENDAR\r\n" + b"X" * (2 * 1024 * 1024 + 10))], "fuzzboundary"),
    }
    return bodies[kind], content_type


# ---- the state the cases draw from ----------------------------------------------------------
@dataclass
class Agenda:
    """A running agenda server and its database."""
    host: str
    port: int
    engine: sa.engine.Engine
    api_token: str
    today: date
    secure: bool = False
    known: dict[str, str] = field(default_factory=dict)

    @property
    def session_cookie(self) -> str:
        return "__Host-ma_space" if self.secure else "ma_space"

    @property
    def pre_cookie(self) -> str:
        return "__Host-ma_pre" if self.secure else "ma_pre"

    def request(self, method: str, path: str, body: bytes | None = None, headers=(), **kwargs) -> Reply:
        return send(self.host, self.port, method, path, body, list(headers), **kwargs)

    def api(self, method: str, path: str, payload: dict | None = None) -> dict:
        reply = self.request(method, path, json.dumps(payload).encode() if payload is not None else None,
                             [("Authorization", f"Bearer {self.api_token}"), ("Content-Type", "application/json")])
        assert reply.status < 300, (path, reply.status, reply.text[:300])
        return json.loads(reply.text) if reply.text else {}

    def post_form(self, path: str, fields: dict, cookies: dict | None = None) -> Reply:
        return self.request("POST", path, form_body(list(fields.items())),
                            [("Content-Type", "application/x-www-form-urlencoded"), *self._cookie_header(cookies)])

    def get(self, path: str, cookies: dict | None = None) -> Reply:
        return self.request("GET", path, None, self._cookie_header(cookies))

    @staticmethod
    def _cookie_header(cookies: dict | None) -> list[tuple[str, str]]:
        return [("Cookie", "; ".join(f"{name}={value}" for name, value in cookies.items()))] if cookies else []

    # -- sign-in through the outbox --
    def last_link(self, email: str) -> str:
        with self.engine.connect() as connection:
            rows = connection.execute(sa.select(outbox).where(outbox.c.recipient_kind == "mediator")
                                      .order_by(outbox.c.id.desc())).fetchall()
        for row in rows:
            message = decode(row)
            if message.recipient == email and LINK.search(message.text or ""):
                return LINK.search(message.text).group(1)
        raise AssertionError(f"no sign-in link for {email}")

    def request_link(self, email: str) -> str:
        form = self.get("/espace/connexion")
        pre = form.cookies()[self.pre_cookie]
        sent = self.post_form("/espace/connexion", {"csrf": CSRF.search(form.text).group(1), "email": email},
                              {self.pre_cookie: pre})
        assert sent.status == 200, (sent.status, sent.text[:300])
        return self.last_link(email)

    def redeem(self, token: str) -> str:
        page = self.get(f"/espace/connexion/{token}")
        assert page.status == 200, (page.status, page.text[:300])
        pre = page.cookies()[self.pre_cookie]
        done = self.post_form(f"/espace/connexion/{token}", {"csrf": CSRF.search(page.text).group(1)},
                              {self.pre_cookie: pre})
        assert done.status == 303, (done.status, done.text[:300])
        return done.cookies()[self.session_cookie]

    def sign_in(self, email: str) -> tuple[str, str]:
        """A new session of this mediator and its CSRF token."""
        session = self.redeem(self.request_link(email))
        page = self.get("/espace/rendez-vous", {self.session_cookie: session})
        assert page.status == 200, (page.status, page.text[:300])
        return session, CSRF.search(page.text).group(1)

    def book(self, slot_id: int, mode: str, domain: str) -> dict:
        hold = self.api("POST", f"/api/slots/{slot_id}/hold", {"mode": mode})
        return self.api("POST", f"/api/holds/{hold['hold_id']}/confirm",
                        {"person": PERSON, "brief": {"domain": domain}, "conversation": f"fuzz-{slot_id}"})

    def move_listing(self, reference: str, secret: str) -> tuple[str, list[int]]:
        reply = self.post_form(f"/public/booking/{reference}/move", {"secret": secret})
        assert reply.status == 200, (reply.status, reply.text[:300])
        token = MOVE_TOKEN.search(reply.text)
        return (html.unescape(token.group(1)) if token else "", [int(slot) for slot in OFFERED.findall(reply.text)])


def _open_slots(agenda: Agenda) -> list:
    soon = agenda.today + timedelta(days=2)
    with agenda.engine.connect() as connection:
        return connection.execute(
            sa.select(slots.c.id, slots.c.modes, slots.c.mediator_id, mediators.c.email, mediators.c.specialities)
            .join(mediators, mediators.c.id == slots.c.mediator_id)
            .where(slots.c.status == "open", slots.c.hold_id.is_(None), slots.c.starts_at >= soon,
                   mediators.c.active.is_(True), mediators.c.email.is_not(None))
            .order_by(slots.c.mediator_id, slots.c.starts_at)).fetchall()


def prepare(agenda: Agenda) -> dict[str, str]:
    """Mediator A signed in (hours, a closure and a feed); a booking of A (own); two bookings
    of mediator B (the person's, whose code is never sent, and another whose code is sent
    against every reference); a session of mediator C that signed out; links used and unused;
    move tokens; an open slot offered to no move; an active hold."""
    rows = _open_slots(agenda)
    by_mediator: dict[int, list] = {}
    for row in rows:
        by_mediator.setdefault(row.mediator_id, []).append(row)
    b_id = max(by_mediator, key=lambda mediator_id: len(by_mediator[mediator_id]))
    others = [mediator_id for mediator_id in by_mediator if mediator_id != b_id]
    a_id, c_id = others[0], (others[1] if len(others) > 1 else others[0])
    a_slot, (p_slot, x_slot) = by_mediator[a_id][0], by_mediator[b_id][:2]
    domain_b = (by_mediator[b_id][0].specialities or ["other"])[0]
    own = agenda.book(a_slot.id, a_slot.modes[0], (a_slot.specialities or ["other"])[0])
    person = agenda.book(p_slot.id, p_slot.modes[0], domain_b)
    other = agenda.book(x_slot.id, x_slot.modes[0], domain_b)
    email_a, email_c = by_mediator[a_id][0].email, by_mediator[c_id][0].email
    known = agenda.known
    session, csrf = agenda.sign_in(email_a)
    link_used = agenda.request_link(email_c)
    ended = agenda.redeem(link_used)
    csrf_stale = CSRF.search(agenda.get("/espace/rendez-vous", {agenda.session_cookie: ended}).text).group(1)
    assert agenda.post_form("/espace/deconnexion", {"csrf": csrf_stale}, {agenda.session_cookie: ended}).status == 303
    link_unused = agenda.request_link(email_c)
    form = agenda.get("/espace/connexion")
    cookies = {agenda.session_cookie: session}
    feed = agenda.post_form("/espace/agenda/abonnement", {"csrf": csrf}, cookies)
    hours = {"csrf": csrf, "weekday": "2", "starts": "09:00", "ends": "10:00", "mode": "phone"}
    assert agenda.post_form("/espace/disponibilites/horaires", hours, cookies).status == 303
    closure = (agenda.today + timedelta(days=40)).isoformat()
    assert agenda.post_form("/espace/disponibilites/exceptions", {"csrf": csrf, "from_date": closure},
                            cookies).status == 303
    with agenda.engine.connect() as connection:
        rule_id = connection.execute(sa.select(sa.func.max(mediator_hours.c.id)).where(
            mediator_hours.c.mediator_id == a_id)).scalar()
        exception_id = connection.execute(sa.select(sa.func.max(mediator_exceptions.c.id)).where(
            mediator_exceptions.c.mediator_id == a_id)).scalar()
    move_token, offered = agenda.move_listing(person["reference"], person["secret"])
    foreign_token, offered_other = agenda.move_listing(other["reference"], other["secret"])
    spare = [row for row in _open_slots(agenda) if row.id not in set(offered) | set(offered_other)]
    hold = agenda.api("POST", f"/api/slots/{spare[-1].id}/hold", {"mode": spare[-1].modes[0]})
    known.update(
        api_token=agenda.api_token, session=session, csrf_session=csrf, ended_session=ended, csrf_stale=csrf_stale,
        pre=form.cookies()[agenda.pre_cookie], csrf_pre=CSRF.search(form.text).group(1),
        link_used=link_used, link_unused=link_unused, email=email_a, email_upper=email_a.upper(),
        own_reference=own["reference"], own_reference_lower=own["reference"].lower(), own_secret=own["secret"],
        person_reference=person["reference"], person_reference_lower=person["reference"].lower(),
        other_reference=other["reference"], other_secret=other["secret"], calendar=person["calendar_token"],
        feed_token=FEED.search(feed.text).group(1), rule_id=str(rule_id), exception_id=str(exception_id),
        move_token=move_token, foreign_move_token=foreign_token, not_offered_slot=str(spare[0].id),
        booked_slot=str(x_slot.id), hold_id=hold["hold_id"], mediator_id=str(a_id), conversation=f"fuzz-{a_slot.id}",
        today=agenda.today.isoformat(), yesterday=(agenda.today - timedelta(days=1)).isoformat(),
        in_a_month=(agenda.today + timedelta(days=30)).isoformat(),
        in_three_years=(agenda.today + timedelta(days=3 * 366)).isoformat(),
        person_slot=str(p_slot.id), email_c=email_c,
        person_secret=person["secret"])  # for the tests by hand: no PLAUSIBLE value names it, the fuzz never sends it
    return known


# ---- one case --------------------------------------------------------------------------------
def guarded_state(engine: sa.engine.Engine, references: list[str]) -> dict:
    """Everything a confirmation guards, as comparable values."""
    def rows(connection, query):
        return sorted(tuple(str(value) for value in row) for row in connection.execute(query))
    with engine.connect() as connection:
        return {
            "bookings": rows(connection, sa.select(bookings.c.reference, bookings.c.status, bookings.c.slot_id,
                                                   bookings.c.mode, bookings.c.person_name)
                             .where(bookings.c.reference.in_(references))),
            "outcomes": rows(connection, sa.select(booking_outcomes.c.booking_id, booking_outcomes.c.outcome)),
            "hours": rows(connection, sa.select(mediator_hours)),
            "exceptions": rows(connection, sa.select(mediator_exceptions)),
            "accounts": rows(connection, sa.select(mediator_accounts.c.mediator_id, mediator_accounts.c.session_minutes,
                                                   mediator_accounts.c.feed_token_hash, mediator_accounts.c.busy_url)),
            "busy": rows(connection, sa.select(busy_periods.c.mediator_id, busy_periods.c.starts_at,
                                               busy_periods.c.ends_at)),
            "sessions": rows(connection, sa.select(mediator_sessions.c.id_hash, mediator_sessions.c.mediator_id)),
            "used_links": rows(connection, sa.select(signin_links.c.token_hash, signin_links.c.used_at)),
        }


_FRENCH_JSON = [re.compile("^" + re.sub(r"\\\{[a-z_]+\\\}", ".*", re.escape(message)) + "$", re.S)
                for message in content.AGENDA_ERRORS.values()]


def protocol_refusal(reply: Reply) -> bool:
    """aiohttp's own answer to bytes that are not HTTP (a control character in a header…),
    before any handler or middleware: a plain-text 400 without the headers every answer of
    ours has. No browser sends these; the answer carries no trace (checked)."""
    return (reply.status == 400 and "Content-Security-Policy" not in reply.headers
            and reply.headers.get("Content-Type", "").startswith("text/plain"))


class Fuzzer:
    def __init__(self, agenda: Agenda):
        self.agenda = agenda
        self.known = agenda.known
        self.references = [self.known[name] for name in ("own_reference", "person_reference", "other_reference")]
        self.sent = 0

    def _resolve(self, choice: tuple[str, str]) -> str | None:
        kind, value = choice
        if kind == "none":
            return None
        return self.known.get(value, "") if kind == "known" else value

    def request_of(self, case: Case) -> tuple[str, list[tuple[str, str | bytes]], bytes | None]:
        kind, value = case.part
        part = value if kind == "raw" else urllib.parse.quote(
            (self._resolve(case.part) or "x")[:300], safe="", errors="surrogatepass")
        path = case.route.path.replace("{p}", part or "x")
        if case.query:
            path += "?" + urllib.parse.urlencode(case.query, errors="surrogatepass")
        fields = [(name, self._resolve(choice) or "") for name, choice in case.fields]
        csrf = self._resolve(case.csrf)
        if csrf is not None:
            fields.insert(0, ("csrf", csrf))
        body, content_type = self._body(case, fields)
        headers: list[tuple[str, str | bytes]] = []
        cookies = [(self.agenda.session_cookie, self._resolve(case.session)),
                   (self.agenda.pre_cookie, self._resolve(case.pre))]
        cookie = b"; ".join(_header_value(name) + b"=" + _header_value(value) for name, value in cookies
                            if value is not None)
        if cookie:
            headers.append(("Cookie", cookie))
        if case.content_type is not None or content_type:
            headers.append(("Content-Type", _header_value(case.content_type if case.content_type is not None
                                                          else content_type)))
        if case.origin is not None:
            headers.append(("Origin", _header_value(case.origin)))
        bearer = self._resolve(case.bearer)
        if bearer is not None and case.route.api:
            headers.append(("Authorization", b"Bearer " + _header_value(bearer)))
        return path, headers, body if case.method not in ("GET", "HEAD") or case.encoding == "raw" else None

    def _body(self, case: Case, fields: list[tuple[str, str]]) -> tuple[bytes | None, str | None]:
        if case.route.api and case.encoding in ("form", "multipart", "latin1_form"):
            payload: dict = {name: value for name, value in fields}
            if "person" in payload:
                payload["person"] = {**PERSON, "name": payload["person"]}
            return json.dumps(payload).encode(), "application/json"
        if case.encoding == "form":
            return form_body(fields), "application/x-www-form-urlencoded"
        if case.encoding == "multipart":
            return multipart_body(fields, case.file), "multipart/form-data; boundary=fuzzboundary"
        if case.encoding == "broken_multipart":
            return broken_multipart(case.broken, fields)
        if case.encoding == "json":
            return json.dumps(dict(fields), ensure_ascii=False).encode("utf-8", "surrogatepass"), "application/json"
        if case.encoding == "huge_form":
            return form_body(fields) + b"&label=" + b"a" * (1024 * 1024), "application/x-www-form-urlencoded"
        if case.encoding == "latin1_form":
            body = "&".join(f"{name}={value}" for name, value in fields).encode("latin-1", "replace")
            return body + b"&x=\xe9\xff", "application/x-www-form-urlencoded"
        if case.encoding == "empty":
            return b"", None
        return case.raw_body, None

    def authorised(self, case: Case) -> bool:
        """Over-approximated: the request carried what may legitimately change something."""
        if case.method not in ("POST", "DELETE"):
            return False
        if case.route.guard == "session":
            return case.session == ("known", "session") and case.csrf == ("known", "csrf_session")
        if case.route.guard == "pre":
            return case.pre == ("known", "pre") and case.csrf == ("known", "csrf_pre")
        if case.route.guard == "bearer":  # the service's own token: erasure of a conversation's bookings
            return case.bearer == ("known", "api_token")
        if case.route.guard == "code":  # the other booking's own code, sent with its own reference
            secret = dict(case.fields).get("secret")
            return case.part == ("known", "other_reference") and secret == ("known", "other_secret")
        return False

    def run(self, case: Case) -> Reply:
        path, headers, body = self.request_of(case)
        before = guarded_state(self.agenda.engine, self.references)
        reply = self.agenda.request(case.method, path, body, headers)
        self.sent += 1
        self.check(case, reply)
        after = guarded_state(self.agenda.engine, self.references)
        if not self.authorised(case):
            changed = [key for key in before if before[key] != after[key]]
            assert not changed, f"{case.method} {path}: {changed} changed without confirmation ({reply.status})"
        if before["sessions"] != after["sessions"] or case.route.path == "/espace/deconnexion":
            self.refresh_session()
        return reply

    def check(self, case: Case, reply: Reply) -> None:
        assert_sane(reply.status, reply.text)
        if case.route.path != "/api/openapi.yaml":  # the API's documentation names our modules
            assert_no_internal_names(reply.text)
        if reply.status < 400 or case.method == "HEAD" or protocol_refusal(reply):
            return
        if case.route.page or case.route.path.startswith("/public/booking/"):
            assert 'lang="fr"' in reply.text, (case.method, case.route.path, reply.status, reply.text[:300])
        elif case.route.path.startswith("/public/"):
            message = json.loads(reply.text)["error"]["message"]
            assert any(pattern.match(message) for pattern in _FRENCH_JSON), message

    def refresh_session(self) -> None:
        """After an authorised sign-out (or any change to the sessions): sign A in again if
        their session is gone, so that the following cases still reach the pages."""
        page = self.agenda.get("/espace/rendez-vous", {self.agenda.session_cookie: self.known["session"]})
        if page.status == 200:
            return
        try:
            self.known["session"], self.known["csrf_session"] = self.agenda.sign_in(self.known["email"])
        except AssertionError:  # the sign-in limits of a real server: the rest runs signed out
            pass

    def assert_still_answers(self) -> None:
        assert self.agenda.get("/health").status == 200
        self.refresh_session()
        page = self.agenda.get("/espace/rendez-vous", {self.agenda.session_cookie: self.known["session"]})
        assert page.status in (200, 303)
        reply = self.agenda.get(f"/public/booking/{self.known['person_reference']}")
        assert reply.status == 200 and 'name="secret"' in reply.text
        with self.agenda.engine.connect() as connection:  # the person's booking: its code was never sent
            row = connection.execute(sa.select(bookings.c.status, bookings.c.slot_id).where(
                bookings.c.reference == self.known["person_reference"])).first()
        assert (row.status, str(row.slot_id)) == ("confirmed", self.known["person_slot"])
