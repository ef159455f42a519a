"""Webhook payloads as Meta sends them (shapes from Meta's Messenger Platform and WhatsApp
Cloud API webhook references), and a signed POST to the real server."""
from __future__ import annotations

import itertools
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from bot.channels.signatures import meta_signature

PAGE_ID = "106421234567890"
WABA_ID = "102290129340398"
PHONE_NUMBER_ID = "100200300"  # tests/support/fake_platform.py CHANNEL_TEST_SECRETS
_ids = itertools.count(1)


def unique_id(prefix: str = "") -> str:
    return f"{prefix}{int(time.time() * 1000) % 10**9}{next(_ids):04d}"


# ---- Messenger (object "page", entry[].messaging[]) ------------------------------------


def messenger_event(psid: str, **event: Any) -> dict[str, Any]:
    return {"sender": {"id": psid}, "recipient": {"id": PAGE_ID}, "timestamp": int(time.time() * 1000), **event}


def messenger_payload(*events: dict[str, Any]) -> dict[str, Any]:
    return {"object": "page", "entry": [{"id": PAGE_ID, "time": int(time.time() * 1000), "messaging": list(events)}]}


def messenger_text(psid: str, text: str, mid: str | None = None) -> dict[str, Any]:
    return messenger_event(psid, message={"mid": mid or f"m_{unique_id()}", "text": text})


def messenger_quick_reply(psid: str, title: str, payload: str, mid: str | None = None) -> dict[str, Any]:
    return messenger_event(psid, message={"mid": mid or f"m_{unique_id()}", "text": title,
                                          "quick_reply": {"payload": payload}})


def messenger_postback(psid: str, title: str, payload: str) -> dict[str, Any]:
    return messenger_event(psid, postback={"mid": f"m_{unique_id()}", "title": title, "payload": payload})


def messenger_image(psid: str) -> dict[str, Any]:
    return messenger_event(psid, message={"mid": f"m_{unique_id()}", "attachments": [
        {"type": "image", "payload": {"url": "https://scontent.xx.fbcdn.net/v/t1.15752-9/photo.jpg"}}]})


def messenger_echo(psid: str) -> dict[str, Any]:
    # An echo comes from the page: sender is the page, recipient the person.
    return {"sender": {"id": PAGE_ID}, "recipient": {"id": psid}, "timestamp": int(time.time() * 1000),
            "message": {"is_echo": True, "app_id": 1517776481860111, "mid": f"m_{unique_id()}", "text": "écho"}}


def messenger_delivery(psid: str) -> dict[str, Any]:
    return messenger_event(psid, delivery={"mids": [f"m_{unique_id()}"], "watermark": int(time.time() * 1000)})


def messenger_read(psid: str) -> dict[str, Any]:
    return messenger_event(psid, read={"watermark": int(time.time() * 1000)})


# ---- WhatsApp Cloud API (object "whatsapp_business_account", entry[].changes[].value) --


def whatsapp_payload(messages: list[dict[str, Any]] | None = None, statuses: list[dict[str, Any]] | None = None,
                     phone_number_id: str = PHONE_NUMBER_ID) -> dict[str, Any]:
    value: dict[str, Any] = {"messaging_product": "whatsapp",
                             "metadata": {"display_phone_number": "33100000000", "phone_number_id": phone_number_id}}
    if messages:
        value["contacts"] = [{"profile": {"name": "Camille Test"}, "wa_id": m["from"]} for m in messages]
        value["messages"] = messages
    if statuses:
        value["statuses"] = statuses
    return {"object": "whatsapp_business_account",
            "entry": [{"id": WABA_ID, "changes": [{"value": value, "field": "messages"}]}]}


def whatsapp_message(wa_id: str, kind: str, message_id: str | None = None, **body: Any) -> dict[str, Any]:
    return {"from": wa_id, "id": message_id or f"wamid.{unique_id('HBgL')}", "timestamp": str(int(time.time())),
            "type": kind, **body}


def whatsapp_text(wa_id: str, text: str, message_id: str | None = None) -> dict[str, Any]:
    return whatsapp_message(wa_id, "text", message_id, text={"body": text})


def whatsapp_button_reply(wa_id: str, payload: str, title: str) -> dict[str, Any]:
    return whatsapp_message(wa_id, "interactive", context={"from": "33100000000", "id": f"wamid.{unique_id()}"},
                            interactive={"type": "button_reply", "button_reply": {"id": payload, "title": title}})


def whatsapp_list_reply(wa_id: str, payload: str, title: str) -> dict[str, Any]:
    return whatsapp_message(wa_id, "interactive", context={"from": "33100000000", "id": f"wamid.{unique_id()}"},
                            interactive={"type": "list_reply",
                                         "list_reply": {"id": payload, "title": title, "description": title}})


def whatsapp_template_button(wa_id: str, payload: str, text: str) -> dict[str, Any]:
    return whatsapp_message(wa_id, "button", button={"payload": payload, "text": text})


def whatsapp_image(wa_id: str) -> dict[str, Any]:
    return whatsapp_message(wa_id, "image", image={"caption": "ma facture", "mime_type": "image/jpeg",
                                                   "sha256": "aGVsbG8=", "id": "1234567890123456"})


def whatsapp_reaction(wa_id: str) -> dict[str, Any]:
    return whatsapp_message(wa_id, "reaction", reaction={"message_id": f"wamid.{unique_id()}", "emoji": "👍"})


def whatsapp_status(wa_id: str, status: str = "delivered") -> dict[str, Any]:
    return {"id": f"wamid.{unique_id()}", "status": status, "timestamp": str(int(time.time())),
            "recipient_id": wa_id,
            "conversation": {"id": "CONVERSATION_ID", "origin": {"type": "service"}},
            "pricing": {"billable": True, "pricing_model": "CBP", "category": "service"}}


# ---- HTTP ------------------------------------------------------------------------------


def encode(payload: dict[str, Any]) -> bytes:
    # Meta's own serialisation: compact, non-ASCII escaped; the signature covers these bytes.
    return json.dumps(payload, separators=(",", ":")).encode()


def post(url: str, raw: bytes, signature: str | None, timeout: float = 30) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["X-Hub-Signature-256"] = signature
    request = urllib.request.Request(url, data=raw, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            return reply.status, json.loads(reply.read() or b"null")
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read() or b"null")


def signed_post(url: str, payload: dict[str, Any], secret: str) -> tuple[int, Any]:
    raw = encode(payload)
    return post(url, raw, meta_signature(secret, raw))


def get(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as reply:
            return reply.status, reply.headers.get("Content-Type", ""), reply.read().decode()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.headers.get("Content-Type", ""), refused.read().decode()


def push_bot_message(servers, conversation: str, text: str, buttons: list[dict[str, str]] | None,
                     output_channel: str) -> int:
    """A message from outside the conversation (a mediator, a reminder) through Rasa's HTTP API:
    a bot event appended with its side effects executed on `output_channel`."""
    url = (f"{servers.url}/conversations/{conversation}/tracker/events?"
           + urllib.parse.urlencode({"execute_side_effects": "true", "output_channel": output_channel,
                                     "token": servers.token}))
    event = {"event": "bot", "text": text, "data": {"buttons": buttons or []}, "timestamp": time.time()}
    request = urllib.request.Request(url, data=json.dumps(event).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as reply:
        return reply.status


LONG_TEXT = " ".join(f"Point numéro {n} : le médiateur vous rappelle les pièces à apporter au rendez-vous."
                     for n in range(1, 90))  # about 7 500 characters
SLOT_BUTTONS = [{"title": f"Mardi {n} décembre à 9 h 00, en visio", "payload": f'/inform{{"choice":"slot_{n}"}}'}
                for n in range(1, 6)]
