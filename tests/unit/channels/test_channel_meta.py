"""Meta webhook plumbing, Messenger and WhatsApp payload parsing, the 24-hour window and
the output channels against the fake Graph API (no Rasa server needed)."""
from __future__ import annotations

import asyncio
import json
import logging
from types import SimpleNamespace

import pytest

from tests.support import meta_payloads as fx
from bot.channels import meta, messenger, whatsapp
from bot.channels.signatures import meta_signature

SECRET = "unit-app-secret"
pytestmark = pytest.mark.usefixtures("conversation_id_key")


@pytest.fixture(autouse=True)
async def _close_graph_sessions():
    yield
    await meta.close_sessions()


def body_of(reply) -> dict:
    return json.loads(reply.body)


# ---- Handshake and signature -----------------------------------------------------------


def test_handshake_echoes_the_challenge_only_for_our_verify_token():
    ok = meta.handshake({"hub.mode": "subscribe", "hub.verify_token": "tok", "hub.challenge": "1158201444"}, "tok")
    assert ok.status == 200 and ok.body == b"1158201444" and ok.content_type.startswith("text/plain")
    for args in ({"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
                 {"hub.mode": "unsubscribe", "hub.verify_token": "tok", "hub.challenge": "1"},
                 {"hub.mode": "subscribe", "hub.verify_token": None, "hub.challenge": "1"},
                 {"hub.mode": None, "hub.verify_token": None, "hub.challenge": None},
                 # Non-ASCII and a lone surrogate: refused, never an exception (a 500).
                 {"hub.mode": "subscribe", "hub.verify_token": "tôk", "hub.challenge": "1"},
                 {"hub.mode": "subscribe", "hub.verify_token": "\ud800", "hub.challenge": "1"}):
        refused = meta.handshake(args, "tok")
        assert refused.status == 403 and body_of(refused)["error"]["code"] == "verification_failed"
    # A challenge is echoed as text, never markup.
    assert meta.handshake({"hub.mode": "subscribe", "hub.verify_token": "tok",
                           "hub.challenge": "<script>"}, "tok").status == 400
    not_configured = meta.handshake({"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1"}, None)
    assert not_configured.status == 503 and body_of(not_configured)["error"]["code"] == "channel_not_configured"


def test_signed_payload_is_checked_on_the_raw_bytes():
    payload = fx.messenger_payload(fx.messenger_text("1254459154682919", "Bonjour, ça va ?"))
    raw = fx.encode(payload)
    assert meta.signed_payload(raw, meta_signature(SECRET, raw), SECRET) == (payload, None)
    # Same JSON, serialised differently (UTF-8 instead of \u escapes): the signature no longer matches.
    reserialised = json.dumps(payload, ensure_ascii=False).encode()
    assert json.loads(reserialised) == payload
    _, refused = meta.signed_payload(reserialised, meta_signature(SECRET, raw), SECRET)
    assert refused.status == 403 and body_of(refused)["error"]["code"] == "bad_signature"
    _, refused = meta.signed_payload(raw, None, SECRET)
    assert refused.status == 403 and body_of(refused)["error"]["code"] == "missing_signature"
    _, refused = meta.signed_payload(raw, meta_signature("another-secret", raw), SECRET)
    assert refused.status == 403
    _, refused = meta.signed_payload(raw, meta_signature(SECRET, raw), None)
    assert refused.status == 503 and body_of(refused)["error"]["code"] == "channel_not_configured"
    _, refused = meta.signed_payload(raw, meta_signature(SECRET, raw), SECRET, configured=False)
    assert refused.status == 503
    for bad in (b"{not json", b"[1, 2]", b"\xff\xfe"):
        _, refused = meta.signed_payload(bad, meta_signature(SECRET, bad), SECRET)
        assert refused.status == 400 and body_of(refused)["error"]["code"] == "bad_json"
    # The error never repeats the body.
    assert b"Bonjour" not in refused.body


# ---- Dedupe and background workers -----------------------------------------------------


class FakeClock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def test_deduplicator_forgets_after_its_ttl_and_stays_bounded():
    clock = FakeClock()
    seen = meta.Deduplicator(ttl=60, max_size=3, clock=clock)
    assert await seen.first_time("wamid.1") and not await seen.first_time("wamid.1")
    assert await seen.first_time(None) and await seen.first_time(None)  # no id: cannot tell, always processed
    clock.now += 61
    assert await seen.first_time("wamid.1")  # expired: a very late retry is processed again
    for key in ("a", "b", "c", "d"):
        assert await seen.first_time(key)
    assert len(seen) == 3 and await seen.first_time("wamid.1")  # the oldest was dropped


async def test_workers_keep_the_order_of_one_conversation_and_run_others_concurrently():
    workers = meta.ConversationWorkers("unit")
    log: list[str] = []
    release = asyncio.Event()

    def job(name: str, wait: bool = False):
        async def run() -> None:
            log.append(f"start {name}")
            if wait:
                await release.wait()
            await asyncio.sleep(0)
            log.append(f"end {name}")
        return run

    await workers.submit("alice", job("a1", wait=True))
    await workers.submit("alice", job("a2"))
    await workers.submit("bob", job("b1"))
    for _ in range(5):
        await asyncio.sleep(0)
    # Bob is not stuck behind Alice; Alice's second message waits for her first.
    assert "end b1" in log and "start a2" not in log
    release.set()
    await workers.drain()
    assert log.index("end a1") < log.index("start a2")
    assert workers.pending == 0 and len(workers.queues) == 0  # nothing kept for people with no message


async def test_a_failing_job_is_logged_by_type_only_and_does_not_stop_the_next(caplog):
    workers = meta.ConversationWorkers("unit")
    done = []

    async def boom() -> None:
        raise ValueError("the person wrote: mon adresse est 3 rue des Lilas")

    async def fine() -> None:
        done.append(True)

    await workers.submit("carol", boom)
    await workers.submit("carol", fine)
    with caplog.at_level(logging.ERROR):
        await workers.drain()
    assert done == [True]
    assert "ValueError" in caplog.text and "Lilas" not in caplog.text


async def test_a_flood_from_one_person_is_capped():
    workers = meta.ConversationWorkers("unit", max_queued=2)
    gate = asyncio.Event()

    async def wait() -> None:
        await gate.wait()

    assert await workers.submit("dan", wait) and await workers.submit("dan", wait)
    assert await workers.submit("dan", wait) is None
    assert await workers.submit("erin", wait) is not None
    gate.set()
    await workers.drain()


# ---- Graph API client (against the fake platform) --------------------------------------


async def test_graph_client_posts_with_a_bearer_token_and_retries_once_on_5xx(fake_platform):
    graph = meta.GraphClient("unit", "tok-123", fake_platform.url, retry_delay=0.01)
    marker = fx.unique_id("retry")
    assert await graph.post("/me/messages", {"marker": marker})
    [sent] = fake_platform.matching(lambda r: (r.json or {}).get("marker") == marker)
    assert sent.path == "/me/messages" and sent.headers["Authorization"] == "Bearer tok-123"

    marker = fx.unique_id("retry")
    fake_platform.fail_next = 1
    assert await graph.post("me/messages", {"marker": marker})  # one outage answer, then accepted
    assert len(fake_platform.matching(lambda r: (r.json or {}).get("marker") == marker)) == 2

    marker = fx.unique_id("retry")
    fake_platform.fail_next = 2
    assert not await graph.post("me/messages", {"marker": marker})  # never raises
    assert len(fake_platform.matching(lambda r: (r.json or {}).get("marker") == marker)) == 2
    assert graph.failures == 1


async def test_graph_client_survives_an_unreachable_platform_and_a_missing_token(caplog):
    from scripts.stack.servers import free_port

    graph = meta.GraphClient("unit", "tok", f"http://127.0.0.1:{free_port()}", retry_delay=0.01)
    with caplog.at_level(logging.ERROR):
        assert not await graph.post("me/messages", {"message": {"text": "secret words"}})
        assert not await meta.GraphClient("unit", None, "http://127.0.0.1:9").post("x", {})
    assert "ClientConnectorError" in caplog.text and "secret words" not in caplog.text


# ---- Messenger payloads ----------------------------------------------------------------


def test_messenger_payloads_are_read_as_typed_text_buttons_or_unreadable():
    psid = "1254459154682919"
    payload = fx.messenger_payload(
        fx.messenger_text(psid, "/affirm", mid="m_text"),
        fx.messenger_quick_reply(psid, "1. J'accepte", "/affirm", mid="m_quick"),
        fx.messenger_postback(psid, "J'accepte", '/inform{"choice":"slot_42"}'),
        fx.messenger_image(psid),
        fx.messenger_echo(psid),
        fx.messenger_delivery(psid),
        fx.messenger_read(psid),
    )
    found = messenger.parse_events(payload)
    assert [(i.text, i.from_button) for i in found] == [
        ("/affirm", False), ("/affirm", True), ('/inform{"choice":"slot_42"}', True), (None, False)]
    assert {i.user for i in found} == {psid}
    assert found[0].message_id == "m_text" and found[1].message_id == "m_quick" and found[2].message_id
    assert found[0].timestamp and abs(found[0].timestamp - payload["entry"][0]["time"] / 1000) < 5
    conversation = messenger.sender_id(psid)
    assert conversation.startswith("messenger-") and psid not in conversation
    assert messenger.psid_of(conversation) == psid
    for foreign in (whatsapp.sender_id(psid), "messenger-" + psid, "messenger-../x"):
        assert messenger.psid_of(foreign) is None


def test_messenger_ignores_other_objects_and_malformed_parts():
    assert messenger.parse_events({"object": "instagram", "entry": []}) == []
    weird = {"object": "page", "entry": [5, {"messaging": "x"}, {"messaging": [7, {"sender": {"id": "abc"},
                                                                                     "message": {"text": "hi"}}]}]}
    assert messenger.parse_events(weird) == []
    assert messenger.parse_events({"object": "page", "entry": 3}) == []


# ---- WhatsApp payloads -----------------------------------------------------------------


def test_whatsapp_payloads_are_read_and_statuses_reactions_and_other_numbers_skipped():
    wa = "33612345678"
    payload = fx.whatsapp_payload([
        fx.whatsapp_text(wa, "/affirm", message_id="wamid.text"),
        fx.whatsapp_button_reply(wa, "/affirm", "J'accepte"),
        fx.whatsapp_list_reply(wa, '/inform{"choice":"slot_42"}', "Samira Ouarzadi"),
        fx.whatsapp_template_button(wa, "/start_intake", "Reprendre"),
        fx.whatsapp_image(wa),
        fx.whatsapp_reaction(wa),
    ], statuses=[fx.whatsapp_status(wa), fx.whatsapp_status(wa, "read")])
    found = whatsapp.parse_events(payload, fx.PHONE_NUMBER_ID)
    assert [(i.text, i.from_button) for i in found] == [
        ("/affirm", False), ("/affirm", True), ('/inform{"choice":"slot_42"}', True), ("/start_intake", True),
        (None, False)]
    assert found[0].message_id == "wamid.text" and all(i.user == wa for i in found)
    assert found[0].timestamp == float(payload["entry"][0]["changes"][0]["value"]["messages"][0]["timestamp"])
    # Only status callbacks: nothing to answer.
    assert whatsapp.parse_events(fx.whatsapp_payload(statuses=[fx.whatsapp_status(wa)]), fx.PHONE_NUMBER_ID) == []
    # Another phone number of the same business account is not ours.
    other = fx.whatsapp_payload([fx.whatsapp_text(wa, "Bonjour")], phone_number_id="999")
    assert whatsapp.parse_events(other, fx.PHONE_NUMBER_ID) == []
    assert whatsapp.parse_events({"object": "page", "entry": []}) == []
    bad_sender = fx.whatsapp_payload([fx.whatsapp_text("+33 6 12", "Bonjour")])
    assert whatsapp.parse_events(bad_sender) == []
    conversation = whatsapp.sender_id(wa)
    assert conversation.startswith("whatsapp-") and wa not in conversation and whatsapp.wa_id_of(conversation) == wa
    for foreign in (messenger.sender_id(wa), "whatsapp-" + wa):
        assert whatsapp.wa_id_of(foreign) is None


# ---- The 24-hour customer-service window -----------------------------------------------


# The shared (Redis) window passes the same checks: tests/e2e/test_shared_state.py.


async def test_service_window_opens_on_a_message_and_closes_after_24_hours():
    clock = FakeClock()
    window = meta.ServiceWindow(clock=clock)
    one, two, three, four = (whatsapp.sender_id(wa) for wa in ("33611111111", "33622222222", "33633333333",
                                                                "33644444444"))
    assert not await window.is_open(one)  # never wrote: closed
    await window.inbound(one)
    clock.now += 24 * 3600 - 1
    assert await window.is_open(one)
    clock.now += 1
    assert not await window.is_open(one)
    # The platform's timestamp counts, not when a (late) retry arrived; never in the future.
    await window.inbound(two, at=clock.now - 23 * 3600)
    clock.now += 3601
    assert not await window.is_open(two)
    await window.inbound(three, at=clock.now + 10_000)
    clock.now += 24 * 3600
    assert not await window.is_open(three)
    # An older retried message never shortens the window.
    await window.inbound(four)
    await window.inbound(four, at=clock.now - 20 * 3600)
    clock.now += 23 * 3600
    assert await window.is_open(four)


async def test_service_window_template_once_until_the_person_writes_again():
    window = meta.ServiceWindow(clock=FakeClock())
    conversation = whatsapp.sender_id("33611111111")
    assert await window.claim_template(conversation)
    assert not await window.claim_template(conversation)
    await window.inbound(conversation)
    assert await window.claim_template(conversation)


async def test_service_window_memory_is_bounded():
    window = meta.ServiceWindow(clock=FakeClock(), max_people=2)
    for conversation in ("whatsapp-1", "whatsapp-2", "whatsapp-3"):
        await window.inbound(conversation)
    assert not await window.is_open("whatsapp-1") and await window.is_open("whatsapp-3")
    assert len(window._people) == 2


# ---- Output channels against the fake Graph API -----------------------------------------

CONSENT = [{"title": "J'accepte", "payload": "/affirm"}, {"title": "Je refuse", "payload": "/deny"},
           {"title": "En savoir plus", "payload": "/ask_confidentiality"}]
MANY = [{"title": f"Créneau numéro {n} avec une médiatrice", "payload": f'/inform{{"choice":"slot_{n}"}}'}
        for n in range(1, 6)]


def to_psid(psid):
    return lambda r: r.path == "/me/messages" and (r.json or {}).get("recipient", {}).get("id") == psid


def to_wa(wa):
    return lambda r: r.path == f"/{fx.PHONE_NUMBER_ID}/messages" and (r.json or {}).get("to") == wa


async def test_messenger_output_maps_buttons_and_splits_long_texts(fake_platform):
    psid = fx.unique_id("7")
    out = messenger.MessengerOutput(meta.GraphClient("messenger", "page-token", fake_platform.url))
    await out.send_response(messenger.sender_id(psid), {"text": "Acceptez-vous ?", "buttons": CONSENT})
    await out.send_response(messenger.sender_id(psid), {"text": "Quel créneau ?", "buttons": MANY})
    await out.send_response(messenger.sender_id(psid), {"text": "Mot " * 900})
    await out.send_custom_json(messenger.sender_id(psid), {"recipient": {"id": "1"}, "text": "hors conversation"})
    sent = [r.json for r in fake_platform.matching(to_psid(psid))]
    assert all(s["messaging_type"] == "RESPONSE" for s in sent) and out.sent == 3
    template = sent[0]["message"]["attachment"]["payload"]
    assert template["template_type"] == "button" and template["text"] == "Acceptez-vous ?"
    assert [(b["type"], b["title"], b["payload"]) for b in template["buttons"]] == [
        ("postback", "J'accepte", "/affirm"), ("postback", "Je refuse", "/deny"),
        ("postback", "En savoir plus", "/ask_confidentiality")]
    quick = sent[1]["message"]["quick_replies"]
    assert len(quick) == 5 and all(len(q["title"]) <= 20 for q in quick)
    assert quick[0]["payload"] == '/inform{"choice":"slot_1"}' and "1. Créneau numéro 1" in sent[1]["message"]["text"]
    long_parts = [s["message"]["text"] for s in sent[2:4]]
    assert len(sent) == 5 and all(len(p) <= 2000 for p in long_parts)
    assert " ".join(" ".join(long_parts).split()) == " ".join(("Mot " * 900).split())
    assert sent[4]["recipient"] == {"id": psid}  # a custom JSON never picks its own recipient
    # Not a Messenger conversation: nothing is sent anywhere.
    before = len(fake_platform.requests)
    await out.send_text_message(whatsapp.sender_id("33612345678"), "Bonjour")
    assert len(fake_platform.requests) == before


async def test_messenger_output_with_a_window_withholds_messages_to_someone_silent_for_24_hours(fake_platform):
    psid, clock = fx.unique_id("8"), FakeClock()
    window = meta.ServiceWindow(clock=clock)
    out = messenger.MessengerOutput(meta.GraphClient("messenger", "page-token", fake_platform.url), window)
    await out.send_text_message(messenger.sender_id(psid), "Rappel")  # never wrote
    await window.inbound(messenger.sender_id(psid))
    await out.send_text_message(messenger.sender_id(psid), "Réponse")
    clock.now += 24 * 3600
    await out.send_text_message(messenger.sender_id(psid), "Trop tard")
    assert [r.json["message"]["text"] for r in fake_platform.matching(to_psid(psid))] == ["Réponse"]
    assert out.withheld == 2


def whatsapp_output(fake_platform, window, template="reprise_conversation"):
    return whatsapp.WhatsAppOutput(meta.GraphClient("whatsapp", "wa-token", fake_platform.url), fx.PHONE_NUMBER_ID,
                                   window, template, "fr")


async def test_whatsapp_output_inside_the_window_sends_buttons_lists_and_split_texts(fake_platform):
    wa = "336" + fx.unique_id()[-8:]
    window = meta.ServiceWindow()
    await window.inbound(whatsapp.sender_id(wa))
    out = whatsapp_output(fake_platform, window)
    await out.send_response(whatsapp.sender_id(wa), {"text": "Acceptez-vous ?", "buttons": CONSENT})
    await out.send_response(whatsapp.sender_id(wa), {"text": "Quel créneau ?", "buttons": MANY})
    await out.send_response(whatsapp.sender_id(wa), {"text": "Mot " * 1100})
    sent = [r.json for r in fake_platform.matching(to_wa(wa))]
    assert all(s["messaging_product"] == "whatsapp" and s["recipient_type"] == "individual" for s in sent)
    buttons = sent[0]["interactive"]
    assert buttons["type"] == "button" and buttons["body"]["text"] == "Acceptez-vous ?"
    assert [(b["reply"]["id"], b["reply"]["title"]) for b in buttons["action"]["buttons"]] == [
        ("/affirm", "J'accepte"), ("/deny", "Je refuse"), ("/ask_confidentiality", "En savoir plus")]
    rows = sent[1]["interactive"]["action"]["sections"][0]["rows"]
    assert sent[1]["interactive"]["type"] == "list" and len(rows) == 5 and all(len(r["title"]) <= 24 for r in rows)
    assert rows[0]["id"] == '/inform{"choice":"slot_1"}'
    assert [s["type"] for s in sent[2:]] == ["text", "text"] and all(len(s["text"]["body"]) <= 4096 for s in sent[2:])


async def test_whatsapp_output_outside_the_window_sends_only_the_template_once(fake_platform, caplog):
    wa = "336" + fx.unique_id()[-8:]
    clock = FakeClock()
    window = meta.ServiceWindow(clock=clock)
    await window.inbound(whatsapp.sender_id(wa))
    clock.now += 25 * 3600
    out = whatsapp_output(fake_platform, window)
    await out.send_response(whatsapp.sender_id(wa), {"text": "Rappel : votre rendez-vous est demain."})
    await out.send_response(whatsapp.sender_id(wa), {"text": "Acceptez-vous ?", "buttons": CONSENT})
    await whatsapp_output(fake_platform, window).send_text_message(whatsapp.sender_id(wa), "Encore un rappel")
    sent = [r.json for r in fake_platform.matching(to_wa(wa))]
    assert sent == [{"messaging_product": "whatsapp", "recipient_type": "individual", "to": wa, "type": "template",
                     "template": {"name": "reprise_conversation", "language": {"code": "fr"}}}]
    # Once the person answers, free-form messages go out again.
    await window.inbound(whatsapp.sender_id(wa))
    await whatsapp_output(fake_platform, window).send_text_message(whatsapp.sender_id(wa), "Merci de votre réponse.")
    assert fake_platform.matching(to_wa(wa))[-1].json["text"] == {"body": "Merci de votre réponse."}

    # No template configured: nothing at all, a count in the log (never the text).
    wa2 = "336" + fx.unique_id()[-8:]
    silent = whatsapp_output(fake_platform, meta.ServiceWindow(), template=None)
    with caplog.at_level(logging.WARNING):
        await silent.send_text_message(whatsapp.sender_id(wa2), "Rappel confidentiel")
    assert fake_platform.matching(to_wa(wa2)) == [] and silent.withheld == 1
    assert "1 message(s) withheld" in caplog.text and "confidentiel" not in caplog.text


def test_channels_load_without_secrets_and_refuse_to_send(monkeypatch):
    for name in ("MESSENGER_VERIFY_TOKEN", "MESSENGER_APP_SECRET", "MESSENGER_PAGE_ACCESS_TOKEN",
                 "WHATSAPP_VERIFY_TOKEN", "WHATSAPP_APP_SECRET", "WHATSAPP_ACCESS_TOKEN", "WHATSAPP_PHONE_NUMBER_ID"):
        monkeypatch.delenv(name, raising=False)
    unconfigured = messenger.MessengerInput.from_credentials(None)
    assert not unconfigured.configured and unconfigured.get_output_channel() is None
    wa = whatsapp.WhatsAppInput.from_credentials({})
    assert not wa.configured and wa.get_output_channel() is None
    monkeypatch.setenv("WHATSAPP_VERIFY_TOKEN", "v")
    monkeypatch.setenv("WHATSAPP_APP_SECRET", "s")
    monkeypatch.setenv("WHATSAPP_ACCESS_TOKEN", "t")
    monkeypatch.setenv("WHATSAPP_PHONE_NUMBER_ID", "42")
    monkeypatch.delenv("WHATSAPP_TEMPLATE_LANGUAGE", raising=False)
    configured = whatsapp.WhatsAppInput.from_credentials(None)
    assert configured.configured and configured.template_language == "fr"
    assert isinstance(configured.get_output_channel(), whatsapp.WhatsAppOutput)


def _webhook(channel, method):
    blueprint = channel.blueprint(None)
    return next(route.handler for route in blueprint._future_routes
                if route.uri == "/webhook" and method in route.methods)


async def test_without_the_conversation_id_key_the_channels_refuse_webhooks_and_send_nothing(monkeypatch, caplog):
    monkeypatch.delenv("CONVERSATION_ID_KEY")
    with caplog.at_level(logging.WARNING):
        channels = [messenger.MessengerInput("verify", SECRET, "page-token", "http://127.0.0.1:9"),
                    whatsapp.WhatsAppInput("verify", SECRET, "token", fx.PHONE_NUMBER_ID,
                                           graph_base_url="http://127.0.0.1:9")]
    assert "CONVERSATION_ID_KEY missing or invalid" in caplog.text
    raw = fx.encode(fx.whatsapp_payload([fx.whatsapp_text("33612345678", "Bonjour")]))
    for channel in channels:
        # Secrets are set, but there is no way to name the conversation without the number: refused.
        assert not channel.configured and channel.get_output_channel() is None
        answer = await _webhook(channel, "POST")(SimpleNamespace(body=raw, headers={
            "X-Hub-Signature-256": meta_signature(SECRET, raw)}))
        assert answer.status == 503 and body_of(answer)["error"]["code"] == "channel_not_configured"
        assert b"33612345678" not in answer.body
        await channel.workers.drain()
        assert channel.workers.pending == 0
    # An output built anyway cannot read a recipient: nothing is sent, never to a clear id.
    out = whatsapp.WhatsAppOutput(meta.GraphClient("whatsapp", "wa-token", "http://127.0.0.1:9"), fx.PHONE_NUMBER_ID,
                                  meta.ServiceWindow(), "reprise_conversation")
    assert whatsapp.wa_id_of("whatsapp-33612345678") is None
    await out.send_text_message("whatsapp-33612345678", "Bonjour")
    assert out.graph.failures == 0 and out.withheld == 0
