"""A local stand-in for Meta's Graph API and Twilio's REST API.

Runs an aiohttp server in a background thread on 127.0.0.1; every request the
assistant sends to a platform is recorded so tests can assert what a person would
have received. Answers like the real APIs do on success.
"""
from __future__ import annotations

import asyncio
import itertools
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from aiohttp import web


@dataclass
class Captured:
    method: str
    path: str
    headers: dict[str, str]
    json: Any
    form: dict[str, str]
    received_at: float


@dataclass
class FakePlatform:
    requests: list[Captured] = field(default_factory=list)
    port: int = 0
    fail_next: int = 0  # answer the next N requests with HTTP 500 (platform outage)
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        json_body, form = None, {}
        if request.content_type == "application/json" and body:
            json_body = await request.json()
        elif body:
            form = dict(await request.post())
        self.requests.append(Captured(request.method, request.path, dict(request.headers), json_body, form,
                                      time.time()))
        if self.fail_next > 0:
            self.fail_next -= 1
            return web.json_response({"error": {"message": "fake outage"}}, status=500)
        n = next(self._ids)
        return web.json_response({"recipient_id": "x", "message_id": f"m.{n}", "messages": [{"id": f"wamid.{n}"}],
                                  "sid": f"SM{n:032d}"}, status=201 if "Messages.json" in request.path else 200)

    def start(self) -> "FakePlatform":
        ready = threading.Event()

        def serve() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            app = web.Application()
            app.router.add_route("*", "/{tail:.*}", self._handle)
            runner = web.AppRunner(app)
            loop.run_until_complete(runner.setup())
            site = web.TCPSite(runner, "127.0.0.1", 0)
            loop.run_until_complete(site.start())
            self.port = site._server.sockets[0].getsockname()[1]
            ready.set()
            loop.run_forever()

        threading.Thread(target=serve, daemon=True, name="fake-platform").start()
        ready.wait(10)
        return self

    def matching(self, predicate: Callable[[Captured], bool]) -> list[Captured]:
        return [r for r in list(self.requests) if predicate(r)]

    def wait_for(self, predicate: Callable[[Captured], bool], count: int = 1, timeout: float = 60) -> list[Captured]:
        """Requests matching `predicate`, once at least `count` arrived (fails after `timeout` s)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.matching(predicate)
            if len(found) >= count:
                # Replies of one turn arrive one after the other: let the turn finish.
                time.sleep(0.5)
                return self.matching(predicate)
            time.sleep(0.1)
        raise AssertionError(f"expected {count} request(s), got {len(self.matching(predicate))}")


# Secrets the test servers are started with (never used outside tests).
CHANNEL_TEST_SECRETS = {
    "MESSENGER_VERIFY_TOKEN": "test-messenger-verify",
    "MESSENGER_APP_SECRET": "test-messenger-app-secret",
    "MESSENGER_PAGE_ACCESS_TOKEN": "test-messenger-page-token",
    "WHATSAPP_VERIFY_TOKEN": "test-whatsapp-verify",
    "WHATSAPP_APP_SECRET": "test-whatsapp-app-secret",
    "WHATSAPP_ACCESS_TOKEN": "test-whatsapp-access-token",
    "WHATSAPP_PHONE_NUMBER_ID": "100200300",
    "WHATSAPP_TEMPLATE_NAME": "reprise_conversation",
    "WHATSAPP_TEMPLATE_LANGUAGE": "fr",
    "TWILIO_ACCOUNT_SID": "AC00000000000000000000000000000000",
    "TWILIO_AUTH_TOKEN": "test-twilio-auth-token",
    "TWILIO_NUMBER": "whatsapp:+33100000000",
    "APP_JWT_SECRET": "test-app-jwt-secret-of-at-least-32-bytes!",
    "WIDGET_SECRET": "test-widget-secret-of-at-least-32-bytes!",
    "TRACKER_ENCRYPTION_KEYS": "cw_0x689RpI-jtRR7oJ8otLs4mMVQ-hsWnOEHY4LB5w=",  # a Fernet key, tests only
    # 64 bytes, url-safe base64 (bot/privacy/pseudonyms.py), tests only.
    "CONVERSATION_ID_KEY": "ApNn_EewgQNXUT6zllDH5mIWw5YaPqHIj-lw4Joa4eXbU6v4A6RLcwSzQhopQ-WagYvCJnAiy6Nv16uLwEpiew",
}


def channel_test_env(platform: FakePlatform) -> dict[str, str]:
    """Environment for the Rasa server under test: every channel configured, every
    outgoing platform call sent to the fake."""
    # SLOW_TURN_SECONDS: on a loaded CI machine a first turn can pass 8 s; tests that count
    # replies must not get the "please wait" notice (tested on its own in tests/unit/channels/test_turn.py).
    return {**CHANNEL_TEST_SECRETS, "META_GRAPH_URL": platform.url, "TWILIO_API_URL": platform.url,
            "SLOW_TURN_SECONDS": "60"}


_numbers = itertools.count(10_000_000)


def new_mobile_digits() -> int:
    """Eight digits for a French mobile number (+336…) that no other test of this run uses."""
    return next(_numbers)


def twilio_messages_to(to: str) -> Callable[[Captured], bool]:
    """A message sent through the fake Twilio API to `to`."""
    return lambda r: r.path.endswith("/Messages.json") and r.form.get("To") == to


def whatsapp_messages_to(wa_id: str) -> Callable[[Captured], bool]:
    """A message sent through the fake WhatsApp Cloud API to `wa_id`, from the test number."""
    phone_number_id = CHANNEL_TEST_SECRETS["WHATSAPP_PHONE_NUMBER_ID"]
    return lambda r: r.path == f"/{phone_number_id}/messages" and (r.json or {}).get("to") == wa_id
