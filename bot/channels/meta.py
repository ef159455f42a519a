"""Webhook plumbing shared by Meta's platforms (Messenger and the WhatsApp Cloud API).

- GET handshake: `hub.mode=subscribe` and `hub.verify_token` (constant-time compare)
  -> `hub.challenge` echoed as text/plain; 403 otherwise.
- POST: X-Hub-Signature-256 checked on the RAW body before anything is parsed
  (403 when bad or missing, 503 when the channel has no secrets), then acknowledged at
  once: Meta retries a delivery that is not answered within seconds, so each message
  is processed in a background task.
- Meta delivers at least once: message ids already seen are dropped (bot/channels/dedup.py).
- Messages of one conversation are processed in order, different people concurrently
  (bot/channels/ordering.py).
- Meta's 24-hour window is tracked per conversation (bot/channels/service_window.py).
- These three, and the rate limit, are kept in Redis when REDIS_URL is set, so several
  Rasa replicas share them (bot/channels/shared_store.py); otherwise in memory.
- Replies go out through a small async Graph API client (aiohttp, never a blocking
  client in the event loop); failures are logged by status, never with the content.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import weakref
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Iterator

import aiohttp
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import content
from bot.channels.dedup import Deduplicator, deduplicator, event_key, too_old
from bot.channels.ordering import ConversationWorkers
from bot.channels.rate_limit import RateLimits
from bot.channels.service_window import ServiceWindow, service_window
from bot.channels.signatures import META_HEADER, meta_signature_valid
from bot.channels.turn import run_turn
from bot.privacy import pseudonyms
from bot.privacy.crypto import same_secret

logger = logging.getLogger(__name__)

GRAPH_URL_ENV = "META_GRAPH_URL"
DEFAULT_GRAPH_URL = "https://graph.facebook.com/v21.0"
MAX_BODY_BYTES = 1_000_000  # a Meta webhook batch is a few kB
_CHALLENGE = re.compile(r"^[A-Za-z0-9_.\-]{1,256}$")


def graph_url() -> str:
    return (os.environ.get(GRAPH_URL_ENV) or DEFAULT_GRAPH_URL).rstrip("/")


def env(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or None


def error(status: int, code: str, message: str) -> HTTPResponse:
    return response.json({"error": {"code": code, "message": message}}, status=status)


def dicts(value: Any) -> Iterator[dict[str, Any]]:
    """The dict items of a JSON list: anything else in a payload is skipped, never a crash."""
    if isinstance(value, list):
        yield from (item for item in value if isinstance(item, dict))


def field(value: Any, *keys: str) -> Any:
    """value[k1][k2]… or None when any level is missing or not an object."""
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


@dataclass(frozen=True)
class Inbound:
    """One thing a person sent, as read from a webhook payload."""

    user: str  # the platform's id for the person (PSID, wa_id)
    message_id: str | None
    text: str | None  # None: something we cannot read (image, audio, location…)
    from_button: bool = False
    timestamp: float | None = None  # seconds since the epoch, when the platform gives it


# ---- Handshake and signature ---------------------------------------------------------


def handshake(args: dict[str, str | None], verify_token: str | None) -> HTTPResponse:
    """Meta's subscription check: echo the challenge only for our own verify token."""
    mode, token, challenge = args.get("hub.mode"), args.get("hub.verify_token"), args.get("hub.challenge")
    if not verify_token:
        return error(503, "channel_not_configured", content.CHANNEL_NOT_CONFIGURED)
    if mode != "subscribe" or not token or not same_secret(token, verify_token):
        logger.warning("Meta webhook: subscription refused (mode or verify token)")
        return error(403, "verification_failed", content.META_VERIFY_REFUSED)
    if not challenge or not _CHALLENGE.match(challenge):
        return error(400, "bad_challenge", content.META_BAD_CHALLENGE)
    return response.text(challenge, headers={"X-Content-Type-Options": "nosniff"})


def query_args(request: Request) -> dict[str, str | None]:
    return {key: request.args.get(key) for key in ("hub.mode", "hub.verify_token", "hub.challenge")}


def signed_payload(raw: bytes | None, header: str | None, app_secret: str | None,
                   configured: bool = True) -> tuple[dict[str, Any] | None, HTTPResponse | None]:
    """(payload, None) for a correctly signed JSON object, else (None, error response)."""
    if not configured or not app_secret:
        return None, error(503, "channel_not_configured", content.CHANNEL_NOT_CONFIGURED)
    raw = raw or b""
    if len(raw) > MAX_BODY_BYTES:
        return None, error(413, "payload_too_large", content.WEBHOOK_TOO_LARGE)
    if not header:
        logger.warning("Meta webhook: request refused (no signature)")
        return None, error(403, "missing_signature", content.META_SIGNATURE_MISSING)
    if not meta_signature_valid(app_secret, raw, header):
        logger.warning("Meta webhook: request refused (bad signature)")
        return None, error(403, "bad_signature", content.META_SIGNATURE_INVALID)
    try:
        payload = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None, error(400, "bad_json", content.WEBHOOK_BAD_JSON)
    if not isinstance(payload, dict):
        return None, error(400, "bad_json", content.WEBHOOK_BAD_JSON)
    return payload, None


# ---- Graph API client ------------------------------------------------------------------


# One ClientSession per event loop (in production: Sanic's one loop), created on first use.
_sessions: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aiohttp.ClientSession]" = weakref.WeakKeyDictionary()


def _session() -> aiohttp.ClientSession:
    loop = asyncio.get_running_loop()
    session = _sessions.get(loop)
    if session is None or session.closed:
        session = _sessions[loop] = aiohttp.ClientSession()
    return session


async def close_sessions() -> None:
    session = _sessions.pop(asyncio.get_running_loop(), None)
    if session is not None and not session.closed:
        await session.close()


class GraphClient:
    """POSTs JSON to the Graph API with a bearer token (in a header, never in a URL that
    could be logged); one retry on 429, 5xx, a timeout or a network error."""

    def __init__(self, channel: str, token: str | None, base_url: str | None = None,
                 timeout: float = 10.0, retry_delay: float = 0.5) -> None:
        self.channel, self.token = channel, token
        self.base_url = (base_url or graph_url()).rstrip("/")
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.retry_delay = retry_delay
        self.failures = 0

    async def post(self, path: str, payload: dict[str, Any]) -> bool:
        """True when the platform accepted the message. Never raises: a failed send is
        logged (status and Meta's error code only) and the conversation goes on."""
        if not self.token:
            logger.error("%s: no access token configured, message not sent", self.channel)
            self.failures += 1
            return False
        url = f"{self.base_url}/{path.lstrip('/')}"
        headers = {"Authorization": f"Bearer {self.token}"}
        for attempt in (1, 2):
            try:
                async with _session().post(url, json=payload, headers=headers, timeout=self.timeout) as reply:
                    if reply.status < 300:
                        return True
                    # The body may echo the message: log the status and Meta's error code only.
                    code = await _error_code(reply)
                    logger.error("%s: Graph API answered %s (code %s), attempt %d",
                                 self.channel, reply.status, code, attempt)
                    if reply.status != 429 and reply.status < 500:
                        break
            except asyncio.TimeoutError:
                logger.error("%s: Graph API timed out, attempt %d", self.channel, attempt)
            except aiohttp.ClientError as failure:
                logger.error("%s: Graph API unreachable (%s), attempt %d", self.channel, type(failure).__name__,
                             attempt)
            if attempt == 1:
                await asyncio.sleep(self.retry_delay)
        self.failures += 1
        return False


async def _error_code(reply: aiohttp.ClientResponse) -> Any:
    try:
        body = await reply.json(content_type=None)
    except (ValueError, aiohttp.ClientError):
        return None
    code = field(body, "error", "code")
    return code if isinstance(code, (int, str)) else None


class MetaWebhookInput(InputChannel):
    """The webhook both Meta platforms share; a subclass says how to read its payload,
    how to build its output channel and how to name the conversation."""

    channel = ""  # the Rasa channel name and URL prefix, set by the subclass

    @classmethod
    def name(cls) -> str:
        return cls.channel

    def __init__(self, verify_token: str | None, app_secret: str | None, access_token: str | None,
                 configured: bool, graph_base_url: str | None, window: ServiceWindow | None) -> None:
        self.verify_token, self.app_secret = verify_token, app_secret
        # Without the pseudonym key, refuse rather than name conversations by phone number or PSID.
        self.configured = configured and pseudonyms.configured()
        if not configured:
            logger.warning("%s: secrets not set, the webhook refuses every request", self.channel)
        elif not self.configured:
            logger.warning("%s: %s missing or invalid, the webhook refuses every request", self.channel,
                           pseudonyms.KEY_VARIABLE)
        self.graph = GraphClient(self.channel, access_token, graph_base_url)
        self.window = window or service_window()
        self.seen: Deduplicator = deduplicator(self.channel)
        self.workers = ConversationWorkers(self.channel)
        # Meta is the caller (one IP for everybody): only the per-person limit applies,
        # and it is enforced here, never by answering 429 to Meta (it would retry).
        self.limits = RateLimits.from_env()

    def parse(self, payload: Any) -> list[Inbound]:
        raise NotImplementedError

    def sender_id(self, user: str) -> str:
        raise NotImplementedError

    def new_output(self) -> OutputChannel:
        raise NotImplementedError

    async def before_turn(self, output: OutputChannel, sender: str) -> None:
        """E.g. a typing indicator; nothing by default."""

    def get_output_channel(self) -> OutputChannel | None:
        """For Rasa's trigger_intent / external events: the 24-hour window applies there too."""
        return self.new_output() if self.configured else None

    async def rate_limited(self, inbound: Inbound) -> None:
        await self.new_output().send_text_message(self.sender_id(inbound.user), content.RATE_LIMITED)

    async def accept(self, on_new_message: Callable[[UserMessage], Awaitable[Any]], inbound: Inbound) -> None:
        """Queues the turn, or, over the per-person rate limit, the French notice once
        (the excess is dropped). Everything is keyed by the conversation id (a pseudonym)."""
        conversation = self.sender_id(inbound.user)
        decision = await self.limits.check(conversation)
        if decision.allowed:
            await self.workers.submit(conversation, lambda: self.process(on_new_message, inbound))
        elif decision.first_refusal:
            logger.warning("%s: one person over the rate limit; told once, the excess is dropped", self.channel)
            await self.workers.submit(conversation, lambda: self.rate_limited(inbound))

    async def process(self, on_new_message: Callable[[UserMessage], Awaitable[Any]], inbound: Inbound) -> None:
        output, sender = self.new_output(), self.sender_id(inbound.user)
        await self.before_turn(output, sender)
        if inbound.text is None:
            await output.send_text_message(sender, content.CHANNEL_TEXT_ONLY)
            return
        await run_turn(on_new_message, output, sender, inbound.text, channel=self.channel,
                       from_button=inbound.from_button)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint(f"{self.channel}_{id(self)}", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok" if self.configured else "not_configured"})

        @webhook.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            return handshake(query_args(request), self.verify_token if self.configured else None)

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            payload, refused = signed_payload(request.body, request.headers.get(META_HEADER), self.app_secret,
                                              self.configured)
            if refused is not None:
                return refused
            for inbound in self.parse(payload):
                if too_old(inbound.timestamp):
                    logger.warning("%s: an event older than the bound was dropped (a late retry or a replay)",
                                   self.channel)
                    continue
                key = event_key(inbound.message_id, inbound.user, inbound.timestamp, inbound.text, inbound.from_button)
                if await self.seen.first_time(key):
                    await self.window.inbound(self.sender_id(inbound.user), inbound.timestamp)
                    await self.accept(on_new_message, inbound)
            # Acknowledged before the turn runs (each message has its place in line): Meta retries slow answers.
            return response.json({"status": "received"})

        @webhook.listener("after_server_stop")
        async def close(*_: Any) -> None:
            await close_sessions()

        return webhook
