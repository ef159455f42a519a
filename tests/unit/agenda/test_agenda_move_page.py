"""Moving a booking from the messages' link (/public/booking/{reference}/move): the code
asked once and carried in a short-lived encrypted form token, the slots that fit, the move
through store.reschedule with its messages, and polite French pages for everything else."""
from __future__ import annotations

import html
import re
from dataclasses import replace
from datetime import timedelta

import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient, TestServer

from bot import content
from bot.agenda import manage
from bot.agenda.schema import outbox as outbox_table, slots
from bot.agenda.service import create_app
from bot.agenda.store import CodeLimits
from tests.support.agenda_fixtures import Clock, seeded_store, slot_ids

PERSON = {"name": "Jeanne Martin", "email": "jeanne.martin@exemple.fr", "contact_consent": True}
BRIEF = {"domain": "family", "facts": {"departement": "75"}, "mode": "video"}


@pytest.fixture
def store(tmp_path):
    store = seeded_store(f"sqlite:///{tmp_path}/agenda.db", Clock())
    store.messaging = replace(store.messaging, reminder_hours=12)
    store.code_limits = CodeLimits(per_booking=3, per_client=50)
    return store


@pytest.fixture
async def client(store):
    client = TestClient(TestServer(create_app(store, token="t"), host="127.0.0.1"))
    await client.start_server()
    yield client
    await client.close()


def book(store, external_id="paris", mode="video"):
    hold = store.hold(slot_ids(store, external_id)[0], mode)
    return store.confirm(hold["hold_id"], PERSON, BRIEF)


def status_of(store, slot_id):
    with store.engine.connect() as connection:
        return connection.execute(sa.select(slots.c.status).where(slots.c.id == slot_id)).scalar()


def keys(store):
    with store.engine.connect() as connection:
        return [row.dedup_key for row in connection.execute(sa.select(outbox_table.c.dedup_key))]


def form_fields(page: str) -> tuple[str, list[str]]:
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)
    return html.unescape(token), re.findall(r'name="slot" value="(\d+)"', page)


async def listing(client, booking):
    reply = await client.post(f"/public/booking/{booking['reference']}/move", data={"secret": booking["secret"]})
    return reply.status, await reply.text()


async def test_the_page_offers_both_actions_and_no_url_carries_the_code(store, client):
    booking = book(store)
    page = await (await client.get(f"/public/booking/{booking['reference']}")).text()
    assert page.count("<h1>") == 1 and '<label for="secret">' in page and "<script" not in page
    assert f'formaction="/public/booking/{booking["reference"]}/move"' in page
    # Moving comes first: Enter in the code field lists slots, it never cancels.
    plain = html.unescape(page)
    assert plain.index(content.MANAGE_MOVE_BUTTON) < plain.index(content.MANAGE_CANCEL_BUTTON)
    status, page = await listing(client, booking)
    assert status == 200 and booking["secret"] not in page
    assert all(booking["secret"] not in url for url in re.findall(r'(?:href|action|formaction)="([^"]*)"', page))


async def test_moving_with_the_right_code(store, client):
    booking = book(store)
    old_slot, new_slot = slot_ids(store, "paris")
    status, page = await listing(client, booking)
    assert status == 200 and page.count("<h1>") == 1 and "<legend>" in page
    token, offered = form_fields(page)
    # Same mediator first; Lyon is family too but in person only, Marseille is consumer: not offered.
    assert offered == [str(new_slot)] and "Médiateur paris" in page and "Marseille" not in page
    assert f'<label for="slot-{new_slot}">' in page
    reply = await client.post(f"/public/booking/{booking['reference']}/move", data={"token": token, "slot": str(new_slot)})
    text = await reply.text()
    assert reply.status == 200 and "est déplacé" in text and "/public/calendar/" in text
    assert text.count("<h1>") == 1 and booking["secret"] not in text and 'name="token"' not in text
    moved = store.booking(booking["reference"], booking["secret"])
    assert moved["slot_id"] == new_slot and moved["status"] == "confirmed" and moved["mode"] == "video"
    assert status_of(store, old_slot) == "open" and status_of(store, new_slot) == "booked"
    moved_keys = [key for key in keys(store) if ":moved-" in key and ":reminder:" not in key]
    assert sorted(key.split(":")[-2] for key in moved_keys) == ["mediator", "person"]
    assert not any(":reminder:confirmed:" in key for key in keys(store))  # the old reminder is dropped
    # The same token again: the slot it named is now the booking's own, so nothing moves twice.
    again = await client.post(f"/public/booking/{booking['reference']}/move", data={"token": token, "slot": str(new_slot)})
    assert again.status == 409 and content.MANAGE_MOVE_TAKEN in html.unescape(await again.text())


async def test_other_mediators_of_the_same_domain_and_mode_near_the_same_place(store, client):
    booking = book(store, "lyon", "in_person")
    add_mediator(store, "villeurbanne", ["family"], ["in_person"], "69100", "69", "Villeurbanne")  # near Lyon
    add_mediator(store, "lyon-travail", ["workplace"], ["in_person"], "69007", "69", "Lyon")  # near, another domain
    described, offers = store.move_offers(booking["reference"], booking["secret"])
    assert [offer.mediator_name for offer in offers][0] == "Médiateur lyon (démo)"
    assert {offer.mediator_name for offer in offers[1:]} == {"Médiateur villeurbanne (démo)"}
    assert all(offer.mode == "in_person" for offer in offers)
    assert "Paris" not in {offer.place for offer in offers}  # Paris is in person too, but far away
    # Through the page, to the other mediator: the person, the new and the former mediator are told.
    _status, page = await listing(client, booking)
    token, offered = form_fields(page)
    assert offered[-1] == str(offers[-1].slot_id) and "Avec un autre médiateur" in html.unescape(page)
    reply = await client.post(f"/public/booking/{booking['reference']}/move", data={"token": token, "slot": offered[-1]})
    assert reply.status == 200 and "Villeurbanne" in await reply.text()
    moved_keys = [key for key in keys(store) if ":moved-" in key and ":reminder:" not in key]
    assert sorted(key.split(":")[-2] for key in moved_keys) == ["mediator", "mediator-before", "person"]
    assert status_of(store, slot_ids(store, "lyon")[0]) == "open"


def add_mediator(store, external_id, specialities, modes, postal_code, departement, commune):
    from bot.agenda.schema import mediators
    from tests.support.agenda_fixtures import mediator_row
    with store.engine.begin() as connection:
        row = mediator_row(external_id, specialities, modes, postal_code, departement, commune)
        mediator_id = connection.execute(mediators.insert().values(**row)).inserted_primary_key[0]
        start = store.clock() + timedelta(days=3)
        connection.execute(slots.insert().values(mediator_id=mediator_id, starts_at=start,
                                                 ends_at=start + timedelta(hours=1), modes=modes,
                                                 status="open", source="api", source_uid=f"{external_id}-1"))


def test_a_booking_without_a_known_domain_stays_with_its_mediator(store):
    add_mediator(store, "nantes", ["workplace"], ["video"], "44000", "44", "Nantes")
    hold = store.hold(slot_ids(store, "paris")[0], "video")
    unknown = store.confirm(hold["hold_id"], PERSON, {})
    _described, offers = store.move_offers(unknown["reference"], unknown["secret"])
    assert [offer.slot_id for offer in offers] == [slot_ids(store, "paris")[1]]


async def test_a_wrong_code_is_counted_and_locks_out_like_cancelling(store, client):
    booking = book(store)
    path = f"/public/booking/{booking['reference']}/move"
    for _ in range(3):
        wrong = await client.post(path, data={"secret": "zzzzzzzz"})
        assert wrong.status == 403 and content.MANAGE_WRONG_CODE.split(".")[0] in html.unescape(await wrong.text())
    locked = await client.post(path, data={"secret": booking["secret"]})
    assert locked.status == 423 and "Retry-After" in locked.headers and 'name="token"' not in await locked.text()
    unknown = await client.post("/public/booking/MED-ZZZZZ/move", data={"secret": booking["secret"]})
    assert unknown.status == 403 and content.MANAGE_WRONG_CODE.split(".")[0] in html.unescape(await unknown.text())
    assert status_of(store, slot_ids(store, "paris")[0]) == "booked"


async def test_a_slot_taken_meanwhile_gets_a_polite_message_and_the_list_again(store, client):
    booking = book(store)
    _status, page = await listing(client, booking)
    token, offered = form_fields(page)
    store.hold(int(offered[0]), "video")  # someone else takes it in the conversation
    reply = await client.post(f"/public/booking/{booking['reference']}/move", data={"token": token, "slot": offered[0]})
    text = html.unescape(await reply.text())
    assert reply.status == 409 and content.MANAGE_MOVE_TAKEN in text
    assert f'value="{offered[0]}"' not in text and content.MANAGE_MOVE_NONE in text
    assert store.booking(booking["reference"], booking["secret"])["slot_id"] == slot_ids(store, "paris")[0]


@pytest.mark.parametrize("slot", ["999999", "1" * 50, "-1", "abc", "", "１２", "1,2", "%00"])
async def test_hostile_slot_ids_get_the_list_again(store, client, slot):
    booking = book(store)
    _status, page = await listing(client, booking)
    token, _offered = form_fields(page)
    reply = await client.post(f"/public/booking/{booking['reference']}/move", data={"token": token, "slot": slot})
    text = html.unescape(await reply.text())
    assert reply.status == 400 and content.MANAGE_MOVE_PICK in text and 'name="slot"' in text
    assert store.booking(booking["reference"], booking["secret"])["slot_id"] == slot_ids(store, "paris")[0]


async def test_a_slot_not_offered_is_refused_even_if_open(store, client):
    booking = book(store)
    _status, page = await listing(client, booking)
    token, _offered = form_fields(page)
    marseille = slot_ids(store, "marseille")[0]  # open, but another domain and mode
    reply = await client.post(f"/public/booking/{booking['reference']}/move", data={"token": token, "slot": str(marseille)})
    assert reply.status == 400 and status_of(store, marseille) == "open"


@pytest.mark.parametrize("token", ["", "x" * 10_000, "not-a-token", "gAAAAA" + "A" * 100, "é"])
async def test_forged_expired_or_foreign_tokens_ask_for_the_code_again(store, client, token):
    booking = book(store)
    reply = await client.post(f"/public/booking/{booking['reference']}/move", data={"token": token, "slot": "1"})
    text = html.unescape(await reply.text())
    assert reply.status == 400 and content.MANAGE_MOVE_EXPIRED in text and 'name="secret"' in text


async def test_a_token_expires_and_belongs_to_one_booking(store, client):
    booking, other = book(store), book(store, "lyon", "in_person")
    _status, page = await listing(client, booking)
    token, offered = form_fields(page)
    foreign = await client.post(f"/public/booking/{other['reference']}/move", data={"token": token, "slot": offered[0]})
    assert foreign.status == 400
    store.clock.advance(seconds=manage.MOVE_TOKEN_TTL + 5)
    late = await client.post(f"/public/booking/{booking['reference']}/move", data={"token": token, "slot": offered[0]})
    assert late.status == 400 and content.MANAGE_MOVE_EXPIRED in html.unescape(await late.text())
    assert store.booking(booking["reference"], booking["secret"])["slot_id"] == slot_ids(store, "paris")[0]


async def test_hostile_bodies_get_french_pages_and_never_a_5xx(store, client):
    booking = book(store)
    path = f"/public/booking/{booking['reference']}/move"
    huge = await client.post(path, data={"secret": "x" * 100_000})
    assert huge.status == 413 and 'lang="fr"' in await huge.text()
    for body, headers in ((b"\xff\xfe=\xff", {"Content-Type": "application/x-www-form-urlencoded"}),
                          (b"{", {"Content-Type": "application/json"}),
                          (b"secret=" + b"%" * 50, {"Content-Type": "application/x-www-form-urlencoded"})):
        reply = await client.post(path, data=body, headers=headers)
        assert reply.status < 500 and 'lang="fr"' in await reply.text()
        cancel = await client.post(f"/public/booking/{booking['reference']}", data=body, headers=headers)
        assert cancel.status < 500 and 'lang="fr"' in await cancel.text()
    assert (await client.post("/public/booking/nope/move", data={"secret": "x"})).status == 404
    assert status_of(store, slot_ids(store, "paris")[0]) == "booked"  # neither moved nor cancelled


async def test_a_cancelled_booking_cannot_be_moved(store, client):
    booking = book(store)
    _status, page = await listing(client, booking)
    token, offered = form_fields(page)
    store.cancel(booking["reference"], booking["secret"])
    reply = await client.post(f"/public/booking/{booking['reference']}/move", data={"token": token, "slot": offered[0]})
    assert reply.status == 409 and content.MANAGE_ALREADY_CANCELLED in html.unescape(await reply.text())
    status, _page = await listing(client, booking)
    assert status == 409
    assert status_of(store, int(offered[0])) == "open"
