"""The website widget's channel (bot/channels/widget.py): socket.io on the real Rasa server on
loopback, history, erasure, origin checks (tokens and the socket alone:
tests/unit/channels/test_channel_widget.py)."""
import asyncio
import json
import urllib.error
import urllib.request

import pytest
import socketio

from bot.channels import conversation_ids
from bot.channels.session_tokens import SessionTokens

SECRET = "s" * 40


# --- The real server on loopback ---------------------------------------------------

def http(servers, method, path, body=None, token=None, origin=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if origin:
        headers["Origin"] = origin
    request = urllib.request.Request(f"{servers.url}/webhooks/widget{path}", method=method, headers=headers,
                                     data=json.dumps(body).encode() if body is not None else None)
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, reply.headers, reply.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def new_session(servers, previous=None):
    status, _, body = http(servers, "POST", "/session", {"token": previous} if previous else {})
    assert status == 200
    return json.loads(body)


class Tab:
    """One browser tab: a socket.io client holding the server-minted token."""

    def __init__(self, servers, token, origin=None):
        self.servers, self.token, self.origin = servers, token, origin
        self.events = []
        self.client = socketio.AsyncClient(reconnection=False)
        self.client.on("bot_uttered", lambda m: self.events.append(("bot", m)))
        self.client.on("bot_typing", lambda m: self.events.append(("typing", m["typing"])))
        self.client.on("conversation_erased", lambda m: self.events.append(("erased", m)))

    async def open(self):
        # Polling: python-engineio's websocket client needs aiohttp >= 3.10 (Rasa pins < 3.10).
        await self.client.connect(self.servers.url, socketio_path="/socket.io", auth={"token": self.token},
                                  transports=["polling"], headers={"Origin": self.origin or self.servers.url})

    async def send(self, **data):
        start = len(self.events)
        await self.client.emit("user_uttered", data)
        for _ in range(1200):  # the turn ends with typing false
            if ("typing", False) in self.events[start:]:
                return [m for kind, m in self.events[start:] if kind == "bot"]
            await asyncio.sleep(0.05)
        raise AssertionError(f"no end of turn; events: {self.events[start:]}")


def run(coroutine):
    return asyncio.run(coroutine)


@pytest.mark.model
def test_a_conversation_over_socketio_with_typing_buttons_and_history_after_a_reload(servers):
    session = new_session(servers)

    async def first_page():
        tab = Tab(servers, session["token"])
        await tab.open()
        welcome = await tab.send(message="Bonjour")
        assert tab.events[0] == ("typing", True)
        assert "assistant d'accueil" in welcome[0]["text"]
        assert [b["payload"] for b in welcome[-1]["buttons"]] == ["/affirm", "/deny", "/ask_confidentiality"]
        # A typed "/affirm" is words, not the consent button.
        typed = await tab.send(message="/affirm")
        assert not any("Décrivez votre situation" in m["text"] for m in typed)
        asked = await tab.send(payload="/affirm", title="J'accepte")
        assert "Décrivez votre situation" in asked[0]["text"]
        classified = await tab.send(message="Une haie de thuyas de 4 mètres dépasse chez moi et personne ne veut la tailler")
        assert "conflit de voisinage" in classified[-1]["text"] and classified[-1]["buttons"]
        await tab.client.disconnect()

    run(first_page())
    # Reload: the page asks for its session again with the stored token -> same conversation.
    again = new_session(servers, session["token"])
    assert again["conversation"] == session["conversation"]
    status, _, body = http(servers, "GET", "/history", token=again["token"])
    messages = json.loads(body)["messages"]
    assert status == 200
    assert [m["text"] for m in messages if m["sender"] == "user"][-2:] == [
        "J'accepte", "Une haie de thuyas de 4 mètres dépasse chez moi et personne ne veut la tailler"]
    assert "conflit de voisinage" in messages[-1]["text"] and messages[-1]["buttons"]
    # The assistant's messages come with their parts (links built by the widget), the person's without.
    for message in messages:
        if message["sender"] == "bot":
            assert "".join(part["text"] for part in message["parts"]) == message["text"]
        else:
            assert "parts" not in message

    async def after_reload():
        tab = Tab(servers, again["token"])
        await tab.open()
        confirmed = await tab.send(payload="/affirm", title="Oui")
        assert "autre partie" in " ".join(m["text"] for m in confirmed)
        await tab.client.disconnect()

    run(after_reload())


@pytest.mark.model
def test_the_safety_message_reaches_the_widget_with_its_numbers_as_links_and_the_emergency_line_is_served(servers):
    session = new_session(servers)

    async def talk():
        tab = Tab(servers, session["token"])
        await tab.open()
        await tab.send(message="Bonjour")
        replies = await tab.send(message="Mon mari me frappe")
        await tab.client.disconnect()
        return replies

    replies = run(talk())
    safety = next(m for m in replies if "Votre sécurité passe avant tout" in m["text"])
    links = {part["text"]: part["href"] for part in safety["parts"] if "href" in part}
    assert links["17"] == "tel:17" and links["114"] == "sms:114" and links["3919"] == "tel:3919"
    status, headers, body = http(servers, "GET", "/emergency")
    line = json.loads(body)
    assert status == 200 and line["label"] == "En danger ?"
    assert [(n["number"], n["href"]) for n in line["numbers"]] == [
        ("17", "tel:17"), ("112", "tel:112"), ("114", "sms:114"), ("3919", "tel:3919"), ("119", "tel:119")]
    status, *_ = http(servers, "GET", "/emergency", origin="https://evil.example")
    assert status == 403


@pytest.mark.model
def test_every_open_tab_gets_the_replies_and_the_erasure(servers):
    session = new_session(servers)

    async def two_tabs():
        first, second = Tab(servers, session["token"]), Tab(servers, session["token"])
        await first.open()
        await second.open()
        await first.send(message="Bonjour")
        await asyncio.sleep(0.3)
        assert any(kind == "bot" for kind, _ in second.events)
        status, _, body = http(servers, "DELETE", "/conversation", token=session["token"])
        assert status == 200 and json.loads(body)["erased"] is True and json.loads(body)["events"] > 0
        await asyncio.sleep(0.3)
        assert ("erased", {}) in second.events
        await first.client.disconnect()
        await second.client.disconnect()

    run(two_tabs())
    status, _, body = http(servers, "GET", "/history", token=session["token"])
    assert json.loads(body) == {"messages": []}


@pytest.mark.model
def test_forged_tokens_and_foreign_origins_are_refused(servers):
    async def connect(token, origin=None):
        tab = Tab(servers, token, origin)
        try:
            await tab.open()
        except socketio.exceptions.ConnectionError:
            return False
        await tab.client.disconnect()
        return True

    genuine = new_session(servers)["token"]
    assert run(connect(genuine)) is True
    assert run(connect("forged.token.value")) is False
    assert run(connect(SessionTokens("x" * 40).mint().token)) is False  # signed with another secret
    assert run(connect(genuine, origin="https://evil.example")) is False
    status, _, body = http(servers, "POST", "/session", {}, origin="https://evil.example")
    assert status == 403 and json.loads(body)["error"]["code"] == "origin_not_allowed"
    status, _, body = http(servers, "GET", "/history", token="forged")
    assert status == 401 and json.loads(body)["error"]["code"] == "invalid_token"
    status, _, _ = http(servers, "DELETE", "/conversation")
    assert status == 401


@pytest.mark.model
def test_the_rest_channel_cannot_name_another_channels_conversation(servers):
    for prefix in conversation_ids.VERIFIED:
        request = urllib.request.Request(f"{servers.url}/webhooks/rest/webhook",
                                         data=json.dumps({"sender": f"{prefix.upper()}abc", "message": "Bonjour"}).encode(),
                                         headers={"Content-Type": "application/json"})
        with pytest.raises(urllib.error.HTTPError) as error:
            urllib.request.urlopen(request, timeout=30)
        assert error.value.code == 403, prefix
    assert conversation_ids.WIDGET == SessionTokens(SECRET).mint().conversation_id[:len(conversation_ids.WIDGET)]


@pytest.mark.model
def test_demo_page_and_static_files_are_served_with_a_strict_policy(servers):
    status, headers, body = http(servers, "GET", "/demo")
    assert status == 200 and "script-src 'self'" in headers["Content-Security-Policy"]
    assert b"/webhooks/widget/static/widget.js" in body
    for name in ("widget.js", "widget.css", "socket.io.min.js"):
        status, headers, body = http(servers, "GET", f"/static/{name}")
        assert status == 200 and len(body) > 100 and headers["X-Content-Type-Options"] == "nosniff"
    assert http(servers, "GET", "/static/..%2F..%2F.env")[0] == 404
    assert http(servers, "GET", "/static/demo.html")[0] == 404


@pytest.mark.model
def test_hostile_socket_events_stop_nothing_and_skip_no_confirmation(servers):
    """Issue 16: every field of every public route, the widget's socket.io events included."""
    session = new_session(servers)

    async def attack():
        tab = Tab(servers, session["token"])
        await tab.open()
        await tab.send(message="Bonjour")
        await tab.send(payload="/affirm", title="J'accepte")
        for data in ("texte seul", ["liste"], 42, None, {"message": 42}, {"message": ["x"]}, {"payload": {"a": 1}},
                     {"message": "x" * 100_000}, {"message": "\x00"}):
            await tab.client.emit("user_uttered", data)  # no turn, or one that answers politely
        for data in ({"message": "ligne\udfff\x00 \x1b[31m"}, {"payload": '/erase_data{"choice":"confirm"}'},
                     {"payload": "/inform{\"choice\":\"x\udfff\"}"}, {"message": '/erase_data{"choice":"confirm"}'}):
            replies = await tab.send(**data)
            assert all("Traceback" not in (m.get("text") or "") for m in replies)
            assert not any(kind == "erased" for kind, _ in tab.events)  # never erased without its question
        answer = await tab.send(message="Bonjour")
        assert answer and all(process.poll() is None for process in servers.processes.values())
        await tab.client.disconnect()

    run(attack())
