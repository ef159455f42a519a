"""Messages of the agenda (issue 18, 1): queued with the booking, delivered by the sender on a
real SMTP server on loopback (aiosmtpd), retried, sent once even with two replicas, removed
by erasure, the reminder on a moved clock, .eml files without SMTP_URL, encrypted at rest."""
from __future__ import annotations

import asyncio
import email
import email.policy
import json
import logging
import socket
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient, TestServer
from aiosmtpd.controller import Controller

from bot.agenda import mail, outbox, sealed
from bot.agenda.schema import outbox as outbox_table
from bot.agenda.sender import Sender
from bot.agenda.service import create_app
from scripts.stack.postgres_server import postgres_url
from tests.support.agenda_fixtures import Clock, seeded_store, slot_ids

PERSON = {"name": "Jeanne Martin", "email": "jeanne.martin@exemple.fr", "contact_consent": True}
BRIEF = {"domain": "family", "facts": {"other_party": "ex_partner", "departement": "75"}, "mode": "video"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """aiosmtpd handler: every message received, parsed."""

    def __init__(self):
        self.received = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.received.append((envelope.rcpt_tos, email.message_from_bytes(envelope.content, policy=email.policy.default)))
        return "250 OK"


@pytest.fixture
def smtp():
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    inbox.port, inbox.controller = port, controller
    yield inbox
    controller.stop()


def book(store, external_id="paris", mode="video", person=PERSON, conversation=None):
    hold = store.hold(slot_ids(store, external_id)[0], mode)
    return store.confirm(hold["hold_id"], person, BRIEF, conversation)


def rows(store):
    with store.engine.connect() as connection:
        return connection.execute(sa.select(outbox_table).order_by(outbox_table.c.id)).all()


@pytest.fixture
def store(tmp_path):
    store = seeded_store(f"sqlite:///{tmp_path}/agenda.db", Clock())
    # The fixture's slots start in 24 h: a reminder 12 h before is still to come.
    store.messaging = replace(store.messaging, reminder_hours=12)
    return store


async def test_a_booking_is_delivered_by_smtp_with_the_ics_and_the_brief(store, smtp):
    booking = book(store)
    assert booking["notifications"]["person"]["to"] == "j•••@exemple.fr"
    sender = Sender(store.engine, {"email": mail.SmtpTransport(f"smtp://127.0.0.1:{smtp.port}")}, store.clock)
    assert await sender.run_once() == 2
    assert await sender.run_once() == 0
    by_recipient = {tuple(to)[0]: message for to, message in smtp.received}
    to_person = by_recipient["jeanne.martin@exemple.fr"]
    assert booking["reference"] in to_person["Subject"] and "Jeanne" not in to_person["Subject"]
    attachments = list(to_person.iter_attachments())
    assert [part.get_filename() for part in attachments] == [f"{booking['reference']}.ics"]
    assert b"BEGIN:VCALENDAR" in attachments[0].get_payload(decode=True)
    text = to_person.get_body(("plain",)).get_content()
    html = to_person.get_body(("html",)).get_content()
    assert "Médiateur paris (démo)" in text and f"/public/booking/{booking['reference']}" in text
    assert '<html lang="fr">' in html and "<img" not in html
    to_mediator = by_recipient["paris@demo-mediation.example"]
    body = to_mediator.get_body(("plain",)).get_content()
    assert "Jeanne Martin" in body and "jeanne.martin@exemple.fr" in body and "ex_partner" in body
    assert [part.get_filename() for part in to_mediator.iter_attachments()] == [f"{booking['reference']}.ics"]
    assert [row.status for row in rows(store)] == ["sent", "sent", "pending"]  # the reminder waits


async def test_smtp_down_then_back_delivers_each_message_once(store):
    port = free_port()
    book(store)
    sender = Sender(store.engine, {"email": mail.SmtpTransport(f"smtp://127.0.0.1:{port}", timeout=5)}, store.clock)
    assert await sender.run_once() == 0  # nobody listens
    first = [row for row in rows(store) if row.next_attempt_at <= store.clock()]
    assert first == []  # both postponed, with a reason but no address
    failed = [row for row in rows(store) if row.attempts == 1]
    assert len(failed) == 2 and all(row.status == "pending" and "@" not in row.last_error for row in failed)
    assert await sender.run_once() == 0  # not due yet: back-off
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        store.clock.advance(minutes=1)
        assert await sender.run_once() == 2
        store.clock.advance(hours=1)
        assert await sender.run_once() == 0
    finally:
        controller.stop()
    assert sorted(tuple(to)[0] for to, _ in inbox.received) == ["jeanne.martin@exemple.fr",
                                                                "paris@demo-mediation.example"]


@pytest.fixture(params=["sqlite", "postgresql"])
def any_store(request, tmp_path):
    """The same store on SQLite and on a throwaway PostgreSQL (the cluster's database)."""
    if request.param == "sqlite":
        yield seeded_store(f"sqlite:///{tmp_path}/agenda.db", Clock())
        return
    with postgres_url() as url:
        store = seeded_store(url, Clock())
        yield store
        store.engine.dispose()


async def test_two_replicas_on_one_outbox_send_no_message_twice(any_store):
    store = any_store
    with store.engine.begin() as connection:
        for number in range(40):
            outbox.enqueue(connection, dedup_key=f"test:{number}", channel="email", recipient=f"p{number}@exemple.fr",
                           recipient_kind="person", subject="s", text="t", now=store.clock())
    delivered = []

    class Slow:
        async def send(self, message):
            await asyncio.sleep(0.001)
            delivered.append(message.dedup_key)

    replicas = [Sender(store.engine, {"email": Slow()}, store.clock, batch=7) for _ in range(2)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        for _round in range(8):
            await asyncio.gather(*(replica.run_once(pool) for replica in replicas))
    assert sorted(delivered) == sorted(f"test:{number}" for number in range(40))
    assert len(set(delivered)) == len(delivered) == 40
    assert {row.claimed_by for row in rows(store)} == {replica.worker for replica in replicas}  # both worked


async def test_a_message_is_queued_once_per_key_on_every_database(any_store):
    with any_store.engine.begin() as connection:
        first = outbox.enqueue(connection, dedup_key="test:once", channel="email", recipient="p@exemple.fr",
                               recipient_kind="person", subject="s", text="t", now=any_store.clock())
    with any_store.engine.begin() as connection:  # a replay in another transaction: no error, no second row
        again = outbox.enqueue(connection, dedup_key="test:once", channel="email", recipient="p@exemple.fr",
                               recipient_kind="person", subject="s", text="t", now=any_store.clock())
    assert (first, again) == (True, False)
    assert [row.dedup_key for row in rows(any_store) if row.dedup_key == "test:once"] == ["test:once"]


async def test_erasure_removes_the_pending_messages(store, smtp):
    book(store, conversation="conversation-1")
    assert len(rows(store)) == 3  # confirmation to each, reminder to the person
    store.anonymise_conversation("conversation-1")
    assert rows(store) == []
    sender = Sender(store.engine, {"email": mail.SmtpTransport(f"smtp://127.0.0.1:{smtp.port}")}, store.clock)
    assert await sender.run_once() == 0 and smtp.received == []


async def test_erasure_blanks_the_messages_already_sent(store, smtp):
    book(store, conversation="conversation-2")
    sender = Sender(store.engine, {"email": mail.SmtpTransport(f"smtp://127.0.0.1:{smtp.port}")}, store.clock)
    assert await sender.run_once() == 2
    store.anonymise_conversation("conversation-2")
    assert [(row.status, row.recipient, row.body_text) for row in rows(store)] == [("sent", "", "")] * 2


async def test_the_reminder_is_sent_when_the_clock_reaches_it(store, smtp):
    booking = book(store)  # the slot starts in 24 h: the reminder is due in 12 h
    sender = Sender(store.engine, {"email": mail.SmtpTransport(f"smtp://127.0.0.1:{smtp.port}")}, store.clock)
    assert await sender.run_once() == 2
    store.clock.advance(hours=11, minutes=59)
    assert await sender.run_once() == 0
    store.clock.advance(minutes=1)
    assert await sender.run_once() == 1
    to, reminder = smtp.received[-1]
    assert to == ["jeanne.martin@exemple.fr"] and reminder["Subject"].startswith("Rappel")
    assert booking["reference"] in reminder["Subject"]


async def test_a_cancellation_drops_the_reminder_and_tells_both(store):
    booking = book(store)
    store.cancel(booking["reference"], booking["secret"])
    keys = [row.dedup_key.split(":", 2)[2] for row in rows(store)]
    assert keys == ["confirmed:person:email", "confirmed:mediator:email", "cancelled:person:email",
                    "cancelled:mediator:email"]


async def test_a_message_failing_every_time_is_failed_logged_and_listed(store, caplog, capsys, monkeypatch):
    book(store)

    class Broken:
        async def send(self, message):
            raise ConnectionRefusedError("refused for jeanne.martin@exemple.fr")

    sender = Sender(store.engine, {"email": Broken()}, store.clock, max_attempts=3)
    with caplog.at_level(logging.WARNING, logger="agenda.outbox"):
        for _attempt in range(3):
            await sender.run_once()
            store.clock.advance(hours=1)
    assert [row.status for row in rows(store)][:2] == ["failed", "failed"]
    final = [record.getMessage() for record in caplog.records if record.levelno == logging.ERROR]
    assert len(final) == 2 and "failed-messages" in final[0]
    assert all("exemple.fr" not in record.getMessage() for record in caplog.records)
    from bot.agenda.__main__ import main

    monkeypatch.setenv("AGENDA_DATABASE_URL", str(store.engine.url))
    assert main(["failed-messages"]) == 1
    listed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [item["recipient_kind"] for item in listed] == ["person", "mediator"]
    assert all(item["last_error"] == "ConnectionRefusedError" and item["attempts"] == 3 for item in listed)
    assert "exemple.fr" not in json.dumps(listed)


async def test_the_personal_data_is_not_in_clear_in_the_database_file(tmp_path, store):
    book(store, person={**PERSON, "phone": "+33612345678"})
    store.engine.dispose()
    raw = b"".join(path.read_bytes() for path in Path(tmp_path).glob("agenda.db*"))
    for clear in (b"Jeanne Martin", b"jeanne.martin@exemple.fr", b"+33612345678", b"ex_partner", b"Bonjour"):
        assert clear not in raw, clear


async def test_sms_only_when_twilio_is_configured_and_said_so(store):
    phone_only = {"name": "Paul Durand", "phone": "+33612345678", "contact_consent": True}
    booking = book(store, person=phone_only)
    assert booking["notifications"]["person"] == {"channel": None, "delivered": False, "reminder": False, "to": None}
    assert [row.recipient_kind for row in rows(store)] == ["mediator"]
    store.messaging = replace(store.messaging, sms=True)
    booking = book(store, "marseille", "phone", person=phone_only)
    assert booking["notifications"]["person"] == {"channel": "sms", "delivered": True, "reminder": True, "to": "+336 •• •• 78"}
    sms = [outbox.decode(row) for row in rows(store) if row.channel == "sms"]
    assert [message.recipient for message in sms] == ["+33612345678"] * 2  # confirmation and reminder
    assert booking["reference"] in sms[0].text and len(sms[0].text) < 320


async def test_sms_go_through_twilio_rest_api(store):
    from aiohttp import web

    from bot.agenda import sms

    posts = []

    async def messages_json(request):
        posts.append((request.match_info["sid"], dict(await request.post()), request.headers.get("Authorization")))
        return web.json_response({"sid": "SM1"}, status=201)

    app = web.Application()
    app.router.add_post("/2010-04-01/Accounts/{sid}/Messages.json", messages_json)
    server = TestServer(app)
    await server.start_server()
    try:
        transport = sms.from_env({"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "t", "TWILIO_NUMBER": "+33700000000",
                                  "TWILIO_API_URL": str(server.make_url(""))})
        store.messaging = replace(store.messaging, sms=True)
        book(store, "marseille", "phone", person={"name": "Paul Durand", "phone": "+33612345678",
                                                    "contact_consent": True})
        sender = Sender(store.engine, {"sms": transport, "email": mail.FileTransport(Path(store.engine.url.database).parent / "mail")},
                        store.clock)
        assert await sender.run_once() == 2
    finally:
        await server.close()
    assert len(posts) == 1 and posts[0][0] == "AC1" and posts[0][1]["To"] == "+33612345678"
    assert posts[0][1]["From"] == "+33700000000" and posts[0][2].startswith("Basic ")
    assert sms.from_env({"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "t", "TWILIO_NUMBER": "whatsapp:+337"}) is None


async def test_eml_files_after_a_booking_a_cancellation_and_a_move_over_the_api(tmp_path):
    clock = Clock()
    store = seeded_store(f"sqlite:///{tmp_path}/agenda.db", clock)
    outbox_dir = tmp_path / "mail"
    sender = Sender(store.engine, {"email": mail.FileTransport(outbox_dir)}, clock)
    client = TestClient(TestServer(create_app(store, token="t", sender=sender, send_interval=0.05)))
    await client.start_server()
    auth = {"Authorization": "Bearer t"}

    async def post(path, body, status):
        reply = await client.post(path, json=body, headers=auth)
        assert reply.status == status, await reply.text()
        return await reply.json()

    async def files(count):
        for _ in range(200):
            found = sorted(outbox_dir.glob("*.eml")) if outbox_dir.exists() else []
            if len(found) >= count:
                return found
            await asyncio.sleep(0.05)
        raise AssertionError(f"{count} messages expected under {outbox_dir}")

    try:
        paris = slot_ids(store, "paris")
        hold = await post(f"/api/slots/{paris[0]}/hold", {"mode": "video"}, 201)
        booking = await post(f"/api/holds/{hold['hold_id']}/confirm", {"person": PERSON, "brief": BRIEF}, 201)
        found = await files(2)
        parsed = [email.message_from_bytes(path.read_bytes(), policy=email.policy.default) for path in found]
        assert sorted(message["To"] for message in parsed) == ["jeanne.martin@exemple.fr", "paris@demo-mediation.example"]
        person = next(message for message in parsed if message["To"] == PERSON["email"])
        assert [part.get_filename() for part in person.iter_attachments()] == [f"{booking['reference']}.ics"]
        mediator = next(message for message in parsed if message["To"] != PERSON["email"])
        assert "ex_partner" in mediator.get_body(("plain",)).get_content()
        assert oct(outbox_dir.stat().st_mode & 0o777) == "0o700"
        assert {oct(path.stat().st_mode & 0o777) for path in found} == {"0o600"}

        hold = await post(f"/api/slots/{paris[1]}/hold", {"mode": "video"}, 201)
        await post(f"/api/bookings/{booking['reference']}/reschedule", {"secret": booking["secret"],
                                                                        "hold_id": hold["hold_id"]}, 200)
        moved = [email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
                 for path in (await files(4))[2:]]
        assert sorted(message["Subject"].split()[-1] for message in moved) == ["déplacé"] * 2
        await post(f"/api/bookings/{booking['reference']}/cancel", {"secret": booking["secret"]}, 200)
        cancelled = [email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
                     for path in (await files(6))[4:]]
        assert sorted(message["To"] for message in cancelled) == ["jeanne.martin@exemple.fr",
                                                                 "paris@demo-mediation.example"]
        assert all(message["Subject"].endswith("annulé") for message in cancelled)
        await asyncio.sleep(0.3)
        assert len(list(outbox_dir.glob("*.eml"))) == 6  # none twice, no reminder left for a cancelled booking
    finally:
        await client.close()


def test_rotate_keys_re_encrypts_the_agenda_and_encrypts_older_rows(tmp_path, monkeypatch):
    from cryptography.fernet import Fernet

    from bot.agenda.__main__ import rotate_keys
    from bot.agenda.schema import bookings

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    monkeypatch.setenv("TRACKER_ENCRYPTION_KEYS", old)
    store = seeded_store(f"sqlite:///{tmp_path}/agenda.db", Clock())
    booking = book(store)
    with store.engine.begin() as connection:  # a booking from before migration 0003: in clear
        connection.execute(bookings.update().values(person_phone="+33611111111"))
    monkeypatch.setenv("TRACKER_ENCRYPTION_KEYS", f"{new},{old}")
    assert rotate_keys(store.engine) == 3  # the booking and its two messages (no reminder: the slot is 24 h away)
    monkeypatch.setenv("TRACKER_ENCRYPTION_KEYS", new)
    described = store.booking(booking["reference"], booking["secret"])
    assert described["person"] == {"name": "Jeanne Martin", "email": PERSON["email"], "phone": "+33611111111"}
    with store.engine.connect() as connection:
        assert sealed.is_sealed(connection.execute(sa.select(bookings.c.person_phone)).scalar())
    assert [outbox.decode(row).recipient for row in rows(store)][0] == PERSON["email"]
    monkeypatch.setenv("TRACKER_ENCRYPTION_KEYS", old)
    with pytest.raises(sealed.SealError):
        store.booking(booking["reference"], booking["secret"])


async def test_the_messages_link_asks_for_the_code_then_cancels(store):
    booking = book(store)
    client = TestClient(TestServer(create_app(store, token="t")))
    await client.start_server()
    try:
        path = f"/public/booking/{booking['reference']}"
        page = await client.get(path)
        text = await page.text()
        assert page.status == 200 and 'lang="fr"' in text and 'name="secret"' in text and "Jeanne" not in text
        wrong = await client.post(path, data={"secret": "zzzzzzzz"})
        assert wrong.status == 403 and "ne correspondent" in await wrong.text()
        right = await client.post(path, data={"secret": booking["secret"]})
        assert right.status == 200 and "est annulé" in await right.text()
        assert store.booking(booking["reference"], booking["secret"])["status"] == "cancelled"
        assert (await client.post(path, data={"secret": booking["secret"]})).status == 409
        assert (await client.get("/public/booking/nope")).status == 404
    finally:
        await client.close()
    assert any(row.dedup_key.endswith("cancelled:person:email") for row in rows(store))
