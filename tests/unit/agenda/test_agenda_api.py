"""Agenda HTTP API on a real aiohttp server on loopback: status codes and JSON errors."""
from __future__ import annotations

import icalendar
import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.agenda.service import create_app
from tests.support.agenda_fixtures import Clock, seeded_store, slot_ids

TOKEN, ADMIN = "service-token", "admin-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
PERSON = {"name": "Marie Dupont", "email": "marie@exemple.fr", "contact_consent": True}


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
async def api(tmp_path, clock):
    store = seeded_store(f"sqlite:///{tmp_path}/agenda.db", clock)
    client = TestClient(TestServer(create_app(store, token=TOKEN, admin_token=ADMIN)))
    await client.start_server()
    client.store = store
    yield client
    await client.close()


async def call(api, method, path, status, **kwargs):
    kwargs.setdefault("headers", AUTH)
    reply = await api.request(method, path, **kwargs)
    text = await reply.text()
    assert reply.status == status, text
    assert "Traceback" not in text
    return await reply.json() if reply.content_type == "application/json" else text


async def book(api, slot, mode="video"):
    hold = await call(api, "POST", f"/api/slots/{slot}/hold", 201, json={"mode": mode})
    return await call(api, "POST", f"/api/holds/{hold['hold_id']}/confirm", 201, json={"person": PERSON, "brief": {"domain": "family"}})


async def test_search_returns_offers_in_order(api):
    body = await call(api, "GET", "/api/slots?domain=family&postal_code=69003&mode=in_person&limit=5", 200)
    assert body["remaining"] == 2 and body["slots"][0]["place"] == "Lyon"
    assert body["slots"][0]["starts_at"].endswith("Z") and body["slots"][0]["proximity"] == 0


async def test_every_api_route_needs_the_token(api):
    reply = await api.get("/api/slots?domain=family")
    assert reply.status == 401 and (await reply.json())["error"]["code"] == "unauthorized"
    reply = await api.get("/api/slots", headers={"Authorization": "Bearer wrong"})
    assert reply.status == 401
    assert (await api.get("/health")).status == 200


async def test_bad_queries_are_400_with_a_clear_error(api):
    for query, code in (("domain=astrology", "invalid_domain"), ("mode=fax", "invalid_mode"),
                        ("postal_code=7501", "invalid_postal_code"), ("from=yesterday", "invalid_date"),
                        ("limit=abc", "invalid_query")):
        body = await call(api, "GET", f"/api/slots?{query}", 400)
        assert body["error"]["code"] == code and body["error"]["message"]


async def test_hold_201_then_409(api):
    slot = slot_ids(api.store, "paris")[0]
    hold = await call(api, "POST", f"/api/slots/{slot}/hold", 201, json={"mode": "video"})
    assert {"hold_id", "slot_id", "mode", "expires_at"} <= set(hold)
    body = await call(api, "POST", f"/api/slots/{slot}/hold", 409, json={"mode": "video"})
    assert body["error"]["code"] == "slot_taken"


async def test_bad_ids_and_payloads_are_4xx_json(api):
    slot = slot_ids(api.store, "paris")[0]
    assert (await call(api, "POST", "/api/slots/abc/hold", 404, json={"mode": "video"}))["error"]["code"] == "slot_not_found"
    assert (await call(api, "POST", "/api/slots/99999/hold", 404, json={"mode": "video"}))["error"]["code"] == "slot_not_found"
    assert (await call(api, "POST", f"/api/slots/{slot}/hold", 400, data="{not json"))["error"]["code"] == "invalid_json"
    assert (await call(api, "POST", f"/api/slots/{slot}/hold", 400, json=[1, 2]))["error"]["code"] == "invalid_json"
    assert (await call(api, "POST", f"/api/slots/{slot}/hold", 400, json={}))["error"]["code"] == "missing_mode"
    assert (await call(api, "POST", f"/api/slots/{slot}/hold", 400, json={"mode": 3}))["error"]["code"] == "invalid_mode"
    assert (await call(api, "POST", "/api/holds/nope/confirm", 404, json={"person": PERSON}))["error"]["code"] == "hold_not_found"
    hold = await call(api, "POST", f"/api/slots/{slot}/hold", 201, json={"mode": "video"})
    confirm = f"/api/holds/{hold['hold_id']}/confirm"
    assert (await call(api, "POST", confirm, 400, json={"person": "Marie"}))["error"]["code"] == "invalid_body"
    assert (await call(api, "POST", confirm, 400, json={"person": {**PERSON, "name": "x" * 500}}))["error"]["code"] == "invalid_name"
    assert (await call(api, "POST", confirm, 400, json={"person": {**PERSON, "contact_consent": "yes"}}))["error"]["code"] == "consent_required"
    assert (await call(api, "POST", confirm, 400, json={"person": {**PERSON, "email": "not-an-email"}}))["error"]["code"] == "invalid_email"
    assert (await call(api, "POST", confirm, 400, json={"person": {**PERSON, "phone": "12"}}))["error"]["code"] == "invalid_phone"
    assert (await call(api, "GET", "/api/nowhere", 404))["error"]["code"] == "not_found"
    assert (await call(api, "POST", "/api/slots/1/hold", 413, data="x" * 70_000))["error"]["code"] == "body_too_large"


async def test_confirm_books_and_double_confirm_is_409(api):
    slot = slot_ids(api.store, "paris")[0]
    hold = await call(api, "POST", f"/api/slots/{slot}/hold", 201, json={"mode": "video"})
    confirm = f"/api/holds/{hold['hold_id']}/confirm"
    booking = await call(api, "POST", confirm, 201, json={"person": PERSON, "brief": {"domain": "family"}})
    assert booking["reference"].startswith("MED-") and booking["secret"]
    other = {**PERSON, "name": "Quelqu'un d'autre"}
    assert (await call(api, "POST", confirm, 409, json={"person": other}))["error"]["code"] == "hold_already_confirmed"
    # The same person again (the first answer was lost): the same booking, a new code.
    again = await call(api, "POST", confirm, 201, json={"person": PERSON})
    assert again["reference"] == booking["reference"] and again["secret"] != booking["secret"]


async def test_expired_hold_confirm_is_409_when_the_slot_was_taken(api, clock):
    slot = slot_ids(api.store, "paris")[0]
    late = await call(api, "POST", f"/api/slots/{slot}/hold", 201, json={"mode": "video"})
    clock.advance(minutes=10, seconds=1)
    await call(api, "POST", f"/api/slots/{slot}/hold", 201, json={"mode": "video"})
    body = await call(api, "POST", f"/api/holds/{late['hold_id']}/confirm", 409, json={"person": PERSON})
    assert body["error"]["code"] == "slot_taken"


async def test_release_then_hold_again(api):
    slot = slot_ids(api.store, "paris")[0]
    hold = await call(api, "POST", f"/api/slots/{slot}/hold", 201, json={"mode": "video"})
    await call(api, "DELETE", f"/api/holds/{hold['hold_id']}", 204)
    await call(api, "DELETE", f"/api/holds/{hold['hold_id']}", 409)
    await call(api, "POST", f"/api/slots/{slot}/hold", 201, json={"mode": "video"})


async def test_booking_read_cancel_and_reschedule_by_reference_and_secret(api):
    first, second = slot_ids(api.store, "paris")
    booking = await book(api, first)
    reference, secret = booking["reference"], booking["secret"]
    read = await call(api, "GET", f"/api/bookings/{reference}", 200, headers={**AUTH, "X-Booking-Secret": secret})
    assert read["status"] == "confirmed" and "secret" not in read
    await call(api, "GET", f"/api/bookings/{reference}", 403, headers={**AUTH, "X-Booking-Secret": "bad"})
    new_hold = await call(api, "POST", f"/api/slots/{second}/hold", 201, json={"mode": "in_person"})
    await call(api, "POST", f"/api/bookings/{reference}/reschedule", 400, json={"secret": secret})
    await call(api, "POST", f"/api/bookings/{reference}/reschedule", 403, json={"secret": "bad", "hold_id": new_hold["hold_id"]})
    moved = await call(api, "POST", f"/api/bookings/{reference}/reschedule", 200,
                       json={"secret": secret, "hold_id": new_hold["hold_id"]})
    assert moved["slot_id"] == second and moved["reference"] == reference
    await call(api, "POST", f"/api/bookings/{reference}/cancel", 403, json={"secret": "bad"})
    assert (await call(api, "POST", f"/api/bookings/{reference}/cancel", 200, json={"secret": secret}))["status"] == "cancelled"
    await call(api, "POST", f"/api/bookings/{reference}/cancel", 409, json={"secret": secret})


async def test_anonymise_by_reference_and_secret(api):
    booking = await book(api, slot_ids(api.store, "paris")[0])
    reference, secret = booking["reference"], booking["secret"]
    await call(api, "POST", f"/api/bookings/{reference}/anonymise", 403, json={"secret": "bad"})
    await call(api, "POST", f"/api/bookings/{reference}/anonymise", 401, json={"secret": secret}, headers={})
    body = await call(api, "POST", f"/api/bookings/{reference}/anonymise", 200, json={"secret": secret})
    assert body["status"] == "confirmed" and body["person"]["email"] is None


async def test_invitation_ics_parses_with_icalendar_and_needs_its_own_token(api):
    booking = await book(api, slot_ids(api.store, "paris")[0])
    # The code never goes in a URL: the old link with ?code= is gone, and the code is no token.
    await call(api, "GET", f"/public/bookings/{booking['reference']}.ics?code={booking['secret']}", 404, headers={})
    await call(api, "GET", f"/public/calendar/{booking['secret']}.ics", 404, headers={})
    path = f"/public/calendar/{booking['calendar_token']}.ics"
    reply = await api.get(path)
    assert reply.status == 200 and reply.content_type == "text/calendar"
    calendar = icalendar.Calendar.from_ical(await reply.read())
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1 and booking["reference"] in str(events[0]["UID"])
    assert events[0].decoded("DTSTART").isoformat().startswith(booking["starts_at"].rstrip("Z"))
    assert "visio" in str(events[0]["LOCATION"])


async def test_mediator_sees_the_brief_only_with_the_admin_token(api):
    booking = await book(api, slot_ids(api.store, "paris")[0])
    mediator_id = booking["mediator"]["id"]
    await call(api, "GET", f"/api/mediators/{mediator_id}/bookings", 401)  # the service token is not enough
    body = await call(api, "GET", f"/api/mediators/{mediator_id}/bookings", 200,
                      headers={"Authorization": f"Bearer {ADMIN}"})
    assert body["bookings"][0]["brief"] == {"domain": "family"}
    assert body["bookings"][0]["person"]["email"] == "marie@exemple.fr"


async def test_a_secret_that_is_not_a_string_is_refused_not_a_crash(api):
    booking = await book(api, slot_ids(api.store, "paris")[0])
    body = await call(api, "POST", f"/api/bookings/{booking['reference']}/cancel", 403, json={"secret": 123})
    assert body["error"]["code"] == "booking_not_found_or_wrong_secret"


async def test_dates_with_an_offset_are_converted_to_utc(api):
    # The Lyon slots start at 09:00 UTC tomorrow; 10:30+02:00 is 08:30 UTC, so both remain after it.
    body = await call(api, "GET", "/api/slots?domain=family&postal_code=69003&mode=in_person&limit=5"
                      "&from=2026-11-24T10:30:00%2B02:00", 200)
    assert body["remaining"] == 2
    body = await call(api, "GET", "/api/slots?domain=family&postal_code=69003&mode=in_person&limit=5"
                      "&from=2026-11-24T11:30:00%2B02:00", 200)
    assert body["remaining"] == 1


# ---- issue 16 (3): booking codes cannot be guessed without limit -------------------------
async def test_wrong_codes_lock_the_booking_even_for_the_right_code(api, clock):
    booking = await book(api, slot_ids(api.store, "paris")[0])
    reference, secret = booking["reference"], booking["secret"]
    for _ in range(api.store.code_limits.per_booking):
        await call(api, "POST", f"/api/bookings/{reference}/cancel", 403, json={"secret": "wrongcod"})
    body = await call(api, "POST", f"/api/bookings/{reference}/cancel", 423, json={"secret": secret})
    assert body["error"]["code"] == "booking_locked" and "verrouillé" in body["error"]["message"]
    reply = await api.get(f"/api/bookings/{reference}", headers={**AUTH, "X-Booking-Secret": secret})
    assert reply.status == 423 and int(reply.headers["Retry-After"]) > 0
    clock.advance(seconds=api.store.code_limits.lockout.total_seconds() + 1)
    body = await call(api, "POST", f"/api/bookings/{reference}/cancel", 200, json={"secret": secret})
    assert body["status"] == "cancelled"


async def test_concurrent_wrong_codes_are_counted_one_after_the_other(api):
    """A probe sent 30 wrong codes at once and had 16 checked before the lock: each try now
    takes the booking's attempt row first, so no more than the limit are ever checked."""
    import asyncio

    booking = await book(api, slot_ids(api.store, "paris")[0])
    reference = booking["reference"]
    replies = await asyncio.gather(*(api.post(f"/api/bookings/{reference}/cancel", headers=AUTH,
                                              json={"secret": f"wrong{i:03d}"}) for i in range(30)))
    statuses = sorted(reply.status for reply in replies)
    assert statuses.count(403) <= api.store.code_limits.per_booking and set(statuses) <= {403, 423}


async def test_one_client_trying_codes_on_many_bookings_is_locked_out(api):
    client = {**AUTH, "X-Client-Key": "conversation-digest-1"}
    guesses = [f"MED-{a}{b}222" for a in "23456789AB" for b in "CD"][:api.store.code_limits.per_client]
    for reference in guesses:  # one try per reference: no booking lock, only the client's count
        await call(api, "POST", f"/api/bookings/{reference}/cancel", 403, json={"secret": "wrongcod"}, headers=client)
    body = await call(api, "POST", "/api/bookings/MED-22222/cancel", 429, json={"secret": "whatever"},
                      headers=client)
    assert body["error"]["code"] == "too_many_attempts" and "Réessayez" in body["error"]["message"]
    # Another person (another client key) is not locked out by it.
    await call(api, "POST", "/api/bookings/MED-22222/cancel", 403, json={"secret": "whatever"},
               headers={**AUTH, "X-Client-Key": "conversation-digest-2"})


async def test_the_calendar_link_is_revocable_and_rotates_on_reschedule(api):
    slots = slot_ids(api.store, "paris")
    booking = await book(api, slots[0])
    first = f"/public/calendar/{booking['calendar_token']}.ics"
    assert (await api.get(first)).status == 200
    hold = await call(api, "POST", f"/api/slots/{slots[1]}/hold", 201, json={"mode": "video"})
    moved = await call(api, "POST", f"/api/bookings/{booking['reference']}/reschedule", 200,
                       json={"secret": booking["secret"], "hold_id": hold["hold_id"]})
    assert (await api.get(first)).status == 404
    second = f"/public/calendar/{moved['calendar_token']}.ics"
    assert (await api.get(second)).status == 200
    await call(api, "POST", f"/api/bookings/{booking['reference']}/anonymise", 200, json={"secret": booking["secret"]})
    assert (await api.get(second)).status == 404  # erased: the link dies with the person's data


async def test_the_code_is_never_read_from_the_url(api):
    booking = await book(api, slot_ids(api.store, "paris")[0])
    await call(api, "GET", f"/api/bookings/{booking['reference']}?secret={booking['secret']}", 403)


# --- Every parameter bounded: a 400 (or the unknown-id answer) in French, never a 500 (issue 16) ---

FRENCH = ("doit", "Date", "Identifiant", "réservation", "Référence", "champ", "corps", "brief", "calendrier")
OUT_OF_BOUNDS_QUERIES = [
    "from=9999-12-31T23:59:59Z", "to=9999-12-31T23:59:59Z", "from=0001-01-01T00:00:00Z",
    "from=9999-12-31T23:59:59-01:00", "from=1900-01-01",
    "limit=99999999999999999999", "limit=-1", "limit=%D9%A3", "exclude=99999999999999999999",
    "exclude=" + ",".join(str(n) for n in range(1, 500)), "exclude=%D9%A3", "postal_code=%D9%A3%D9%A3%D9%A3%D9%A3%D9%A3",
]


@pytest.mark.parametrize("query", OUT_OF_BOUNDS_QUERIES)
async def test_search_parameters_out_of_bounds_are_400_in_french(api, query):
    body = await call(api, "GET", f"/api/slots?{query}", 400)
    assert any(word in body["error"]["message"] for word in FRENCH), body


@pytest.mark.parametrize("method, path, status, json", [
    ("POST", "/api/slots/99999999999999/hold", 404, {"mode": "video"}),
    ("POST", "/api/slots/%D9%A3/hold", 404, {"mode": "video"}),
    ("DELETE", "/api/holds/x%00y", 404, None),
    ("POST", "/api/holds/%ED%BF%BF/confirm", 404, {"person": PERSON}),
    ("GET", "/api/bookings/MED-%00", 403, None),
    ("POST", "/api/bookings/MED-ABCDE/reschedule", 400, {"hold_id": "x\u0000", "secret": "abc"}),
    ("POST", "/api/bookings/MED-ABCDE/reschedule", 404, {"hold_id": "x-y z", "secret": "abc"}),
    ("GET", "/api/mediators/99999999999/bookings", 404, None),
    ("GET", "/public/calendar/%00.ics", 404, None), ("GET", "/public/calendar/%ED%BF%BF.ics", 404, None),
])
async def test_path_parameters_out_of_bounds_are_refused_in_french(api, method, path, status, json):
    headers = {"Authorization": f"Bearer {ADMIN if 'mediators' in path else TOKEN}"}
    body = await call(api, method, path, status, json=json, headers=headers)
    assert any(word in body["error"]["message"] for word in FRENCH), body


@pytest.mark.parametrize("person, brief, code", [
    ({**PERSON, "name": "Marie\u0000Dupont"}, {}, "invalid_name"),
    ({**PERSON, "name": "Marie \udfff"}, {}, "invalid_name"),
    (PERSON, {"note": "a\u0000b"}, "invalid_brief"),
    (PERSON, {"\udfff": 1}, "invalid_brief"),
])
async def test_bodies_with_nul_or_surrogates_are_400(api, person, brief, code):
    slot = slot_ids(api.store, "paris")[0]
    hold = await call(api, "POST", f"/api/slots/{slot}/hold", 201, json={"mode": "video"})
    import json as json_module

    body = await call(api, "POST", f"/api/holds/{hold['hold_id']}/confirm", 400,
                      data=json_module.dumps({"person": person, "brief": brief}),
                      headers={**AUTH, "Content-Type": "application/json"})
    assert body["error"]["code"] == code and "caractère" in body["error"]["message"]


async def test_a_body_nested_too_deep_is_a_400_not_a_500(api):
    deep = "[" * 3000 + "]" * 3000
    for path in ("/api/slots/1/hold", "/api/conversations/anonymise"):
        reply = await api.post(path, headers={**AUTH, "Content-Type": "application/json"}, data=deep)
        assert reply.status == 400 and (await reply.json())["error"]["code"] == "invalid_json"
