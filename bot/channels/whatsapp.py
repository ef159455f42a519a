"""WhatsApp through Meta's WhatsApp Cloud API (`/webhooks/whatsapp/webhook`).

Same webhook plumbing as Messenger (bot/channels/meta.py): GET handshake, signed POSTs
only, acknowledged at once, duplicate deliveries and status callbacks ignored. Text,
reply-button and list answers are read (button and row ids are our payloads); a "/"
typed by a person is never an intent. Our buttons become reply buttons (≤ 3) or a list
(≤ 10 rows), see bot/channels/rendering.py.

Meta's customer-service window: a free-form message may only be sent within 24 hours
of the person's last message. Outside it (e.g. a reminder sent through Rasa's
`trigger_intent`), only the approved template WHATSAPP_TEMPLATE_NAME is sent, once; with
no template configured nothing is sent. The window is kept per conversation id (never the
number), in Redis when REDIS_URL is set so that every replica sees it, else in memory
(bot/channels/service_window.py).

Environment: WHATSAPP_VERIFY_TOKEN, WHATSAPP_APP_SECRET, WHATSAPP_ACCESS_TOKEN,
WHATSAPP_PHONE_NUMBER_ID, WHATSAPP_TEMPLATE_NAME (optional), WHATSAPP_TEMPLATE_LANGUAGE
(default fr), META_GRAPH_URL (default https://graph.facebook.com/v21.0), and
CONVERSATION_ID_KEY: conversation ids are pseudonyms of the number (bot/privacy/pseudonyms.py).
"""
from __future__ import annotations

import logging
import re
from typing import Any

from bot.channels import conversation_ids
from bot.channels import meta
from bot.channels.service_window import ServiceWindow
from bot.channels.rendering import whatsapp_messages
from bot.channels.turn import CountingOutputChannel
from bot.privacy import pseudonyms

logger = logging.getLogger(__name__)

CHANNEL = "whatsapp"
SENDER_PREFIX = conversation_ids.WHATSAPP
_WA_ID = re.compile(r"^[0-9]{6,20}$")
# Not messages from the person: a reaction to one of ours, a number change notice…
_NOT_MESSAGES = frozenset({"reaction", "system", "request_welcome", "ephemeral"})


def sender_id(wa_id: str) -> str:
    """The conversation id: a pseudonym, so the phone number is never stored or logged in clear."""
    return pseudonyms.pseudonym(SENDER_PREFIX, wa_id)


def wa_id_of(recipient_id: str) -> str | None:
    wa_id = pseudonyms.platform_id(SENDER_PREFIX, recipient_id)
    return wa_id if wa_id and _WA_ID.match(wa_id) else None


def parse_events(payload: dict[str, Any], phone_number_id: str | None = None) -> list[meta.Inbound]:
    """Messages from a Cloud API webhook (`entry[].changes[].value.messages[]`).

    Text: from_button False; a reply button, a list row or a template quick reply:
    from_button True (its id is our payload); image, audio, location…: text None.
    Status callbacks (`statuses[]`), reactions and system notices are skipped, and so
    are messages to another phone number of the same business account.
    """
    if payload.get("object") != "whatsapp_business_account":
        return []
    found = []
    for entry in meta.dicts(payload.get("entry")):
        for change in meta.dicts(entry.get("changes")):
            value = change.get("value")
            if change.get("field", "messages") != "messages" or not isinstance(value, dict):
                continue
            to_number = meta.field(value, "metadata", "phone_number_id")
            if phone_number_id and to_number and str(to_number) != phone_number_id:
                continue
            for message in meta.dicts(value.get("messages")):
                inbound = _read_message(message)
                if inbound is not None:
                    found.append(inbound)
    return found


def _read_message(message: dict[str, Any]) -> meta.Inbound | None:
    wa_id, kind = message.get("from"), message.get("type")
    if not isinstance(wa_id, str) or not _WA_ID.match(wa_id) or kind in _NOT_MESSAGES:
        return None
    message_id = message.get("id") if isinstance(message.get("id"), str) else None
    try:
        stamp: float | None = float(message.get("timestamp"))
    except (TypeError, ValueError):
        stamp = None

    def inbound(text: Any, from_button: bool) -> meta.Inbound:
        return meta.Inbound(wa_id, message_id, text if isinstance(text, str) else None, from_button, stamp)

    if kind == "text":
        return inbound(meta.field(message, "text", "body"), False)
    if kind == "interactive":
        reply = meta.field(message, "interactive", "button_reply") or meta.field(message, "interactive", "list_reply")
        return inbound(meta.field(reply, "id"), True)
    if kind == "button":  # a quick-reply button of a template message
        payload = meta.field(message, "button", "payload")
        if isinstance(payload, str):
            return inbound(payload, True)
        return inbound(meta.field(message, "button", "text"), False)
    return inbound(None, False)


class WhatsAppOutput(CountingOutputChannel):
    """Sends with the Cloud API (`POST {GRAPH}/{phone_number_id}/messages`), within the
    customer-service window."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    def __init__(self, graph: meta.GraphClient, phone_number_id: str, window: ServiceWindow,
                 template_name: str | None = None, template_language: str = "fr") -> None:
        super().__init__()
        self.graph, self.phone_number_id, self.window = graph, phone_number_id, window
        self.template_name, self.template_language = template_name, template_language
        self.withheld = 0  # free-form messages not sent because the window was closed

    async def _post(self, wa_id: str, body: dict[str, Any]) -> bool:
        return await self.graph.post(f"{self.phone_number_id}/messages", {
            "messaging_product": "whatsapp", "recipient_type": "individual", "to": wa_id, **body})

    async def _send_messages(self, recipient_id: str, messages: list[dict[str, Any]]) -> None:
        wa_id = wa_id_of(recipient_id)
        if wa_id is None:
            logger.error("whatsapp: recipient is not a WhatsApp conversation, message not sent")
            return
        if not await self.window.is_open(recipient_id):
            await self._outside_window(recipient_id, wa_id, len(messages))
            return
        for message in messages:
            if not await self._post(wa_id, message):
                break  # keep the order: never send the rest of a message whose start was lost

    async def _outside_window(self, conversation: str, wa_id: str, count: int) -> None:
        # Claimed before sending: two sends at once (even on two replicas) give one template.
        if self.template_name and await self.window.claim_template(conversation):
            await self._post(wa_id, {"type": "template", "template": {
                "name": self.template_name, "language": {"code": self.template_language}}})
            return
        self.withheld += count
        logger.warning("whatsapp: %d message(s) withheld outside the 24-hour window%s", count,
                       "" if self.template_name else " (no WHATSAPP_TEMPLATE_NAME configured)")

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self._send_messages(recipient_id, whatsapp_messages(text, None))

    async def send_text_with_buttons(self, recipient_id: str, text: str, buttons: list[dict[str, Any]],
                                     **kwargs: Any) -> None:
        await self._send_messages(recipient_id, whatsapp_messages(text, _button_list(buttons)))

    async def send_quick_replies(self, recipient_id: str, text: str, quick_replies: list[dict[str, Any]],
                                 **kwargs: Any) -> None:
        await self._send_messages(recipient_id, whatsapp_messages(text, _button_list(quick_replies)))

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        if isinstance(image, str) and image.startswith("https://"):
            await self._send_messages(recipient_id, [{"type": "image", "image": {"link": image}}])

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any) -> None:
        """`{"whatsapp": <Cloud API message body with a "type">}`; `to` is always the conversation's."""
        message = json_message.get("whatsapp") if isinstance(json_message, dict) else None
        if isinstance(message, dict) and isinstance(message.get("type"), str):
            message = {k: v for k, v in message.items() if k not in ("to", "messaging_product", "recipient_type")}
            await self._send_messages(recipient_id, [message])
        else:
            logger.warning("whatsapp: custom response without a WhatsApp message, not sent")


def _button_list(buttons: Any) -> list[dict[str, str]]:
    return [{"title": b["title"], "payload": b["payload"]} for b in buttons or []
            if isinstance(b, dict) and isinstance(b.get("title"), str) and isinstance(b.get("payload"), str)]


class WhatsAppInput(meta.MetaWebhookInput):
    channel = CHANNEL

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> "WhatsAppInput":
        # The credentials entry stays empty: secrets are read from the environment.
        return cls(meta.env("WHATSAPP_VERIFY_TOKEN"), meta.env("WHATSAPP_APP_SECRET"),
                   meta.env("WHATSAPP_ACCESS_TOKEN"), meta.env("WHATSAPP_PHONE_NUMBER_ID"),
                   meta.env("WHATSAPP_TEMPLATE_NAME"), meta.env("WHATSAPP_TEMPLATE_LANGUAGE") or "fr")

    def __init__(self, verify_token: str | None, app_secret: str | None, access_token: str | None,
                 phone_number_id: str | None, template_name: str | None = None, template_language: str = "fr",
                 graph_base_url: str | None = None, window: ServiceWindow | None = None) -> None:
        self.phone_number_id = phone_number_id
        self.template_name, self.template_language = template_name, template_language
        super().__init__(verify_token, app_secret, access_token,
                         bool(verify_token and app_secret and access_token and phone_number_id), graph_base_url, window)

    def parse(self, payload: Any) -> list[meta.Inbound]:
        return list(parse_events(payload, self.phone_number_id))

    def sender_id(self, user: str) -> str:
        return sender_id(user)

    def new_output(self) -> "WhatsAppOutput":
        return WhatsAppOutput(self.graph, self.phone_number_id, self.window, self.template_name,
                              self.template_language)
