"""The mobile app's help tab (`/webhooks/app/`), documented in bot/channels/app-openapi.yaml.

The app sends a bearer JWT minted by its own back end. The token's `sub` alone
decides the conversation (`app-<sub>`): nothing in the request body can name another
person's conversation, so one user can never read or erase another's.

Secrets come from the environment:
- APP_JWT_SECRET (HS256) or APP_JWT_PUBLIC_KEY (PEM, RS256 or ES256 by key type; wins
  when both are set);
- APP_JWT_ISSUER / APP_JWT_AUDIENCE, checked when set.
Without a secret or key the channel still loads and answers 503 channel_not_configured.
"""
from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Awaitable, Callable

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels import conversation_ids
from bot import content
from bot.channels.conversations import conversation_history, or_none
from bot.privacy.erasure import erase_person
from bot.channels.rate_limit import RateLimits, client_ip
from bot.channels.turn import run_turn

logger = logging.getLogger(__name__)

SPEC_PATH = Path(__file__).with_name("app-openapi.yaml")
CONVERSATION_PREFIX = conversation_ids.APP
MAX_SUBJECT_CHARS = 128
MAX_TOKEN_CHARS = 8192
# A message is cut at 2000 characters by the input guard (with a notice); a body far
# beyond that is not a person typing.
MAX_BODY_BYTES = 64 * 1024
CLOCK_SKEW_SECONDS = 30
REALM = 'Bearer realm="mediation-accueil"'


class TokenRejected(Exception):
    """The bearer token cannot be trusted (the reason is logged by class name only)."""


@dataclass(frozen=True)
class JwtSettings:
    secret: str | None = None
    public_key: str | None = None  # PEM
    issuer: str | None = None
    audience: str | None = None

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "JwtSettings":
        environ = os.environ if environ is None else environ
        pem = environ.get("APP_JWT_PUBLIC_KEY") or None
        if pem:
            # .env files and container settings often carry the PEM on one line.
            pem = pem.replace("\\n", "\n")
        return cls(secret=environ.get("APP_JWT_SECRET") or None, public_key=pem,
                   issuer=environ.get("APP_JWT_ISSUER") or None, audience=environ.get("APP_JWT_AUDIENCE") or None)


class TokenVerifier:
    """Checks a bearer JWT with the algorithm chosen by the server, never by the token."""

    def __init__(self, settings: JwtSettings) -> None:
        self.settings = settings
        self.key: Any = None
        self.algorithm: str | None = None
        if settings.public_key:
            try:
                key = load_pem_public_key(settings.public_key.encode())
            except (ValueError, TypeError):
                logger.error("app channel: APP_JWT_PUBLIC_KEY is not a PEM public key; channel disabled")
                return
            if isinstance(key, rsa.RSAPublicKey):
                self.key, self.algorithm = key, "RS256"
            elif isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
                self.key, self.algorithm = key, "ES256"
            else:
                logger.error("app channel: APP_JWT_PUBLIC_KEY must be RSA or EC P-256; channel disabled")
        elif settings.secret:
            self.key, self.algorithm = settings.secret, "HS256"

    @property
    def configured(self) -> bool:
        return self.algorithm is not None

    def subject(self, token: str | None) -> str:
        """The token's `sub`, or TokenRejected."""
        if not self.configured:
            raise TokenRejected("not configured")
        if not token or len(token) > MAX_TOKEN_CHARS:
            raise TokenRejected("missing or oversized token")
        try:
            claims = jwt.decode(
                token,
                self.key,
                algorithms=[self.algorithm],
                issuer=self.settings.issuer,
                audience=self.settings.audience,
                leeway=CLOCK_SKEW_SECONDS,
                options={"require": ["exp", "sub"], "verify_aud": self.settings.audience is not None},
            )
        except jwt.PyJWTError as error:
            raise TokenRejected(type(error).__name__) from None
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject.strip() or len(subject) > MAX_SUBJECT_CHARS \
                or not subject.isprintable():
            raise TokenRejected("bad subject")
        return subject


def bearer_token(request: Request) -> str | None:
    scheme, _, token = (request.headers.get("Authorization") or "").strip().partition(" ")
    return (token.strip() or None) if scheme.lower() == "bearer" else None


def error(code: str, message: str, status: int, headers: dict[str, str] | None = None) -> HTTPResponse:
    return response.json({"error": {"code": code, "message": message}}, status=status, headers=headers)


def app_messages(collected: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The assistant's replies as the app shows them: text and buttons (payload is what
    the app sends back when the button is tapped)."""
    messages = []
    for item in collected:
        message: dict[str, Any] = {"text": item.get("text") or ""}
        buttons = [{"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))}
                   for b in item.get("buttons") or [] if isinstance(b, dict)]
        if buttons:
            message["buttons"] = buttons
        if item.get("image"):
            message["image"] = item["image"]
        if message["text"] or len(message) > 1:
            messages.append(message)
    return messages


def parse_message_body(raw: bytes) -> tuple[str, bool] | None:
    """(text, from_button) from {"text": ...} or {"payload": ...}; None when malformed."""
    try:
        body = json.loads(raw or b"")
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(body, dict):
        return None
    text, payload = body.get("text"), body.get("payload")
    if (text is None) == (payload is None):
        return None
    value = text if payload is None else payload
    if not isinstance(value, str):
        return None
    return value, payload is not None


class AppInput(InputChannel):
    """The mobile app's help tab over HTTP with bearer JWT authentication."""

    @classmethod
    def name(cls) -> str:
        return "app"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        # Secrets stay out of credentials.yml: they are read from the environment.
        return cls(JwtSettings.from_env())

    def __init__(self, settings: JwtSettings | None = None) -> None:
        self.verifier = TokenVerifier(settings or JwtSettings())
        self.limits = RateLimits.from_env()
        if not self.verifier.configured:
            logger.warning("app channel: no APP_JWT_SECRET or APP_JWT_PUBLIC_KEY; its webhooks answer 503")

    def _sender(self, request: Request) -> str | HTTPResponse:
        """The conversation id from the token, or the error response to send."""
        if not self.verifier.configured:
            return error("channel_not_configured", content.APP_NOT_CONFIGURED, 503)
        token = bearer_token(request)
        try:
            return CONVERSATION_PREFIX + self.verifier.subject(token)
        except TokenRejected as rejected:
            logger.info("app channel: token refused (%s)", rejected)
            header = REALM if token is None else f'{REALM}, error="invalid_token"'
            return error("unauthorized", content.APP_UNAUTHORIZED, 401, {"WWW-Authenticate": header})

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint(f"app_{id(self)}", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok" if self.verifier.configured else "not_configured"})

        @webhook.route("/openapi.yaml", methods=["GET"])
        async def openapi(_: Request) -> HTTPResponse:
            return response.text(SPEC_PATH.read_text(encoding="utf-8"), content_type="application/yaml; charset=utf-8")

        @webhook.route("/messages", methods=["POST"])
        async def send_message(request: Request) -> HTTPResponse:
            sender = self._sender(request)
            if isinstance(sender, HTTPResponse):
                return sender
            if len(request.body or b"") > MAX_BODY_BYTES:
                return error("payload_too_large", content.APP_TOO_LARGE, 413)
            parsed = parse_message_body(request.body)
            if parsed is None:
                return error("bad_request", content.APP_BAD_REQUEST, 400)
            text, from_button = parsed
            decision = await self.limits.check(sender, client_ip(request))
            if not decision.allowed:
                return error("rate_limited", content.RATE_LIMITED, 429, {"Retry-After": decision.retry_after_header})
            collector = CollectingOutputChannel()
            await run_turn(on_new_message, collector, sender, text, channel=self.name(), from_button=from_button)
            return response.json({"conversation_id": sender, "messages": app_messages(collector.messages)})

        @webhook.route("/conversation", methods=["GET"])
        async def history(request: Request) -> HTTPResponse:
            sender = self._sender(request)
            if isinstance(sender, HTTPResponse):
                return sender
            messages = await or_none(conversation_history(request.app.ctx.agent, sender), "app history")
            if messages is None:
                return error("temporarily_unavailable", content.CONVERSATION_UNAVAILABLE, 503)
            return response.json({"conversation_id": sender, "messages": messages})

        @webhook.route("/conversation", methods=["DELETE"])
        async def erase(request: Request) -> HTTPResponse:
            sender = self._sender(request)
            if isinstance(sender, HTTPResponse):
                return sender
            report = await or_none(erase_person(request.app.ctx.agent, sender), "app erasure")
            if report is None:
                return error("temporarily_unavailable", content.CONVERSATION_UNAVAILABLE, 503)
            return response.json(report.as_json())

        return webhook
