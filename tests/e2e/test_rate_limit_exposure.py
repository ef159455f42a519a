"""Rate limiting on the real servers, and what is reachable without a token.

One private set of servers with LOW limits (3 messages a minute per conversation, 8
requests a minute per IP), counted in Redis as with several replicas, started once for
this module. Each test talks from its own loopback address (127.0.0.x: Linux routes the
whole 127/8 to lo), so the per-IP budgets of the tests do not mix.
"""
from __future__ import annotations

import asyncio
import http.client
import json
import ipaddress
import os
import time
from pathlib import Path

import jwt
import pytest
import socketio

from bot import content

pytestmark = pytest.mark.model
from bot.paths import ROOT
PER_SENDER, PER_IP = 3, 8
ADMIN_TOKEN = "test-agenda-admin-token-rate-limit"
FOREIGN_ORIGIN = "https://evil.example"


@pytest.fixture(scope="module")
def limited(tmp_path_factory, fake_platform, shared_redis):
    from tests.conftest import shared_state_env
    from tests.support.fake_platform import channel_test_env
    from scripts.stack.servers import running_servers

    if not any((ROOT / "models").glob("*.tar.gz")):
        pytest.fail("No trained model: run `make train` (make test does it for you).")
    # The limits are counted in Redis, as with several replicas (tests/e2e/test_shared_state.py
    # checks the in-memory and the shared counters alike).
    extra = {**channel_test_env(fake_platform), **shared_state_env(shared_redis, "limited"),
             "RATE_LIMIT_PER_SENDER": str(PER_SENDER), "RATE_LIMIT_PER_IP": str(PER_IP),
             "AGENDA_ADMIN_TOKEN": ADMIN_TOKEN}
    with running_servers(tmp_path_factory.mktemp("limited"), extra_env=extra) as running:
        yield running


def request(url: str, method: str, path: str, body=None, headers=None, source: str | None = None):
    """(status, headers, parsed body) from `source` (a loopback address) to `url`."""
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=120,
                                            source_address=(source, 0) if source else None)
    try:
        data = json.dumps(body).encode() if body is not None else None
        connection.request(method, path, body=data, headers={"Content-Type": "application/json", **(headers or {})})
        reply = connection.getresponse()
        raw = reply.read()
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw.decode(errors="replace")
        return reply.status, reply.headers, parsed
    finally:
        connection.close()


def rest(servers, sender, message="", source=None):
    return request(servers.url, "POST", "/webhooks/rest/webhook", {"sender": sender, "message": message},
                   source=source)


# ---- Rate limiting ------------------------------------------------------------------


def test_rest_refuses_the_fourth_message_of_one_conversation_with_a_french_429(limited):
    source = "127.0.0.2"
    for _ in range(PER_SENDER):
        status, _, body = rest(limited, "rl-alice", "Bonjour", source=source)
        assert status == 200 and body and content.RATE_LIMITED not in json.dumps(body, ensure_ascii=False)
    status, headers, body = rest(limited, "rl-alice", "Bonjour", source=source)
    assert status == 429
    assert body == [{"recipient_id": "rl-alice", "text": content.RATE_LIMITED}]
    assert 1 <= int(headers["Retry-After"]) <= 60
    # Another conversation from the same address is not affected.
    assert rest(limited, "rl-bob", "", source=source)[0] == 200


def test_rest_refuses_a_ninth_request_a_minute_from_one_address(limited):
    source = "127.0.0.3"
    for i in range(PER_IP):
        assert rest(limited, f"rl-ip-{i}", "", source=source)[0] == 200  # empty: answered without a turn
    status, headers, body = rest(limited, "rl-ip-new", "", source=source)
    assert status == 429 and body[0]["text"] == content.RATE_LIMITED and int(headers["Retry-After"]) >= 1
    # Another address still gets through: the limit is per IP, not global.
    assert rest(limited, "rl-ip-new", "", source="127.0.0.4")[0] == 200


def test_the_app_api_answers_rate_limited_in_its_own_error_shape(limited):
    from tests.support.fake_platform import CHANNEL_TEST_SECRETS

    bearer = jwt.encode({"sub": "rl-app-user", "exp": int(time.time()) + 600},
                        CHANNEL_TEST_SECRETS["APP_JWT_SECRET"], algorithm="HS256")
    headers = {"Authorization": f"Bearer {bearer}"}
    for _ in range(PER_SENDER):
        status, _, body = request(limited.url, "POST", "/webhooks/app/messages", {"text": ""}, headers,
                                  source="127.0.0.5")
        assert status == 200, body
    status, reply_headers, body = request(limited.url, "POST", "/webhooks/app/messages", {"text": "Bonjour"},
                                          headers, source="127.0.0.5")
    assert status == 429 and int(reply_headers["Retry-After"]) >= 1
    assert body == {"error": {"code": "rate_limited", "message": content.RATE_LIMITED}}


def test_the_widget_session_route_is_limited_per_address(limited):
    for _ in range(PER_IP):
        assert request(limited.url, "POST", "/webhooks/widget/session", {}, source="127.0.0.6")[0] == 200
    status, headers, body = request(limited.url, "POST", "/webhooks/widget/session", {}, source="127.0.0.6")
    assert status == 429 and int(headers["Retry-After"]) >= 1
    assert body == {"error": {"code": "rate_limited", "message": content.RATE_LIMITED}}


def test_socketio_messages_over_the_limit_are_told_once_then_dropped(limited):
    status, _, session = request(limited.url, "POST", "/webhooks/widget/session", {})
    assert status == 200

    async def scenario():
        events = []
        client = socketio.AsyncClient(reconnection=False)
        client.on("bot_uttered", lambda m: events.append(("bot", m)))
        client.on("bot_typing", lambda m: events.append(("typing", m["typing"])))
        # Polling: python-engineio's websocket client needs aiohttp >= 3.10 (Rasa pins < 3.10).
        await client.connect(limited.url, socketio_path="/socket.io", auth={"token": session["token"]},
                             transports=["polling"], headers={"Origin": limited.url})
        try:
            for _ in range(PER_SENDER):  # empty messages: the guard answers, no model turn
                start = len(events)
                await client.emit("user_uttered", {"message": ""})
                for _ in range(600):
                    if ("typing", False) in events[start:]:
                        break
                    await asyncio.sleep(0.05)
                else:
                    raise AssertionError(f"no end of turn: {events[start:]}")
            start = len(events)
            for _ in range(3):
                await client.emit("user_uttered", {"message": "encore"})
            await asyncio.sleep(3)
            return events[start:]
        finally:
            await client.disconnect()

    over = asyncio.run(scenario())
    assert over == [("bot", {"text": content.RATE_LIMITED})]  # once, no turn, no typing


# ---- Exposure -----------------------------------------------------------------------


def test_the_rasa_http_api_needs_its_token(limited):
    for method, path in (("GET", "/status"), ("GET", "/conversations/rl-alice/tracker"),
                         ("POST", "/conversations/rl-alice/messages"), ("POST", "/model/parse"),
                         ("PUT", "/model"), ("DELETE", "/model")):
        status, _, _ = request(limited.url, method, path, {"text": "x"} if method != "GET" else None)
        assert status == 401, (method, path, status)
        wrong = request(limited.url, method, f"{path}?token=not-the-token", {} if method != "GET" else None)[0]
        assert wrong == 401, (method, path, wrong)
    assert request(limited.url, "GET", f"/status?token={limited.token}")[0] == 200


def test_no_cors_header_for_a_foreign_origin(limited):
    origin = {"Origin": FOREIGN_ORIGIN}
    for method, path in (("GET", f"/status?token={limited.token}"), ("GET", "/"),
                         ("POST", "/webhooks/rest/webhook")):
        _, headers, _ = request(limited.url, method, path, {"sender": "rl-cors", "message": ""}
                                if method == "POST" else None, origin, source="127.0.0.7")
        assert "Access-Control-Allow-Origin" not in headers, (path, dict(headers))
    preflight = {**origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
    for path in ("/model/parse", "/webhooks/rest/webhook", "/conversations/x/messages"):
        _, headers, _ = request(limited.url, "OPTIONS", path, None, preflight, source="127.0.0.7")
        assert "Access-Control-Allow-Origin" not in headers, (path, dict(headers))


def _children(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            todo += [int(child) for child in task.read_text().split()]
    return found


def _listening_addresses(pid: int) -> set[tuple[str, int]]:
    """(address, port) of the TCP sockets a process (and its children) listens on."""
    inodes = set()
    for process in _children(pid):
        for fd in Path(f"/proc/{process}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    listening = set()
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        if not Path(table).exists():
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state != "0A" or inode not in inodes:  # 0A: LISTEN
                continue
            address, port = local.split(":")
            if width == 8:
                text = ".".join(str(int(address[i:i + 2], 16)) for i in (6, 4, 2, 0))
            else:
                words = [address[i:i + 8] for i in range(0, 32, 8)]
                raw = b"".join(bytes.fromhex(word)[::-1] for word in words)
                text = str(ipaddress.IPv6Address(raw))
            listening.add((text, int(port, 16)))
    return listening


@pytest.mark.parametrize("name", ["rasa", "actions", "agenda"])
def test_every_server_listens_on_loopback_only(limited, name):
    addresses = _listening_addresses(limited.processes[name].pid)
    port = {"rasa": limited.rasa_port, "actions": limited.action_port, "agenda": limited.agenda_port}[name]
    assert (("127.0.0.1", port) in addresses), addresses
    assert {address for address, _ in addresses} <= {"127.0.0.1", "::1"}, addresses


def test_the_agenda_needs_its_tokens_and_the_mediator_routes_the_admin_one(limited):
    def agenda(path, token=None):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return request(limited.agenda_url, "GET", path, None, headers)[0]

    bookings = "/api/mediators/1/bookings"
    assert agenda(bookings) == 401
    assert agenda(bookings, limited.agenda_token) == 401  # the action server's token is not enough
    assert agenda(bookings, ADMIN_TOKEN) != 401
    assert agenda("/api/slots") == 401
