"""Facebook Messenger (`/webhooks/messenger/webhook`).

Rasa's `facebook` channel, fixed: the signature is checked in constant time on the raw
body (403 when bad or missing), the webhook answers at once and the turn runs in the
background, replies go out with aiohttp (never a blocking client in the event loop),
our buttons become a button template or quick replies within Messenger's limits, long
texts are split. Replies pushed through Rasa's HTTP API (trigger_intent, external
events) reach Messenger only within 24 hours of the person's last message (Messenger's
standard messaging window); outside it they are withheld and counted in the log.
Secrets come from the environment:
MESSENGER_VERIFY_TOKEN, MESSENGER_APP_SECRET, MESSENGER_PAGE_ACCESS_TOKEN
(and META_GRAPH_URL, default https://graph.facebook.com/v21.0), and CONVERSATION_ID_KEY:
conversation ids are pseudonyms of the PSID (bot/privacy/pseudonyms.py).
"""
from __future__ import annotations

import logging
import re
from typing import Any

from rasa.core.channels.channel import OutputChannel

from bot.channels import conversation_ids
from bot.channels import meta
from bot.channels.rendering import messenger_messages
from bot.channels.service_window import ServiceWindow
from bot.channels.turn import CountingOutputChannel
from bot.privacy import pseudonyms

logger = logging.getLogger(__name__)

CHANNEL = "messenger"
SENDER_PREFIX = conversation_ids.MESSENGER
_PSID = re.compile(r"^[0-9]{1,32}$")


def sender_id(psid: str) -> str:
    """The conversation id: a pseudonym, so the PSID is never stored or logged in clear."""
    return pseudonyms.pseudonym(SENDER_PREFIX, psid)


def psid_of(recipient_id: str) -> str | None:
    psid = pseudonyms.platform_id(SENDER_PREFIX, recipient_id)
    return psid if psid and _PSID.match(psid) else None


def _button_list(buttons: Any) -> list[dict[str, str]]:
    return [{"title": b["title"], "payload": b["payload"]} for b in buttons or []
            if isinstance(b, dict) and isinstance(b.get("title"), str) and isinstance(b.get("payload"), str)]


def parse_events(payload: dict[str, Any]) -> list[meta.Inbound]:
    """What people sent, from a Messenger webhook payload (`entry[].messaging[]`).

    Typed text: from_button False; a quick reply or a postback: from_button True (its
    payload is one of ours); an attachment without text: text None. Echoes of our own
    messages, delivery and read receipts, reactions… are not messages: skipped.
    """
    if payload.get("object") != "page":
        return []
    found = []
    for entry in meta.dicts(payload.get("entry")):
        for event in meta.dicts(entry.get("messaging")):
            psid = meta.field(event, "sender", "id")
            if not isinstance(psid, str) or not _PSID.match(psid):
                continue
            stamp = event.get("timestamp")
            stamp = stamp / 1000 if isinstance(stamp, (int, float)) else None
            message, postback = event.get("message"), event.get("postback")
            if isinstance(message, dict):
                if message.get("is_echo"):
                    continue
                mid = message.get("mid") if isinstance(message.get("mid"), str) else None
                quick = meta.field(message, "quick_reply", "payload")
                if isinstance(quick, str):
                    found.append(meta.Inbound(psid, mid, quick, True, stamp))
                elif isinstance(message.get("text"), str):
                    found.append(meta.Inbound(psid, mid, message["text"], False, stamp))
                elif message.get("attachments") or message.get("sticker_id"):
                    found.append(meta.Inbound(psid, mid, None, False, stamp))
            elif isinstance(postback, dict) and isinstance(postback.get("payload"), str):
                mid = postback.get("mid") if isinstance(postback.get("mid"), str) else None
                found.append(meta.Inbound(psid, mid, postback["payload"], True, stamp))
    return found


class MessengerOutput(CountingOutputChannel):
    """Sends the assistant's messages with the Send API (`POST {GRAPH}/me/messages`).

    With a `window`, messages to someone who has not written for 24 hours are withheld
    (counted and logged, never sent): Messenger's standard messaging window; outside it
    only tagged messages for narrow uses are allowed, which this assistant does not send.
    """

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    def __init__(self, graph: meta.GraphClient, window: ServiceWindow | None = None) -> None:
        super().__init__()
        self.graph, self.window = graph, window
        self.withheld = 0

    async def _post(self, recipient_id: str, body: dict[str, Any]) -> bool:
        psid = psid_of(recipient_id)
        if psid is None:
            logger.error("messenger: recipient is not a Messenger conversation, message not sent")
            return False
        return await self.graph.post("me/messages", {"recipient": {"id": psid}, **body})

    async def _send_messages(self, recipient_id: str, messages: list[dict[str, Any]]) -> None:
        psid = psid_of(recipient_id)
        if psid and self.window is not None and not await self.window.is_open(recipient_id):
            self.withheld += len(messages)
            logger.warning("messenger: %d message(s) withheld outside the 24-hour window", len(messages))
            return
        for message in messages:
            if not await self._post(recipient_id, {"messaging_type": "RESPONSE", "message": message}):
                break  # keep the order: never send the rest of a message whose start was lost

    async def send_typing(self, recipient_id: str) -> None:
        await self._post(recipient_id, {"sender_action": "typing_on"})

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self._send_messages(recipient_id, messenger_messages(text, None))

    async def send_text_with_buttons(self, recipient_id: str, text: str, buttons: list[dict[str, Any]],
                                     **kwargs: Any) -> None:
        await self._send_messages(recipient_id, messenger_messages(text, _button_list(buttons)))

    async def send_quick_replies(self, recipient_id: str, text: str, quick_replies: list[dict[str, Any]],
                                 **kwargs: Any) -> None:
        await self._send_messages(recipient_id, messenger_messages(text, _button_list(quick_replies)))

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        if isinstance(image, str) and image.startswith("https://"):
            await self._send_messages(recipient_id, [{"attachment": {"type": "image", "payload": {"url": image}}}])

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any) -> None:
        """A custom response for Messenger: `{"messenger": <Send API message>}`, or the message
        object itself. The recipient is always the conversation's, never one from the JSON."""
        message = json_message.get("messenger", json_message) if isinstance(json_message, dict) else None
        if isinstance(message, dict) and ("text" in message or "attachment" in message):
            await self._send_messages(recipient_id, [message])
        else:
            logger.warning("messenger: custom response without a Messenger message, not sent")


class MessengerInput(meta.MetaWebhookInput):
    channel = CHANNEL

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> "MessengerInput":
        # The credentials entry stays empty: secrets are read from the environment.
        return cls(meta.env("MESSENGER_VERIFY_TOKEN"), meta.env("MESSENGER_APP_SECRET"),
                   meta.env("MESSENGER_PAGE_ACCESS_TOKEN"))

    def __init__(self, verify_token: str | None, app_secret: str | None, page_access_token: str | None,
                 graph_base_url: str | None = None, window: ServiceWindow | None = None) -> None:
        super().__init__(verify_token, app_secret, page_access_token,
                         bool(verify_token and app_secret and page_access_token), graph_base_url, window)

    def parse(self, payload: Any) -> list[meta.Inbound]:
        return list(parse_events(payload))

    def sender_id(self, user: str) -> str:
        return sender_id(user)

    def new_output(self) -> "MessengerOutput":
        # Pushed messages (trigger_intent) are sent only within 24 hours of the person's last message.
        return MessengerOutput(self.graph, self.window)

    async def before_turn(self, output: OutputChannel, sender: str) -> None:
        await output.send_typing(sender)
