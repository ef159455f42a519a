"""The REST channel (`/webhooks/rest/webhook`) with the project's input guard.

Same request and response format as Rasa's built-in `rest` channel, but:
empty and huge messages are answered politely, typed `/intent{...}` is read as
text, and a crash inside the assistant gives the person a French apology instead
of an empty list, without logging what they wrote. The sender must be a plain
identifier (no control or unencodable character), the body is capped (413) and
the body's `metadata` is never passed on nor stored.
"""
from __future__ import annotations

import json

from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import content
from bot.channels import body_limit, conversation_ids
from bot.channels.rate_limit import RateLimits, client_ip
from bot.channels.turn import run_turn

MAX_SENDER_CHARS = conversation_ids.MAX_CHARS
# A message is read up to 2,000 characters (bot/channels/text_guard.py); 64 kB leaves room for a long
# paste that is then cut, with the person told, and for JSON escapes (\ud83d\ude42 per emoji).
MAX_BODY_BYTES = 64 * 1024


class GuardedRestInput(RestInput):
    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint(f"guarded_rest_{id(self)}", __name__)
        limits = RateLimits.from_env()
        body_limit.install(webhook)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if len(request.body or b"") > MAX_BODY_BYTES:
                return response.json({"error": content.REST_TOO_LARGE}, status=413)
            try:
                body = json.loads(request.body or b"null")
            except (ValueError, RecursionError):  # Sanic would answer its own English 400
                return response.json({"error": content.WEBHOOK_BAD_JSON}, status=400)
            body = body if isinstance(body, dict) else None
            sender = body.get("sender") if body else None
            if not isinstance(sender, str) or not sender.strip() or len(sender) > MAX_SENDER_CHARS:
                return response.json({"error": content.REST_SENDER_REQUIRED}, status=400)
            if not conversation_ids.valid(sender):  # nothing stored: the turn never starts
                return response.json({"error": content.REST_SENDER_INVALID}, status=400)
            # The caller picks its sender: it must never name a conversation another
            # channel derived from a verified identity.
            if sender.lower().startswith(conversation_ids.VERIFIED):
                return response.json({"error": content.REST_SENDER_RESERVED}, status=403)
            decision = await limits.check(sender, client_ip(request))
            if not decision.allowed:
                return response.json([{"recipient_id": sender, "text": content.RATE_LIMITED}], status=429,
                                     headers={"Retry-After": decision.retry_after_header})
            raw_text = body.get("message")
            # The body's `metadata` is ignored: the assistant uses none, and Rasa would store
            # whatever a client puts there with every message.
            collector = CollectingOutputChannel()
            await run_turn(on_new_message, collector, sender, raw_text if isinstance(raw_text, str) else None,
                           channel=self.name())
            return response.json(collector.messages)

        return webhook
