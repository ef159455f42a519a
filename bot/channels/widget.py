"""The website chat widget's channel: socket.io for the conversation, a few HTTP routes
for the session token, the history and erasure, and the demo page.

Why not Rasa's `socketio` channel (see docs/channels.md):
- it lets the browser choose its conversation id (`session_request`), so anyone who
  knows an id could read or write that conversation; here the server mints the id
  inside a signed token and reads it from the token only;
- its `session_request` calls `enter_room` without `await`, which drops every reply
  with python-socketio ≥ 5.10 (RasaHQ/rasa#13027); here the call is awaited when it
  is a coroutine, whatever the installed version;
- it accepts a websocket from any Origin (`cors_allowed_origins=[]`); here only the
  page's own origin, or the origins listed in WIDGET_ALLOWED_ORIGINS, may connect.
"""
from __future__ import annotations

import inspect
import logging
import os
import secrets
from datetime import datetime, timezone
from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.channels.socketio import SocketBlueprint
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer
from socketio.exceptions import ConnectionRefusedError

from bot import content
from bot.channels import body_limit, rendering, socket_bus
from bot.channels.conversations import conversation_history, or_none
from bot.privacy.erasure import erase_person
from bot.channels.rate_limit import RateLimits, client_ip
from bot.channels.session_tokens import SessionTokens
from bot.channels.turn import CountingOutputChannel, run_turn
from bot.paths import ROOT

logger = logging.getLogger(__name__)
WIDGET_DIR = ROOT / "widget"
STATIC_FILES = {
    "widget.js": (WIDGET_DIR / "src" / "widget.js", "application/javascript; charset=utf-8"),
    "widget.css": (WIDGET_DIR / "src" / "widget.css", "text/css; charset=utf-8"),
    "socket.io.min.js": (WIDGET_DIR / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js",
                         "application/javascript; charset=utf-8"),
    "socket.io.min.js.map": (WIDGET_DIR / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js.map",
                             "application/json"),
}
SOCKETIO_PATH = "/socket.io"
USER_EVENT, BOT_EVENT, TYPING_EVENT, ERASED_EVENT = "user_uttered", "bot_uttered", "bot_typing", "conversation_erased"
RESTARTED_EVENT = "conversation_restarted"
DEMO_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
               "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")


def _error(status: int, code: str, message: str) -> HTTPResponse:
    return response.json({"error": {"code": code, "message": message}}, status=status)


class WidgetOutput(CountingOutputChannel):
    """Sends the assistant's messages to every open tab of one conversation."""

    @classmethod
    def name(cls) -> str:
        return "widget"

    def __init__(self, sio: AsyncServer) -> None:
        super().__init__()
        self.sio = sio

    async def _emit(self, conversation_id: str, message: dict[str, Any]) -> None:
        await self.sio.emit(BOT_EVENT, message, room=conversation_id)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self._emit(recipient_id, rendering.widget_message(text))

    async def send_text_with_buttons(self, recipient_id: str, text: str, buttons: list[dict[str, Any]],
                                     **kwargs: Any) -> None:
        await self._emit(recipient_id, rendering.widget_message(text, buttons))

    async def send_quick_replies(self, recipient_id: str, text: str, quick_replies: list[dict[str, Any]],
                                 **kwargs: Any) -> None:
        await self.send_text_with_buttons(recipient_id, text, quick_replies)

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any) -> None:
        """The conversation was erased from inside it (« effacer mes données » typed, or its
        button; actions/privacy.py): every open tab clears its screen, as after the widget's
        own erase button; or it starts again (« recommencer », actions/restart.py). Any other
        custom payload is not for the widget: never shown raw."""
        if isinstance(json_message, dict) and json_message.get("conversation_erased") is True:
            await self.sio.emit(ERASED_EVENT, {}, room=recipient_id)
        elif isinstance(json_message, dict) and json_message.get(RESTARTED_EVENT) is True:
            # « recommencer » (actions/restart.py): the screen starts again with the answer that follows.
            await self.sio.emit(RESTARTED_EVENT, {}, room=recipient_id)


class WidgetInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "widget"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> "WidgetInput":
        secret = os.environ.get("WIDGET_SECRET", "")
        if len(secret) < 32:
            # Still usable, but tokens die with the process: say so once at start-up.
            logger.warning("WIDGET_SECRET is missing or short: widget sessions will not survive a restart")
            secret = secrets.token_urlsafe(48)
        origins = [o.strip().rstrip("/") for o in os.environ.get("WIDGET_ALLOWED_ORIGINS", "").split(",") if o.strip()]
        return cls(SessionTokens(secret), origins)

    def __init__(self, tokens: SessionTokens, allowed_origins: list[str] | None = None) -> None:
        self.tokens = tokens
        self.allowed_origins = allowed_origins or []
        self.sio: AsyncServer | None = None
        self.limits = RateLimits.from_env()
        # Turns received and not yet answered, per conversation (this process): the typing
        # indicator stays on until the last one ends, even when a second message waits for
        # the first one's turn.
        self.turns_in_progress: dict[str, int] = {}

    def get_output_channel(self) -> OutputChannel | None:
        # Lets Rasa's external events (trigger_intent) reach an open widget on this process.
        return WidgetOutput(self.sio) if self.sio else None

    def origin_allowed(self, request: Request) -> bool:
        """No Origin header (not a browser) or the page's own origin, or a listed one."""
        origin = request.headers.get("origin")
        if not origin:
            return True
        if self.allowed_origins:
            return origin.rstrip("/") in self.allowed_origins
        return origin.rstrip("/") == f"{request.scheme}://{request.host}"

    def _cors(self, request: Request, reply: HTTPResponse) -> HTTPResponse:
        origin = request.headers.get("origin")
        if origin and self.allowed_origins and origin.rstrip("/") in self.allowed_origins:
            reply.headers.update({"Access-Control-Allow-Origin": origin, "Vary": "Origin",
                                  "Access-Control-Allow-Headers": "Authorization, Content-Type",
                                  "Access-Control-Allow-Methods": "GET, POST, DELETE, OPTIONS"})
        return reply

    def _origin_or_preflight(self, request: Request) -> HTTPResponse | None:
        """The answer when the request must stop here: a foreign origin, or a CORS preflight."""
        if not self.origin_allowed(request):
            return _error(403, "origin_not_allowed", content.WIDGET_ORIGIN_REFUSED)
        if request.method == "OPTIONS":
            return self._cors(request, response.empty())
        return None

    def _authorised(self, request: Request) -> tuple[str | None, HTTPResponse | None]:
        """The conversation the bearer token names, or the answer that refuses the request."""
        refused = self._origin_or_preflight(request)
        if refused:
            return None, refused
        scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
        conversation_id = self.tokens.conversation_of(token.strip()) if scheme.lower() == "bearer" else None
        if conversation_id is None:
            return None, self._cors(request, _error(401, "invalid_token", content.WIDGET_SESSION_EXPIRED))
        return conversation_id, None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        # None = same origin only (engine.io compares Origin with the Host header).
        # Several replicas (REDIS_URL): emits reach the tabs connected to the others (socket_bus.py).
        sio = AsyncServer(async_mode="sanic", cors_allowed_origins=self.allowed_origins or None,
                          client_manager=socket_bus.from_environment())
        self.sio = sio
        widget = SocketBlueprint(sio, SOCKETIO_PATH, f"widget_{id(self)}", __name__)
        self._http_routes(widget)
        body_limit.install(widget)

        @sio.on("connect")
        async def connect(sid: str, environ: dict, auth: Any = None) -> None:
            conversation_id = self.tokens.conversation_of(auth.get("token") if isinstance(auth, dict) else None)
            if conversation_id is None:
                raise ConnectionRefusedError("invalid_token")
            session = {"conversation_id": conversation_id}
            request = environ.get("sanic.request")  # engine.io's own REMOTE_ADDR is a constant
            if request is not None and client_ip(request):
                session["ip"] = client_ip(request)  # for the per-IP rate limit
            await sio.save_session(sid, session)
            entered = sio.enter_room(sid, conversation_id)
            if inspect.isawaitable(entered):  # a coroutine from python-socketio 5.10 on
                await entered

        @sio.on(USER_EVENT)
        async def user_uttered(sid: str, data: Any = None) -> None:
            session = await sio.get_session(sid)
            conversation_id = session.get("conversation_id")
            if not conversation_id or not isinstance(data, dict):
                return
            decision = await self.limits.check(conversation_id, session.get("ip"))
            if not decision.allowed:
                if decision.first_refusal:  # once, to this tab; the excess is dropped
                    await sio.emit(BOT_EVENT, {"text": content.RATE_LIMITED}, to=sid)
                return
            payload = data.get("payload")
            if isinstance(payload, str):
                text, from_button = payload, True
            else:
                message = data.get("message")
                text, from_button = (message if isinstance(message, str) else None), False
            self.turns_in_progress[conversation_id] = self.turns_in_progress.get(conversation_id, 0) + 1
            await sio.emit(TYPING_EVENT, {"typing": True}, room=conversation_id)
            try:
                await run_turn(on_new_message, WidgetOutput(sio), conversation_id, text,
                               channel=self.name(), from_button=from_button)
            finally:
                left = self.turns_in_progress.get(conversation_id, 1) - 1
                if left > 0:
                    self.turns_in_progress[conversation_id] = left
                else:
                    self.turns_in_progress.pop(conversation_id, None)
                    await sio.emit(TYPING_EVENT, {"typing": False}, room=conversation_id)

        return widget

    def _http_routes(self, widget: Blueprint) -> None:
        @widget.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @widget.route("/demo", methods=["GET"])
        async def demo(_: Request) -> HTTPResponse:
            page = WIDGET_DIR / "demo.html"
            if not page.exists():
                return _error(404, "not_found", content.WIDGET_NOT_INSTALLED)
            return response.html(page.read_text(encoding="utf-8"), headers={
                "Content-Security-Policy": DEMO_POLICY, "X-Content-Type-Options": "nosniff",
                "Referrer-Policy": "no-referrer", "Cache-Control": "no-cache"})

        @widget.route("/static/<name>", methods=["GET"])
        async def static(_: Request, name: str) -> HTTPResponse:
            path, content_type = STATIC_FILES.get(name, (None, None))
            if path is None or not path.exists():
                return _error(404, "not_found", content.WIDGET_NOT_INSTALLED)
            return response.raw(path.read_bytes(), content_type=content_type, headers={
                "X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"})

        @widget.route("/emergency", methods=["GET", "OPTIONS"])
        async def emergency(request: Request) -> HTTPResponse:
            """The permanent emergency line's numbers, from the helplines table."""
            refused = self._origin_or_preflight(request)
            if refused:
                return refused
            return self._cors(request, response.json(rendering.emergency_line(),
                                                     headers={"Cache-Control": "public, max-age=3600"}))

        @widget.route("/session", methods=["POST", "OPTIONS"])
        async def session(request: Request) -> HTTPResponse:
            refused = self._origin_or_preflight(request)
            if refused:
                return refused
            decision = await self.limits.check(ip=client_ip(request))
            if not decision.allowed:
                reply = _error(429, "rate_limited", content.RATE_LIMITED)
                reply.headers["Retry-After"] = decision.retry_after_header
                return self._cors(request, reply)
            body = request.json if isinstance(request.json, dict) else {}
            minted = self.tokens.mint(self.tokens.conversation_of(body.get("token")))
            return self._cors(request, response.json({
                "token": minted.token, "conversation": minted.conversation_id,
                "expires_at": datetime.fromtimestamp(minted.expires_at, timezone.utc).isoformat()}))

        @widget.route("/history", methods=["GET", "OPTIONS"])
        async def history(request: Request) -> HTTPResponse:
            conversation_id, refused = self._authorised(request)
            if refused:
                return refused
            messages = await or_none(conversation_history(request.app.ctx.agent, conversation_id), "widget history")
            if messages is None:
                return self._cors(request, _error(503, "temporarily_unavailable", content.CONVERSATION_UNAVAILABLE))
            for message in messages:
                if message.get("sender") == "bot":
                    message["parts"] = rendering.message_parts(message.get("text"))
            return self._cors(request, response.json({"messages": messages}))

        @widget.route("/conversation", methods=["DELETE", "OPTIONS"])
        async def erase(request: Request) -> HTTPResponse:
            conversation_id, refused = self._authorised(request)
            if refused:
                return refused
            report = await or_none(erase_person(request.app.ctx.agent, conversation_id), "widget erasure")
            if report is None:
                return self._cors(request, _error(503, "temporarily_unavailable", content.CONVERSATION_UNAVAILABLE))
            if self.sio:
                await self.sio.emit(ERASED_EVENT, {}, room=conversation_id)  # other open tabs clear too
            return self._cors(request, response.json(report.as_json()))
