"""The mobile app's help tab (bot/channels/app.py) on the real server on loopback (token checks,
request parsing and the OpenAPI document alone: tests/unit/channels/test_channel_app.py)."""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import pytest
import yaml

from bot import content
from tests.support.app_tokens import token

CONSENT = ["/affirm", "/deny", "/ask_confidentiality"]


# ---- the real server on loopback ----------------------------------------------------

class AppClient:
    """The app, signed in as one user."""

    def __init__(self, servers, sub):
        self.servers, self.sub = servers, sub
        self.token = token(sub)

    def call(self, method, path, body=None, raw=None, headers=None, auth=True):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        if auth:
            all_headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(f"{self.servers.url}/webhooks/app{path}", data=data, method=method,
                                         headers=all_headers)
        try:
            with urllib.request.urlopen(request, timeout=120) as reply:
                return reply.status, reply.headers, reply.read()  # case-insensitive
        except urllib.error.HTTPError as failure:
            return failure.code, failure.headers, failure.read()

    def json(self, method, path, body=None, **kwargs):
        status, headers, raw = self.call(method, path, body, **kwargs)
        return status, headers, json.loads(raw)

    def say(self, text=None, payload=None):
        status, _, answer = self.json("POST", "/messages", {"text": text} if payload is None else {"payload": payload})
        assert status == 200, answer
        assert answer["conversation_id"] == f"app-{self.sub}"
        return answer["messages"]

    def history(self):
        status, _, answer = self.json("GET", "/conversation")
        assert status == 200, answer
        return answer["messages"]


@pytest.fixture
def app_user(servers, request):
    return AppClient(servers, f"{request.node.name}-{time.time_ns()}")


def _assert_json_error(status, headers, answer, expected_status, code):
    assert status == expected_status
    assert set(answer) == {"error"} and answer["error"]["code"] == code and answer["error"]["message"]
    assert "Traceback" not in json.dumps(answer)


@pytest.mark.model
def test_no_or_bad_token_is_401_with_www_authenticate(app_user):
    for kwargs in ({"auth": False}, {"auth": False, "headers": {"Authorization": "Basic dXNlcjpwYXNz"}},
                   {"auth": False, "headers": {"Authorization": f"Bearer {token(secret='x' * 40)}"}},
                   {"auth": False, "headers": {"Authorization": f"Bearer {token(ttl=-3600)}"}}):
        for method, path, body in (("POST", "/messages", {"text": "Bonjour"}), ("GET", "/conversation", None),
                                   ("DELETE", "/conversation", None)):
            status, headers, answer = app_user.json(method, path, body, **kwargs)
            _assert_json_error(status, headers, answer, 401, "unauthorized")
            assert headers["WWW-Authenticate"].startswith("Bearer")
            assert answer["error"]["message"] == content.APP_UNAUTHORIZED


@pytest.mark.model
def test_openapi_document_and_health_need_no_token(app_user):
    status, headers, raw = app_user.call("GET", "/openapi.yaml", auth=False)
    assert status == 200 and headers["Content-Type"].startswith("application/yaml")
    assert yaml.safe_load(raw)["paths"]["/webhooks/app/messages"]
    status, _, answer = app_user.json("GET", "/", auth=False)
    assert (status, answer) == (200, {"status": "ok"})


@pytest.mark.model
def test_welcome_consent_button_and_history(app_user):
    welcome = app_user.say("Bonjour")
    assert "assistant d'accueil" in welcome[0]["text"]
    assert [b["payload"] for b in welcome[-1]["buttons"]] == CONSENT
    assert all(b["title"] for b in welcome[-1]["buttons"])

    reply = app_user.say(payload="/affirm")
    assert "Décrivez votre situation" in "\n".join(m["text"] for m in reply)

    history = app_user.history()
    assert history[0] == {"sender": "user", "text": content.HISTORY_NOT_KEPT, "timestamp": history[0]["timestamp"]}
    bot_with_buttons = [m for m in history if m["sender"] == "bot" and m.get("buttons")]
    assert [b["payload"] for b in bot_with_buttons[0]["buttons"]] == CONSENT
    # The tapped button reads as its label, like in the chat.
    users = [m["text"] for m in history if m["sender"] == "user"]
    assert users[-1] == "J'accepte"
    assert "Décrivez votre situation" in history[-1]["text"] and history[-1]["sender"] == "bot"


@pytest.mark.model
def test_typed_slash_command_is_words_not_an_intent(app_user, servers):
    app_user.say("Bonjour")
    reply = app_user.say("/affirm")
    # Typed, "/affirm" is not the consent button: consent is asked again.
    assert "Décrivez votre situation" not in "\n".join(m["text"] for m in reply)
    assert [b["payload"] for b in reply[-1]["buttons"]] == CONSENT
    url = f"{servers.url}/conversations/app-{app_user.sub}/tracker?token={servers.token}"
    with urllib.request.urlopen(url, timeout=30) as answer:
        assert json.loads(answer.read())["slots"]["consent"] is None


@pytest.mark.model
def test_one_user_can_never_read_or_erase_another_conversation(servers):
    alice, bob = AppClient(servers, f"alice-{time.time_ns()}"), AppClient(servers, f"bob-{time.time_ns()}")
    alice.say("Bonjour")
    alice.say(payload="/affirm")
    alice_history = alice.history()
    assert len(alice_history) >= 4

    # Bob names Alice's conversation in the body and in the query: only his token counts.
    status, _, answer = bob.json("POST", "/messages", {"text": "Bonjour", "sender": f"app-{alice.sub}",
                                                      "conversation_id": f"app-{alice.sub}"})
    assert status == 200 and answer["conversation_id"] == f"app-{bob.sub}"
    status, _, answer = bob.json("GET", f"/conversation?conversation_id=app-{alice.sub}&sender=app-{alice.sub}")
    assert answer["conversation_id"] == f"app-{bob.sub}"
    assert "Décrivez votre situation" not in json.dumps(answer["messages"], ensure_ascii=False)
    status, _, answer = bob.json("DELETE", f"/conversation?conversation_id=app-{alice.sub}", {"sender": f"app-{alice.sub}"})
    assert status == 200 and answer["erased"] is True and answer["booking_anonymised"] is None

    assert alice.history() == alice_history  # untouched by Bob
    assert bob.history() == []


@pytest.mark.model
def test_erase_then_history_is_empty_and_the_next_message_starts_again(app_user):
    app_user.say("Bonjour")
    app_user.say(payload="/affirm")
    assert app_user.history()
    status, _, answer = app_user.json("DELETE", "/conversation")
    assert status == 200 and answer["erased"] is True and answer["events"] > 0
    status, _, answer = app_user.json("DELETE", "/conversation")  # idempotent
    assert (status, answer) == (200, {"erased": True, "events": 0, "booking_anonymised": None,
                                      "bookings_anonymised": []})
    assert app_user.history() == []
    welcome = app_user.say("Bonjour")
    assert "assistant d'accueil" in welcome[0]["text"]
    assert [b["payload"] for b in welcome[-1]["buttons"]] == CONSENT


@pytest.mark.model
def test_malformed_bodies_are_400_json(app_user):
    for raw in (b"", b"not json", b"[1]", b"{}", b'{"text": "a", "payload": "/affirm"}', b'{"text": 12}',
                b'{"payload": {"intent": "affirm"}}'):
        status, headers, answer = app_user.json("POST", "/messages", raw=raw)
        _assert_json_error(status, headers, answer, 400, "bad_request")
        assert answer["error"]["message"] == content.APP_BAD_REQUEST
    status, headers, answer = app_user.json("POST", "/messages", {"text": "x" * 70_000})
    _assert_json_error(status, headers, answer, 413, "payload_too_large")
    assert app_user.history() == []  # nothing reached the assistant


@pytest.mark.model
def test_a_long_text_is_read_up_to_the_limit_with_a_polite_notice(app_user):
    messages = app_user.say("Mon voisin fait du bruit. " * 400)  # about 10 000 characters
    assert messages[0]["text"] == content.MESSAGE_TRUNCATED.format(limit=2000)
    assert len(messages) > 1  # the assistant still answered


@pytest.mark.model
def test_a_forged_payload_is_not_an_intent(app_user):
    app_user.say("Bonjour")
    reply = app_user.say(payload='/affirm{"choice":"../../etc"}')
    assert "Décrivez votre situation" not in "\n".join(m["text"] for m in reply)
