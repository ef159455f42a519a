"""Hostile input on every route of the agenda app alone (issue 18), model-free, in SQLite,
on a real server on loopback: the mediator's space, the sign-in by link, the person's
booking page, the calendar files and the bearer API (tests/support/agenda_fuzz.py draws
the cases and checks each answer and the database). Bounded: a few hundred requests.

The replays and the payloads never offered are also tried by hand below, each with the
database checked: a sign-in link used twice, a cancel or move form posted twice, a CSRF
token after sign-out, another mediator's booking, a slot never offered, an unknown mode,
year 0 or 99999, an end before the start.
"""
from __future__ import annotations

import asyncio
import html
import json
import logging
import re
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from aiohttp import web
from hypothesis import HealthCheck, given, settings

from bot import content
from bot.agenda.schema import bookings, mediator_hours, mediators, outbox, slots
from bot.agenda.service import create_app
from bot.agenda.space import auth, calendars, web as space_web
from tests.support.agenda_fixtures import Clock, seeded_store
from tests.support.agenda_fuzz import (ALL_ROUTES, API_ROUTES, BUSY_ICS, CSRF, FILES, PUBLIC_ROUTES, SIGNIN_ROUTES,
                                       SPACE_ROUTES, Agenda, Fuzzer, cases, form_body, guarded_state, multipart_body,
                                       prepare)
from tests.support.fuzz import TRACE_MARKERS, assert_sane


def fuzz(examples: int):
    return settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.data_too_large])


class LoopbackServer:
    """The aiohttp app on 127.0.0.1 in a thread of its own, for plain blocking clients."""

    def __init__(self, app: web.Application):
        self.app, self.loop = app, asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def _call(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=60)

    def __enter__(self) -> int:
        self.thread.start()
        self.runner = web.AppRunner(self.app)
        self._call(self.runner.setup())
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        self._call(site.start())
        return site._server.sockets[0].getsockname()[1]

    def __exit__(self, *_exc) -> None:
        self._call(self.runner.cleanup())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


@contextmanager
def running_agenda(directory):
    """A fresh agenda (the seeded store, three more slots for Lyon) on loopback, prepared."""
    clock = Clock()
    store = seeded_store(f"sqlite:///{directory}/agenda.db", clock)
    with store.engine.begin() as connection:  # Lyon: enough slots for two bookings and a move
        lyon = connection.execute(sa.select(mediators.c.id).where(mediators.c.external_id == "lyon")).scalar()
        for day in (3, 4, 5):
            start = clock.now + timedelta(days=day, hours=2)
            connection.execute(slots.insert().values(
                mediator_id=lyon, starts_at=start, ends_at=start + timedelta(hours=1), modes=["in_person"],
                status="open", source="api", source_uid=f"lyon-fuzz-{day}"))
    limits = auth.SigninLimits(per_address=10_000, per_client=10_000)
    app = create_app(store, token="service-token", admin_token="admin-token",
                     space=space_web.settings_from("http://127.0.0.1:5056", limits=limits))
    with LoopbackServer(app) as port:
        agenda = Agenda("127.0.0.1", port, store.engine, "service-token", clock().date())
        prepare(agenda)
        yield agenda


@pytest.fixture(scope="module")
def fuzzer(tmp_path_factory):
    with running_agenda(tmp_path_factory.mktemp("fuzz")) as agenda:
        yield Fuzzer(agenda)


@pytest.fixture
def agenda(tmp_path):
    with running_agenda(tmp_path) as agenda:
        yield agenda


def test_every_route_of_the_agenda_is_fuzzed(tmp_path):
    app = create_app(seeded_store(f"sqlite:///{tmp_path}/agenda.db"), token="t")
    served = {(route.method, re.sub(r"\{[a-z_]+\}", "{p}", route.resource.canonical))
              for route in app.router.routes() if route.method != "HEAD"}
    assert served == {(route.method, route.path) for route in ALL_ROUTES}


@fuzz(150)
@given(case=cases(SPACE_ROUTES))
def test_the_mediators_space(fuzzer, case):
    fuzzer.run(case)


@fuzz(60)
@given(case=cases(SIGNIN_ROUTES))
def test_the_sign_in_by_link(fuzzer, case):
    fuzzer.run(case)


@fuzz(90)
@given(case=cases(PUBLIC_ROUTES))
def test_the_persons_booking_page_and_calendar(fuzzer, case):
    fuzzer.run(case)


@fuzz(50)
@given(case=cases(API_ROUTES))
def test_the_bearer_api(fuzzer, case):
    fuzzer.run(case)


def test_the_server_still_answers_and_no_confirmation_was_skipped(fuzzer):
    # Runs after the fuzz tests above (file order).
    assert fuzzer.sent >= 300
    fuzzer.assert_still_answers()


# ---- by hand: replays, payloads never offered, hostile headers ------------------------------
def guarded(agenda: Agenda) -> dict:
    known = agenda.known
    return guarded_state(agenda.engine, [known["own_reference"], known["person_reference"], known["other_reference"]])


def signed_post(agenda: Agenda, path: str, fields: dict, csrf: str | None = None, session: str | None = None):
    known = agenda.known
    return agenda.post_form(path, {"csrf": csrf or known["csrf_session"], **fields},
                            {agenda.session_cookie: session or known["session"]})


def french(reply, status: int) -> str:
    assert reply.status == status, (reply.status, reply.text[:300])
    assert_sane(reply.status, reply.text)
    assert 'lang="fr"' in reply.text, reply.text[:300]
    return html.unescape(reply.text)


def outbox_keys(agenda: Agenda, fragment: str) -> list[str]:
    with agenda.engine.connect() as connection:
        return [key for (key,) in connection.execute(sa.select(outbox.c.dedup_key)) if fragment in key]


def test_a_sign_in_link_used_twice_opens_one_session(agenda):
    token = agenda.known["link_unused"]
    agenda.redeem(token)
    before = guarded(agenda)
    page = agenda.get(f"/espace/connexion/{token}")
    assert content.SPACE_LINK_INVALID in french(page, 410)
    form = agenda.get("/espace/connexion")  # a fresh pre-session and its token: the link itself is spent
    again = agenda.post_form(f"/espace/connexion/{token}", {"csrf": CSRF.search(form.text).group(1)},
                             {agenda.pre_cookie: form.cookies()[agenda.pre_cookie]})
    assert content.SPACE_LINK_INVALID in french(again, 410)
    assert guarded(agenda) == before


def test_a_csrf_token_is_refused_after_sign_out(agenda):
    known = agenda.known
    old_session, old_csrf = known["session"], known["csrf_session"]
    assert signed_post(agenda, "/espace/deconnexion", {}).status == 303
    before = guarded(agenda)
    hours = {"weekday": "1", "starts": "09:00", "ends": "12:00", "mode": "phone"}
    assert content.SPACE_SESSION_EXPIRED in french(signed_post(agenda, "/espace/disponibilites/horaires", hours), 403)
    new_session, _csrf = agenda.sign_in(known["email"])
    refused = signed_post(agenda, "/espace/disponibilites/horaires", hours, csrf=old_csrf, session=new_session)
    assert content.SPACE_CSRF_REFUSED in french(refused, 403)
    replayed_signout = signed_post(agenda, "/espace/deconnexion", {}, csrf=old_csrf, session=new_session)
    assert content.SPACE_CSRF_REFUSED in french(replayed_signout, 403)
    after = guarded(agenda)
    assert after["hours"] == before["hours"] and len(after["sessions"]) == len(before["sessions"]) + 1
    assert old_session != new_session


def test_a_cancel_posted_twice_cancels_once(agenda):
    known = agenda.known
    path = f"/espace/rendez-vous/{known['own_reference']}/annuler"
    assert signed_post(agenda, path, {"confirm": "yes"}).status == 303
    french(signed_post(agenda, path, {"confirm": "yes"}), 409)
    assert len(outbox_keys(agenda, ":cancelled-by-mediator:person")) == 1
    # The person's own page: the other booking with its own code, twice.
    page = f"/public/booking/{known['other_reference']}"
    assert agenda.post_form(page, {"secret": known["other_secret"]}).status == 200
    assert content.MANAGE_ALREADY_CANCELLED in french(agenda.post_form(page, {"secret": known["other_secret"]}), 409)
    with agenda.engine.connect() as connection:
        statuses = dict(connection.execute(sa.select(bookings.c.reference, bookings.c.status)).fetchall())
    assert statuses[known["own_reference"]] == statuses[known["other_reference"]] == "cancelled"
    assert statuses[known["person_reference"]] == "confirmed"


def test_a_move_posted_twice_moves_once(agenda):
    known = agenda.known
    path = f"/public/booking/{known['person_reference']}/move"
    token, offered = agenda.move_listing(known["person_reference"], known["person_secret"])
    first = agenda.post_form(path, {"token": token, "slot": str(offered[0])})
    assert first.status == 200 and "est déplacé" in first.text
    moves = outbox_keys(agenda, ":moved-")
    assert content.MANAGE_MOVE_TAKEN in french(agenda.post_form(path, {"token": token, "slot": str(offered[0])}), 409)
    assert outbox_keys(agenda, ":moved-") == moves
    with agenda.engine.connect() as connection:
        slot = connection.execute(sa.select(bookings.c.slot_id).where(
            bookings.c.reference == known["person_reference"])).scalar()
    assert slot == offered[0]


@pytest.mark.parametrize("path, fields", [
    ("/espace/deconnexion", {}), ("/espace/agenda/abonnement", {}), ("/espace/agenda/abonnement/revoquer", {}),
    ("/espace/disponibilites/horaires/{rule_id}/supprimer", {}),
    ("/espace/disponibilites/exceptions/{exception_id}/supprimer", {}),
    ("/espace/rendez-vous/{own_reference}/annuler", {"confirm": "yes"}),
    ("/espace/disponibilites/duree", {"minutes": "30"}),
])
def test_a_multipart_form_does_not_skip_the_csrf_check(agenda, path, fields):
    """Before the fix, every signed-in POST sent as multipart/form-data skipped the CSRF check
    (sign-out, feed created or revoked, hours and closures deleted) or failed with a 500."""
    known = agenda.known
    path = path.format(**known)
    before = guarded(agenda)
    for with_csrf in (False, True):
        parts = [("csrf", known["csrf_session"])] * with_csrf + list(fields.items())
        reply = agenda.request("POST", path, multipart_body(parts, None), [
            ("Content-Type", "multipart/form-data; boundary=fuzzboundary"),
            ("Cookie", f"{agenda.session_cookie}={known['session']}")])
        french(reply, 400)
    assert guarded(agenda) == before


def test_payloads_never_offered_change_nothing(agenda):
    known = agenda.known
    with agenda.engine.begin() as connection:  # an hour rule of another mediator
        other_rule = connection.execute(mediator_hours.insert().values(
            mediator_id=int(known["mediator_id"]) + 1, weekday=1, starts="09:00", ends="10:00", mode="phone"
        )).inserted_primary_key[0]
    before = guarded(agenda)
    space = [
        (f"/espace/rendez-vous/{known['other_reference']}/annuler", {"confirm": "yes"}, 404),
        (f"/espace/rendez-vous/{known['other_reference']}/statut", {"outcome": "done"}, 404),
        (f"/espace/rendez-vous/{known['own_reference']}/statut", {"outcome": "exploded"}, 400),
        (f"/espace/rendez-vous/{known['own_reference']}/annuler", {"confirm": "oui"}, 400),
        ("/espace/disponibilites/horaires", {"weekday": "1", "starts": "09:00", "ends": "10:00",
                                             "mode": "teleportation"}, 400),
        ("/espace/disponibilites/horaires", {"weekday": "1", "starts": "12:00", "ends": "09:00", "mode": "phone"}, 400),
        ("/espace/disponibilites/horaires", {"weekday": "7", "starts": "09:00", "ends": "10:00", "mode": "phone"}, 400),
        ("/espace/disponibilites/exceptions", {"from_date": "0000-01-01"}, 400),
        ("/espace/disponibilites/exceptions", {"from_date": "99999-01-01"}, 400),
        ("/espace/disponibilites/exceptions", {"from_date": known["in_three_years"]}, 400),
        ("/espace/disponibilites/exceptions", {"from_date": known["in_a_month"], "to_date": known["today"]}, 400),
        ("/espace/disponibilites/exceptions", {"from_date": known["in_a_month"], "from_time": "18:00",
                                               "to_time": "08:00"}, 400),
        ("/espace/disponibilites/duree", {"minutes": "7"}, 400),
        (f"/espace/disponibilites/horaires/{other_rule}/supprimer", {}, 303),  # not A's: nothing deleted
    ]
    for path, fields, status in space:
        reply = signed_post(agenda, path, fields)
        assert reply.status == status, (path, fields, reply.status)
        if status != 303:
            french(reply, status)
    move = f"/public/booking/{known['person_reference']}/move"
    person = [
        (move, {"token": known["move_token"], "slot": known["not_offered_slot"]}, 400),
        (move, {"token": known["move_token"], "slot": known["booked_slot"]}, 400),
        (move, {"token": known["foreign_move_token"], "slot": known["not_offered_slot"]}, 400),
        (move, {"secret": known["other_secret"]}, 403),
        (f"/public/booking/{known['person_reference']}", {"secret": known["other_secret"]}, 403),
    ]
    for path, fields, status in person:
        french(agenda.post_form(path, fields), status)
    assert guarded(agenda) == before


def test_hostile_headers_get_a_french_400_not_a_500(agenda):
    known = agenda.known
    cookies = f"{agenda.session_cookie}={known['session']}"
    hours = form_body([("csrf", known["csrf_session"]), ("weekday", "1"), ("starts", "09:00"), ("ends", "10:00"),
                       ("mode", "phone")])
    before = guarded(agenda)
    for content_type in (b"application/x-www-form-urlencoded; charset=klingon",
                         b"application/x-www-form-urlencoded; x=\xc3\xa9\xff", b"text/\xc3\xa9\xff"):
        reply = agenda.request("POST", "/espace/disponibilites/horaires", hours,
                               [("Content-Type", content_type), ("Cookie", cookies)])
        french(reply, 400)
        reply = agenda.request("POST", f"/public/booking/{known['person_reference']}", b"secret=zzzzzzzz",
                               [("Content-Type", content_type)])
        assert 'name="secret"' in french(reply, 400)
        reply = agenda.request("POST", "/api/holds/00000000-0000-0000-0000-000000000000/confirm", b"{}",
                               [("Content-Type", content_type), ("Authorization", "Bearer service-token")])
        assert reply.status == 400 and json.loads(reply.text)["error"]["message"] == content.AGENDA_ERRORS["http_400"]
    # A CSRF token or a bearer that is not ASCII: refused, not compared into a 500.
    reply = agenda.post_form("/espace/disponibilites/horaires", {"csrf": "é" * 43},
                             {agenda.session_cookie: known["session"]})
    assert content.SPACE_CSRF_REFUSED in french(reply, 403)
    reply = agenda.request("GET", "/api/slots", None, [("Authorization", b"Bearer \xff\xfe")])
    assert reply.status == 401
    assert guarded(agenda) == before


@pytest.mark.parametrize("url", ["https://[", "https://[::1", "https://agenda.example:99999/x.ics",
                                 "https://agenda.example:abc/", "webcal://[::1]/a.ics"])
def test_a_busy_times_address_that_cannot_be_parsed_is_refused_politely(agenda, url):
    reply = signed_post(agenda, "/espace/agenda/occupations", {"url": url})
    assert content.SPACE_BUSY_BAD_URL in french(reply, 400)


@pytest.mark.parametrize("rule", ["RRULE:FREQ=SECONDLY", "RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30"])
def test_a_calendar_too_heavy_to_expand_is_refused_in_time(agenda, monkeypatch, rule):
    """A rule repeating every second, or one no date matches (dateutil seeks it until the
    year 9999), used to hold a worker thread for hours; now its child process is stopped."""
    monkeypatch.setattr(calendars, "PARSE_SECONDS", 2.0)
    ics = BUSY_ICS.format(start="20261124T073000Z", end="20261124T073001Z", extra=rule + "\r\n").encode()
    before = guarded(agenda)
    started = time.monotonic()
    reply = agenda.request("POST", "/espace/agenda/occupations",
                           multipart_body([("csrf", agenda.known["csrf_session"])], ics),
                           [("Content-Type", "multipart/form-data; boundary=fuzzboundary"),
                            ("Cookie", f"{agenda.session_cookie}={agenda.known['session']}")])
    assert content.SPACE_BUSY_TOO_COMPLEX in french(reply, 400)
    assert time.monotonic() - started < 10
    assert guarded(agenda) == before
    # A calendar of the usual kind still goes through the child process.
    assert calendars.busy_from_ics(FILES[0], Clock()(), Clock()() + timedelta(days=30)) == [
        (datetime(2026, 11, 24, 7, 30), datetime(2026, 11, 24, 8, 30))]


def test_a_malformed_request_is_refused_and_not_logged_with_its_bytes(agenda, caplog):
    caplog.set_level(logging.INFO)
    session = agenda.known["session"]
    reply = agenda.request("GET", "/espace/rendez-vous", None,
                           [("Cookie", f"{agenda.session_cookie}={session}; x=\x1f".encode())])
    assert reply.status == 400 and not any(marker in reply.text for marker in TRACE_MARKERS)
    assert session not in caplog.text and "malformed HTTP request refused (400)" in caplog.text
    assert agenda.get("/health").status == 200


def test_the_persons_page_answers_every_refusal_in_french(agenda):
    reference = agenda.known["person_reference"]
    for method, path, status in (("GET", f"/public/booking/{reference}/move", 405),
                                 ("PUT", f"/public/booking/{reference}", 405),
                                 ("GET", f"/public/booking/{reference}/nothing", 404),
                                 ("DELETE", "/public/booking/nothing", 405)):
        text = french(agenda.request(method, path), status)
        assert content.MANAGE_PAGE_ERRORS[status] in text
    assert 'name="secret"' in french(agenda.request("GET", f"/public/booking/{reference}/move"), 405)
    for method, status in (("GET", 404), ("PUT", 405)):
        reply = agenda.request(method, "/public/calendar/unknown.ics")
        assert reply.status == status
        assert json.loads(reply.text)["error"]["message"] in (content.AGENDA_ERRORS["calendar_not_found"],
                                                              content.AGENDA_ERRORS["http_405"])
