"""Twilio (SMS and WhatsApp through Twilio) at `/webhooks/twilio/webhook`, signature-checked.

Replaces Rasa's built-in `twilio` channel (same name and URL), which accepts unsigned
requests, calls Twilio's blocking client inside the event loop, answers HTTP 500 to a
photo or a position (no Body) and turns a position into a `/locationData{...}` intent.

Here:
- X-Twilio-Signature is checked against TWILIO_WEBHOOK_URL (the URL set in Twilio's
  console; needed behind a proxy that rewrites it) or the URL rebuilt from the request
  (X-Forwarded-Proto / X-Forwarded-Host honoured). Unsigned: 403, nothing processed.
- Twilio gets an empty TwiML answer at once; the turn runs in the background and the
  replies go out with aiohttp to `{TWILIO_API_URL}/2010-04-01/Accounts/{sid}/Messages.json`.
- Twilio texts have no buttons: ours are listed, numbered, under the text, and the next
  message of that person may be the number or the label (read as that button's payload;
  bot/channels/choices.py remembers them per conversation id).
- One person's messages are processed in arrival order, different people concurrently
  (bot/channels/ordering.py). Choices, order and rate limit are kept in Redis when
  REDIS_URL is set, so several Rasa replicas share them; otherwise in memory.
- A message without text (photo, voice, position) gets a polite "text only" answer.
- Each MessageSid is processed once, across replicas (bot/channels/dedup.py): a retry or a
  replayed signed request is acknowledged and dropped.

Environment: TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_NUMBER (`+33…` or
`whatsapp:+33…`; the number the person wrote to when unset), TWILIO_API_URL (default
https://api.twilio.com), TWILIO_WEBHOOK_URL (optional), and CONVERSATION_ID_KEY:
conversation ids are pseudonyms of the sender's address (bot/privacy/pseudonyms.py).
"""
from __future__ import annotations

import asyncio
import logging
import os
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Mapping

import aiohttp
from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels import conversation_ids
from bot import content
from bot.channels.choices import ChoiceMemory, choice_memory
from bot.channels.dedup import TWILIO_TTL_SECONDS, Deduplicator, deduplicator
from bot.channels.ordering import ConversationWorkers
from bot.channels.rate_limit import RateLimits
from bot.channels.rendering import split_text
from bot.channels.signatures import TWILIO_HEADER, twilio_signature_valid
from bot.channels.turn import CountingOutputChannel, run_turn
from bot.privacy import pseudonyms

logger = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.twilio.com"
TWILIO_TEXT = 1600  # Twilio's limit for one SMS / WhatsApp body
SENDER_PREFIX = conversation_ids.TWILIO
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
SEND_ATTEMPTS = 3
SEND_TIMEOUT_SECONDS = 15


@dataclass(frozen=True)
class TwilioSettings:
    account_sid: str | None = None
    auth_token: str | None = None
    number: str | None = None
    api_url: str = DEFAULT_API_URL
    webhook_url: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "TwilioSettings":
        environ = os.environ if environ is None else environ
        return cls(
            account_sid=environ.get("TWILIO_ACCOUNT_SID") or None,
            auth_token=environ.get("TWILIO_AUTH_TOKEN") or None,
            number=environ.get("TWILIO_NUMBER") or None,
            api_url=(environ.get("TWILIO_API_URL") or DEFAULT_API_URL).rstrip("/"),
            webhook_url=environ.get("TWILIO_WEBHOOK_URL") or None,
        )

    @property
    def configured(self) -> bool:
        return bool(self.account_sid and self.auth_token)


def _first(value: str | None) -> str | None:
    """First entry of a proxy header that may list several hops ("https, http")."""
    return (value.split(",")[0].strip() or None) if value else None


def signed_url(request_scheme: str, headers: Mapping[str, str], path: str, query: str,
               configured: str | None = None) -> str:
    """The URL Twilio signed: the configured public URL, else the one the request came to."""
    if configured:
        return configured
    scheme = _first(headers.get("X-Forwarded-Proto")) or request_scheme
    host = _first(headers.get("X-Forwarded-Host")) or headers.get("Host", "")
    return f"{scheme}://{host}{path}" + (f"?{query}" if query else "")


def form_params(form: Mapping[str, Any]) -> dict[str, str]:
    """Sanic's form (lists of values) as Twilio's validator expects it (one value each)."""
    return {key: values[0] if isinstance(values, list) else values for key, values in form.items()}


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c)).replace("’", "'")
    return " ".join(re.sub(r"[^\w']+", " ", text).split())


_NUMBER = re.compile(r"^\s*(?:n[°o]\s*)?(\d{1,2})\s*[.)]?\s*$", re.IGNORECASE)


def choose(buttons: list[dict[str, str]], text: str) -> str | None:
    """The payload of the button this answer picks ("2", "2.", the label, "2. label"), else None."""
    if not buttons or not text:
        return None
    number = _NUMBER.match(text)
    if number:
        index = int(number.group(1))
        return buttons[index - 1]["payload"] if 1 <= index <= len(buttons) else None
    answer = _normalise(text)
    for index, button in enumerate(buttons, start=1):
        title = _normalise(button["title"])
        if answer and answer in (title, f"{index} {title}"):
            return button["payload"]
    return None


def numbered_text(text: str, buttons: list[dict[str, str]]) -> str:
    lines = [content.TWILIO_CHOICE_LINE.format(number=i, title=b["title"]) for i, b in enumerate(buttons, start=1)]
    return "\n".join([(text or "").strip(), "", *lines, content.TWILIO_CHOICES_HINT]).strip()


def conversation_id(sender: str) -> str:
    """A pseudonym of Twilio's `From` (a phone number): never stored or logged in clear."""
    return pseudonyms.pseudonym(SENDER_PREFIX, sender)


class TwilioOutput(CountingOutputChannel):
    """Sends a turn's replies to one person through Twilio's Messages API (async)."""

    @classmethod
    def name(cls) -> str:
        return "twilio"

    def __init__(self, settings: TwilioSettings, session: aiohttp.ClientSession, to: str, from_: str,
                 memory: ChoiceMemory, sender_id: str) -> None:
        super().__init__()
        self.settings, self.session, self.to, self.from_ = settings, session, to, from_
        self.memory, self.sender_id = memory, sender_id

    async def _post(self, body: str) -> None:
        url = f"{self.settings.api_url}/2010-04-01/Accounts/{self.settings.account_sid}/Messages.json"
        auth = aiohttp.BasicAuth(self.settings.account_sid or "", self.settings.auth_token or "")
        for attempt in range(1, SEND_ATTEMPTS + 1):
            try:
                async with self.session.post(url, data={"From": self.from_, "To": self.to, "Body": body},
                                             auth=auth) as reply:
                    if reply.status < 300:
                        return
                    retry = reply.status == 429 or reply.status >= 500
                    logger.error("twilio: send failed (HTTP %d, attempt %d)", reply.status, attempt)
            except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                retry = True
                logger.error("twilio: send failed (%s, attempt %d)", type(error).__name__, attempt)
            if not retry or attempt == SEND_ATTEMPTS:
                return
            await asyncio.sleep(0.5 * attempt)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        for part in split_text(text, TWILIO_TEXT):
            await self._post(part)

    async def send_text_with_buttons(self, recipient_id: str, text: str, buttons: list[dict[str, Any]],
                                     **kwargs: Any) -> None:
        offered = [{"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))}
                   for b in buttons if isinstance(b, dict) and b.get("payload")]
        if offered:
            await self.memory.remember(self.sender_id, offered)
        await self.send_text_message(recipient_id, numbered_text(text, offered))

    async def send_quick_replies(self, recipient_id: str, text: str, quick_replies: list[dict[str, Any]],
                                 **kwargs: Any) -> None:
        await self.send_text_with_buttons(recipient_id, text, quick_replies, **kwargs)

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        await self.send_text_message(recipient_id, image)

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any) -> None:
        # Our responses carry no custom payloads; never send raw JSON to a person.
        logger.warning("twilio: custom payload not sent")


class SignedTwilioInput(InputChannel):
    """Twilio's messaging webhook with signature check and background processing."""

    @classmethod
    def name(cls) -> str:
        return "twilio"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        # Secrets stay out of credentials.yml: they are read from the environment.
        return cls(TwilioSettings.from_env())

    def __init__(self, settings: TwilioSettings | None = None) -> None:
        self.settings = settings or TwilioSettings()
        self.memory: ChoiceMemory = choice_memory()
        self.workers = ConversationWorkers("twilio")
        # Twilio retries, and a signed request can be sent again: each MessageSid once.
        self.seen: Deduplicator = deduplicator("twilio", TWILIO_TTL_SECONDS)
        self.limits = RateLimits.from_env()  # per person only: Twilio is the caller
        # Without the pseudonym key, refuse rather than name conversations by phone number.
        self.configured = self.settings.configured and pseudonyms.configured()
        if not self.settings.configured:
            logger.warning("twilio channel: TWILIO_ACCOUNT_SID or TWILIO_AUTH_TOKEN missing; its webhook answers 503")
        elif not self.configured:
            logger.warning("twilio channel: %s missing or invalid; its webhook answers 503", pseudonyms.KEY_VARIABLE)

    def reply_from(self, form: Mapping[str, str]) -> str:
        number = self.settings.number or form.get("To", "")
        if form.get("From", "").startswith("whatsapp:") and not number.startswith("whatsapp:"):
            number = f"whatsapp:{number}"
        return number

    async def incoming(self, form: Mapping[str, str], sender_id: str) -> tuple[str | None, bool, str | None]:
        """(text, from_button, notice) for one incoming message."""
        body = form.get("Body")
        has_media = form.get("NumMedia", "0") not in ("", "0")
        if body is None or (not body.strip() and (has_media or form.get("Latitude"))):
            # A photo, a voice note or a position: nothing we can read.
            return None, False, content.TWILIO_TEXT_ONLY
        if not form.get("From", "").startswith("whatsapp:"):
            body = body.replace("¡", "@")  # some SMS carriers turn @ into ¡
        payload = choose(await self.memory.take(sender_id), body)
        notice = content.TWILIO_MEDIA_IGNORED if has_media else None
        if payload is not None:
            return payload, True, notice
        return body, False, notice

    async def process(self, on_new_message: Callable[[UserMessage], Awaitable[Any]], form: dict[str, str],
                      rate_limited: bool = False) -> None:
        """One message's turn; with `rate_limited`, only the French notice (no turn). Run by
        `self.workers`, after the person's earlier messages."""
        sender = form["From"]
        sender_id = conversation_id(sender)
        try:
            timeout = aiohttp.ClientTimeout(total=SEND_TIMEOUT_SECONDS)
            async with aiohttp.ClientSession(timeout=timeout) as session:
                output = TwilioOutput(self.settings, session, sender, self.reply_from(form), self.memory, sender_id)
                if rate_limited:
                    await output.send_text_message(sender_id, content.RATE_LIMITED)
                    return
                text, from_button, notice = await self.incoming(form, sender_id)
                if notice:
                    await output.send_text_message(sender_id, notice)
                if text is not None:
                    metadata = {"twilio_message_sid": form.get("MessageSid")} if form.get("MessageSid") else None
                    await run_turn(on_new_message, output, sender_id, text, channel=self.name(),
                                   from_button=from_button, metadata=metadata)
        except Exception as error:  # noqa: BLE001 - a background task must not die with a trace
            logger.error("twilio: message processing failed (%s)", type(error).__name__)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint(f"signed_twilio_{id(self)}", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok" if self.configured else "not_configured"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self.configured:
                return response.json({"error": {"code": "channel_not_configured",
                                                "message": content.CHANNEL_NOT_CONFIGURED}}, status=503)
            form = form_params(request.form)
            url = signed_url(request.scheme, request.headers, request.path, request.query_string,
                             self.settings.webhook_url)
            if not twilio_signature_valid(self.settings.auth_token, url, form, request.headers.get(TWILIO_HEADER)):
                logger.warning("twilio: request refused (missing or bad signature)")
                return response.json({"error": {"code": "invalid_signature",
                                                "message": content.TWILIO_SIGNATURE_INVALID}}, status=403)
            if (form.get("MessageStatus") or form.get("SmsStatus") or "received") != "received":
                # A delivery status callback sent to this URL: nothing a person wrote.
                return response.text(EMPTY_TWIML, content_type="text/xml")
            message_sid = form.get("MessageSid") or form.get("SmsSid")
            if not form.get("From") or not message_sid:  # Twilio always sends both
                return response.json({"error": {"code": "bad_request", "message": content.TWILIO_BAD_REQUEST}},
                                     status=400)
            if not await self.seen.first_time(message_sid):
                logger.warning("twilio: a message already processed was dropped (a retry or a replay)")
                return response.text(EMPTY_TWIML, content_type="text/xml")
            # Twilio is the caller: over the per-person limit, the person is told once and
            # the excess dropped; Twilio itself always gets its 200 (a 429 would be retried).
            conversation = conversation_id(form["From"])
            decision = await self.limits.check(conversation)
            if not decision.allowed and not decision.first_refusal:
                return response.text(EMPTY_TWIML, content_type="text/xml")
            if not decision.allowed:
                logger.warning("twilio: one person over the rate limit; told once, the excess is dropped")
            # Twilio waits at most 15 s: take the message's place in line and answer now; the
            # turn runs in the background and its replies go out through the API.
            await self.workers.submit(conversation, lambda: self.process(on_new_message, form,
                                                                         rate_limited=not decision.allowed))
            return response.text(EMPTY_TWIML, content_type="text/xml")

        return webhook
