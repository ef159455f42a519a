"""The mediator's space over HTTP on loopback (aiohttp's test server): sign-in by link,
sessions, CSRF, rate limits, appointments, hours, calendar; headers and hostile input."""
from __future__ import annotations

from datetime import timedelta

import icalendar
import pytest
import sqlalchemy as sa

from bot import content
from bot.agenda.schema import bookings, mediator_hours, slots
from bot.agenda.space import auth
from tests.support.agenda_fixtures import Clock, seeded_store, slot_ids
from tests.support.space_helpers import csrf_of, last_link, messages, request_link, sign_in, start

PARIS, LYON = "paris@demo-mediation.example", "lyon@demo-mediation.example"
PERSON = {"name": "Marie Dupont", "email": "marie@exemple.fr", "contact_consent": True}


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def store(tmp_path, clock):
    return seeded_store(f"sqlite:///{tmp_path}/agenda.db", clock)


@pytest.fixture
async def space(store):
    client = await start(store, limits=auth.SigninLimits(per_address=3, per_client=6))
    yield client
    await client.close()


def book_paris(store, brief=None):
    slot = slot_ids(store, "paris")[0]
    return store.confirm(store.hold(slot, "video")["hold_id"], PERSON,
                         brief or {"domain": "family", "facts": {"other_party": "ex_partner", "departement": "75"},
                                   "note": "Résumé automatique"})


async def page(client, path, status=200):
    reply = await client.get(path, allow_redirects=False)
    text = await reply.text()
    assert reply.status == status, text[:800]
    assert "Traceback" not in text
    return reply, text


# ---- sign-in ------------------------------------------------------------------------------
async def test_sign_in_by_link_then_pages_need_the_session(space):
    reply, _ = await page(space, "/espace/rendez-vous", 303)
    assert reply.headers["Location"] == "/espace/connexion"
    await sign_in(space, PARIS)
    _, text = await page(space, "/espace/rendez-vous")
    assert "Mes rendez-vous" in text and "Médiateur paris" in text


async def test_the_answer_is_the_same_for_known_and_unknown_addresses(space):
    known = await request_link(space, PARIS)
    unknown = await request_link(space, "personne@inconnu.example")
    assert known.status == unknown.status == 200
    assert await known.text() == await unknown.text()
    sent = messages(space.store, "mediator")
    assert [message.recipient for message in sent] == [PARIS]
    assert sent[0].subject == content.SPACE_SIGNIN_SUBJECT and "15 minutes" in sent[0].text


async def test_a_link_works_once(space):
    await request_link(space, PARIS)
    path = "/espace/connexion/" + last_link(space.store).rsplit("/", 1)[1]
    _, text = await page(space, path)
    csrf = csrf_of(text)
    first = await space.post(path, data={"csrf": csrf}, allow_redirects=False)
    assert first.status == 303
    # Replayed with a fresh pre-session (the first redemption dropped it): refused as used.
    space.session.cookie_jar.clear()
    _, text = await page(space, "/espace/connexion")
    second = await space.post(path, data={"csrf": csrf_of(text)}, allow_redirects=False)
    assert second.status == 410 and "déjà servi" in await second.text()
    await page(space, path, 410)
    with space.store.engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM mediator_sessions")).scalar() == 1


async def test_a_link_expires_after_15_minutes(space, clock):
    await request_link(space, PARIS)
    path = "/espace/connexion/" + last_link(space.store).rsplit("/", 1)[1]
    _, text = await page(space, path)
    clock.advance(minutes=15, seconds=1)
    reply = await space.post(path, data={"csrf": csrf_of(text)}, allow_redirects=False)
    assert reply.status == 410
    await page(space, "/espace/rendez-vous", 303)


async def test_tokens_are_stored_hashed(space):
    await sign_in(space, PARIS)
    token = last_link(space.store).rsplit("/", 1)[1]
    session = next(cookie.value for cookie in space.session.cookie_jar if cookie.key == "ma_space")
    with space.store.engine.connect() as connection:
        dump = repr(connection.execute(sa.text("SELECT * FROM signin_links")).fetchall()) + repr(
            connection.execute(sa.text("SELECT * FROM mediator_sessions")).fetchall())
    assert token not in dump and session not in dump


async def test_sessions_expire(space, clock):
    await sign_in(space, PARIS)
    clock.advance(hours=8, seconds=1)
    await page(space, "/espace/rendez-vous", 303)


async def test_sign_out_ends_the_session(space):
    await sign_in(space, PARIS)
    _, text = await page(space, "/espace/rendez-vous")
    reply = await space.post("/espace/deconnexion", data={"csrf": csrf_of(text)}, allow_redirects=False)
    assert reply.status == 303
    await page(space, "/espace/rendez-vous", 303)


async def test_session_cookie_flags_behind_https(store):
    client = await start(store, public_url="https://agenda.example")
    try:
        # The client's jar keeps Secure cookies away from plain http: they are passed by hand.
        form = await client.get("/espace/connexion")
        first_pre = form.cookies["__Host-ma_pre"].value
        sent = await client.post("/espace/connexion", data={"csrf": csrf_of(await form.text()), "email": PARIS},
                                 cookies={"__Host-ma_pre": first_pre})
        assert sent.status == 200
        path = "/espace/connexion/" + last_link(store).rsplit("/", 1)[1]
        assert last_link(store).startswith("https://agenda.example/espace/connexion/")
        reply = await client.get(path)
        pre = reply.cookies["__Host-ma_pre"]
        assert pre["secure"] and pre["httponly"] and pre["samesite"] == "Strict" and pre["path"] == "/"
        done = await client.post(path, data={"csrf": csrf_of(await reply.text())}, allow_redirects=False,
                                 cookies={"__Host-ma_pre": pre.value})
        assert done.status == 303
        session = done.cookies["__Host-ma_space"]
        assert session["secure"] and session["httponly"] and session["samesite"] == "Strict"
        assert session["path"] == "/" and int(session["max-age"]) == 8 * 3600
        assert done.headers["Strict-Transport-Security"].startswith("max-age=")
    finally:
        await client.close()


async def test_session_cookie_flags_on_loopback(space):
    await request_link(space, PARIS)
    path = "/espace/connexion/" + last_link(space.store).rsplit("/", 1)[1]
    _, text = await page(space, path)
    done = await space.post(path, data={"csrf": csrf_of(text)}, allow_redirects=False)
    cookie = done.cookies["ma_space"]
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and not cookie["secure"]
    assert len(cookie.value) >= 43


async def test_sign_in_requests_are_rate_limited_per_address_and_per_client(space):
    for _ in range(3):
        assert (await request_link(space, PARIS)).status == 200
    limited = await request_link(space, PARIS)
    assert limited.status == 429 and "Trop de demandes" in await limited.text()
    assert int(limited.headers["Retry-After"]) > 0
    assert len(messages(space.store, "mediator")) == 3
    # Other addresses from the same client: the per-client limit (6) stops them too.
    statuses = [(await request_link(space, f"x{index}@inconnu.example")).status for index in range(4)]
    assert statuses == [200, 200, 200, 429]  # a refused request is not counted


async def test_sign_in_without_the_pre_session_cookie_is_refused(space):
    _, text = await page(space, "/espace/connexion")
    space.session.cookie_jar.clear()
    reply = await space.post("/espace/connexion", data={"csrf": csrf_of(text), "email": PARIS})
    assert reply.status == 403 and messages(space.store) == []


async def test_a_deactivated_mediator_cannot_sign_in(space):
    from bot.agenda.schema import mediators
    with space.store.engine.begin() as connection:
        connection.execute(mediators.update().where(mediators.c.email == PARIS).values(active=False))
    assert (await request_link(space, PARIS)).status == 200
    assert messages(space.store) == []


# ---- CSRF -----------------------------------------------------------------------------------
async def test_a_post_without_or_with_a_wrong_csrf_token_changes_nothing(space):
    await sign_in(space, PARIS)
    form = {"weekday": "1", "starts": "09:00", "ends": "12:00", "mode": "phone"}
    for csrf in (None, "forged", csrf_of((await page(space, "/espace/connexion"))[1])):
        data = dict(form, **({"csrf": csrf} if csrf else {}))
        reply = await space.post("/espace/disponibilites/horaires", data=data, allow_redirects=False)
        assert reply.status == 403 and "rien n'a été modifié" in (await reply.text()).replace("&#39;", "'")
    with space.store.engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(mediator_hours)).scalar() == 0


# ---- appointments -----------------------------------------------------------------------------
async def test_the_mediator_sees_the_booking_with_brief_and_contact(space):
    booking = book_paris(space.store)
    await sign_in(space, PARIS)
    _, listing = await page(space, "/espace/rendez-vous")
    assert booking["reference"] in listing and "Marie Dupont" in listing and "en visio" in listing
    _, detail = await page(space, f"/espace/rendez-vous/{booking['reference']}")
    assert "marie@exemple.fr" in detail and "conflit familial" in detail
    assert "ex-conjoint(e) ou ex-partenaire" in detail


async def test_another_mediators_booking_is_not_found(space):
    booking = book_paris(space.store)
    await sign_in(space, LYON)
    await page(space, f"/espace/rendez-vous/{booking['reference']}", 404)
    _, text = await page(space, "/espace/rendez-vous")
    reply = await space.post(f"/espace/rendez-vous/{booking['reference']}/annuler",
                             data={"csrf": csrf_of(text), "confirm": "yes"})
    assert reply.status == 404
    assert space.store.booking(booking["reference"], booking["secret"])["status"] == "confirmed"


async def test_cancelling_reaches_the_person_through_the_outbox(space):
    booking = book_paris(space.store)
    before = len(messages(space.store, "person"))
    await sign_in(space, PARIS)
    _, text = await page(space, f"/espace/rendez-vous/{booking['reference']}")
    unconfirmed = await space.post(f"/espace/rendez-vous/{booking['reference']}/annuler", data={"csrf": csrf_of(text)})
    assert unconfirmed.status == 400
    reply = await space.post(f"/espace/rendez-vous/{booking['reference']}/annuler",
                             data={"csrf": csrf_of(text), "confirm": "yes"}, allow_redirects=False)
    assert reply.status == 303
    person = messages(space.store, "person")[before:]
    cancelled = [message for message in person if "cancelled-by-mediator" in message.dedup_key]
    assert len(cancelled) == 1 and cancelled[0].recipient == PERSON["email"]
    assert booking["reference"] in cancelled[0].subject and "annuler" in cancelled[0].text
    assert "Marie" not in cancelled[0].subject
    # The reminder queued at booking time is gone; the slot is not offered again.
    assert not [message for message in messages(space.store, "person") if ":reminder:" in message.dedup_key]
    with space.store.engine.connect() as connection:
        status = connection.execute(sa.select(slots.c.status).join(bookings, bookings.c.slot_id == slots.c.id)
                                    .where(bookings.c.reference == booking["reference"])).scalar()
    assert status == "withdrawn"
    _, detail = await page(space, f"/espace/rendez-vous/{booking['reference']}")
    assert "annulé" in detail and "Annuler le rendez-vous" not in detail
    again = await space.post(f"/espace/rendez-vous/{booking['reference']}/annuler",
                             data={"csrf": csrf_of(text), "confirm": "yes"})
    assert again.status == 409


async def test_marking_done_or_missed_after_the_appointment(space, clock):
    booking = book_paris(space.store)
    await sign_in(space, PARIS)
    _, text = await page(space, f"/espace/rendez-vous/{booking['reference']}")
    too_early = await space.post(f"/espace/rendez-vous/{booking['reference']}/statut",
                                 data={"csrf": csrf_of(text), "outcome": "done"})
    assert too_early.status == 409
    clock.advance(days=1, hours=2)
    await sign_in(space, PARIS)  # the 8-hour session is over
    _, text = await page(space, f"/espace/rendez-vous/{booking['reference']}")
    for outcome, label in (("missed", "personne absente"), ("done", "a eu lieu")):
        reply = await space.post(f"/espace/rendez-vous/{booking['reference']}/statut",
                                 data={"csrf": csrf_of(text), "outcome": outcome}, allow_redirects=False)
        assert reply.status == 303
        _, listing = await page(space, "/espace/rendez-vous")
        assert label in listing


# ---- hours ------------------------------------------------------------------------------------
async def test_editing_hours_from_the_page_generates_slots(space):
    await sign_in(space, PARIS)
    _, text = await page(space, "/espace/disponibilites")
    reply = await space.post("/espace/disponibilites/horaires", allow_redirects=False, data=[
        ("csrf", csrf_of(text)), ("weekday", "3"), ("starts", "14:00"), ("ends", "16:00"), ("mode", "phone"),
        ("mode", "video")])
    assert reply.status == 303
    _, text = await page(space, "/espace/disponibilites?ok=hours")
    assert "jeudi" in text and "14:00" in text and "enregistrés" in text
    with space.store.engine.connect() as connection:
        generated = connection.execute(sa.select(slots).where(slots.c.source == "hours")).fetchall()
    assert len(generated) == 8 and all(row.modes == ["phone", "video"] for row in generated)
    bad = await space.post("/espace/disponibilites/horaires", data={
        "csrf": csrf_of(text), "weekday": "9", "starts": "16:00", "ends": "14:00", "mode": "phone"})
    assert bad.status == 400 and "ne sont pas valables" in (await bad.text())
    # A closed day, then the deletion of the rule.
    reply = await space.post("/espace/disponibilites/exceptions", allow_redirects=False, data={
        "csrf": csrf_of(text), "from_date": "2026-11-26", "label": "Congés"})
    assert reply.status == 303
    with space.store.engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(slots).where(
            slots.c.source == "hours", slots.c.status == "open")).scalar() == 6
        rule_ids = [row.id for row in connection.execute(sa.select(mediator_hours.c.id))]
    for rule_id in rule_ids:
        reply = await space.post(f"/espace/disponibilites/horaires/{rule_id}/supprimer",
                                 data={"csrf": csrf_of(text)}, allow_redirects=False)
        assert reply.status == 303
    with space.store.engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(slots).where(
            slots.c.source == "hours", slots.c.status == "open")).scalar() == 0


# ---- calendar -----------------------------------------------------------------------------------
async def test_subscription_url_feed_revoke_and_regenerate(space):
    booking = book_paris(space.store)
    await sign_in(space, PARIS)
    _, text = await page(space, "/espace/agenda")
    created = await space.post("/espace/agenda/abonnement", data={"csrf": csrf_of(text)})
    body = await created.text()
    assert created.status == 200
    import re
    url = re.search(r'value="(webcal://[^"]+\.ics)"', body).group(1)
    path = "/calendar/" + url.rsplit("/", 1)[1]
    feed = await space.get(path)
    assert feed.status == 200 and feed.content_type == "text/calendar"
    events = icalendar.Calendar.from_ical(await feed.read()).walk("VEVENT")
    assert [booking["reference"] in str(event["SUMMARY"]) for event in events] == [True]
    again = await space.post("/espace/agenda/abonnement", data={"csrf": csrf_of(text)})
    new_path = "/calendar/" + re.search(r'value="webcal://[^"]+/calendar/([^"]+\.ics)"', await again.text()).group(1)
    assert (await space.get(path)).status == 404 and (await space.get(new_path)).status == 200
    revoked = await space.post("/espace/agenda/abonnement/revoquer", data={"csrf": csrf_of(text)},
                               allow_redirects=False)
    assert revoked.status == 303 and (await space.get(new_path)).status == 404


BUSY = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//FR
BEGIN:VEVENT
UID:busy@test
DTSTART:20261124T073000Z
DTEND:20261124T083000Z
SUMMARY:Rendez-vous privé
END:VEVENT
END:VCALENDAR
"""


async def test_busy_import_by_file_and_by_url_blocks_the_slot(space, aiohttp_server=None):
    from aiohttp import web
    store = space.store
    blocked = slot_ids(store, "paris")[0]  # Tuesday 24 at 8:00 UTC
    await sign_in(space, PARIS)
    _, text = await page(space, "/espace/agenda")
    import aiohttp
    form = aiohttp.FormData()
    form.add_field("csrf", csrf_of(text))
    form.add_field("file", BUSY.encode(), filename="agenda.ics", content_type="text/calendar")
    reply = await space.post("/espace/agenda/occupations", data=form, allow_redirects=False)
    assert reply.status == 303, await reply.text()
    offered = {row["slot_id"] for row in store.open_slot_rows(store.clock(), store.clock() + timedelta(days=30))}
    assert blocked not in offered
    # Not a calendar: a French 400, nothing replaced.
    form = aiohttp.FormData()
    form.add_field("csrf", csrf_of(text))
    form.add_field("file", b"<html>nope</html>", filename="x.ics", content_type="text/calendar")
    reply = await space.post("/espace/agenda/occupations", data=form)
    assert reply.status == 400 and "iCalendar" in await reply.text()
    # By URL (loopback allowed in this test's settings): an empty calendar frees the slot.
    feed_app = web.Application()
    feed_app.router.add_get("/cal.ics", lambda request: web.Response(
        text="BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//FR\r\nEND:VCALENDAR\r\n", content_type="text/calendar"))
    from aiohttp.test_utils import TestServer
    server = TestServer(feed_app)
    await server.start_server()
    try:
        form = aiohttp.FormData()
        form.add_field("csrf", csrf_of(text))
        form.add_field("url", str(server.make_url("/cal.ics")))
        reply = await space.post("/espace/agenda/occupations", data=form, allow_redirects=False)
        assert reply.status == 303, await reply.text()
    finally:
        await server.close()
    offered = {row["slot_id"] for row in store.open_slot_rows(store.clock(), store.clock() + timedelta(days=30))}
    assert blocked in offered
    # Without the CSRF token: refused.
    form = aiohttp.FormData()
    form.add_field("file", BUSY.encode(), filename="agenda.ics", content_type="text/calendar")
    assert (await space.post("/espace/agenda/occupations", data=form)).status == 403


# ---- headers, errors, hostile input -------------------------------------------------------------
async def test_security_headers_on_pages_and_errors(space):
    for path, status in (("/espace/connexion", 200), ("/espace/inconnu", 404), ("/calendar/abc.ics", 404)):
        reply, text = await page(space, path, status)
        headers = reply.headers
        assert "script-src" not in headers["Content-Security-Policy"]
        assert "default-src 'none'" in headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert headers["X-Frame-Options"] == "DENY" and headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "no-referrer" and headers["Cache-Control"] == "no-store"
        if status != 200 and path.startswith("/espace"):
            assert '<html lang="fr">' in text
        assert "<script" not in text


async def test_hostile_input_gets_french_4xx_never_5xx(space):
    await sign_in(space, PARIS)
    _, text = await page(space, "/espace/disponibilites")
    csrf = csrf_of(text)
    cases = [
        ("GET", "/espace/rendez-vous/%00", None), ("GET", "/espace/rendez-vous/" + "A" * 5000, None),
        ("GET", "/espace/connexion/" + "x" * 300, None), ("GET", "/espace/connexion/<script>", None),
        ("POST", "/espace/disponibilites/horaires", {"csrf": csrf, "weekday": "1" * 50, "starts": "25:99", "ends": "x"}),
        ("POST", "/espace/disponibilites/horaires", {"csrf": csrf, "weekday": "1", "starts": "09:00", "ends": "10:00",
                                                     "mode": "teleportation"}),
        ("POST", "/espace/disponibilites/exceptions", {"csrf": csrf, "from_date": "9999-99-99"}),
        ("POST", "/espace/disponibilites/exceptions", {"csrf": csrf, "from_date": "2026-12-01", "to_date": "2026-11-01"}),
        ("POST", "/espace/disponibilites/exceptions", {"csrf": csrf, "from_date": "2026-12-01", "label": "\x00\x1b"}),
        ("POST", "/espace/disponibilites/horaires/99999999999999/supprimer", {"csrf": csrf}),
        ("POST", "/espace/disponibilites/horaires/-1/supprimer", {"csrf": csrf}),
        ("POST", "/espace/disponibilites/duree", {"csrf": csrf, "minutes": "7"}),
        ("POST", "/espace/rendez-vous/MED-ZZZZZ/statut", {"csrf": csrf, "outcome": "exploded"}),
        ("POST", "/espace/rendez-vous/MED-ZZZZZ/annuler", {"csrf": csrf, "confirm": "yes"}),
        ("POST", "/espace/agenda/occupations", {"csrf": csrf, "url": "file:///etc/passwd"}),
        ("PUT", "/espace/rendez-vous", None), ("DELETE", "/espace/agenda", None),
        ("POST", "/espace/connexion", {"csrf": csrf, "email": "x" * 1000}),
    ]
    for method, path, data in cases:
        reply = await space.request(method, path, data=data, allow_redirects=False)
        body = await reply.text()
        assert 400 <= reply.status < 500, (method, path, reply.status, body[:300])
        assert "Traceback" not in body and ("lang=\"fr\"" in body or reply.status == 405), (method, path)
    # A body bigger than a form may be.
    reply = await space.post("/espace/disponibilites/horaires", data={"csrf": csrf, "x": "y" * 70_000})
    assert reply.status == 413
    # Bytes that are not UTF-8.
    reply = await space.post("/espace/disponibilites/exceptions", data=b"csrf=" + csrf.encode() + b"&label=\xff\xfe",
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert reply.status == 400
    # Non-form content types.
    reply = await space.post("/espace/disponibilites/horaires", json={"csrf": csrf})
    assert reply.status == 400


async def test_the_json_api_is_unchanged_for_an_unknown_path(space):
    reply = await space.get("/api/nothing-here", headers={"Authorization": "Bearer service-token"})
    assert reply.status == 404 and reply.content_type == "application/json"
