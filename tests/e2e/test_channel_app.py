"""The mobile app's help tab (bot/channels/app.py): token checks, request parsing, the
OpenAPI document against the routes, and the real server on loopback."""
from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import re
import time
import urllib.error
import urllib.request
from types import SimpleNamespace

import jwt
import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from rasa.core.channels.channel import register
from sanic import Sanic

from bot import content
from bot.channels.app import (AppInput, JwtSettings, TokenRejected, TokenVerifier, app_messages,
                              parse_message_body)
from tests.support.fake_platform import CHANNEL_TEST_SECRETS
from tests.support.openapi_checks import operations, refs, resolve

from bot.paths import ROOT
SPEC_PATH = ROOT / "bot" / "channels" / "app-openapi.yaml"
SECRET = CHANNEL_TEST_SECRETS["APP_JWT_SECRET"]
CONSENT = ["/affirm", "/deny", "/ask_confidentiality"]


def token(sub="user-1", secret=SECRET, algorithm="HS256", ttl=600, **claims):
    payload = {"sub": sub, "exp": int(time.time()) + ttl, **claims}
    if sub is None:
        del payload["sub"]
    return jwt.encode(payload, secret, algorithm=algorithm)


# ---- token verification --------------------------------------------------------------

HS = TokenVerifier(JwtSettings(secret=SECRET))


def test_a_valid_hs256_token_gives_its_subject():
    assert HS.subject(token("marie-42")) == "marie-42"


@pytest.mark.parametrize("bad", [
    token(ttl=-120),  # expired (beyond the 30 s clock skew)
    token(secret="another-secret-of-at-least-32-bytes-long"),
    token(sub=None),
    token(sub=""),
    token(sub="   "),
    token(sub="x" * 129),
    token(sub="a\nb"),
    jwt.encode({"sub": "user-1"}, SECRET, algorithm="HS256"),  # no exp
    jwt.encode({"sub": "user-1", "exp": int(time.time()) + 600}, SECRET, algorithm="HS512"),  # not the server's alg
    jwt.encode({"sub": "user-1", "exp": int(time.time()) + 600}, None, algorithm="none"),
    "not.a.jwt",
    "",
    None,
    "a" * 9000,
], ids=["expired", "wrong-secret", "no-sub", "empty-sub", "blank-sub", "long-sub", "control-char-sub", "no-exp",
        "hs512", "alg-none", "garbage", "empty", "missing", "oversized"])
def test_tokens_that_are_refused(bad):
    with pytest.raises(TokenRejected):
        HS.subject(bad)


def test_a_numeric_sub_is_refused():
    # PyJWT 2.10+ refuses it itself; the channel also insists on a string.
    bad = jwt.encode({"sub": 42, "exp": int(time.time()) + 600}, SECRET, algorithm="HS256")
    with pytest.raises(TokenRejected):
        HS.subject(bad)


def test_issuer_and_audience_are_checked_only_when_configured():
    strict = TokenVerifier(JwtSettings(secret=SECRET, issuer="https://id.example.fr", audience="mediation-app"))
    good = token(iss="https://id.example.fr", aud="mediation-app")
    assert strict.subject(good) == "user-1"
    for bad in (token(iss="https://id.example.fr", aud="another-app"), token(iss="https://evil.example", aud="mediation-app"),
                token(iss="https://id.example.fr"), token(aud="mediation-app")):
        with pytest.raises(TokenRejected):
            strict.subject(bad)
    # Not configured: an aud or iss claim is not a reason to refuse.
    assert HS.subject(good) == "user-1"


def _pem(private_key):
    return private_key.public_key().public_bytes(serialization.Encoding.PEM,
                                                 serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def test_rs256_with_a_public_key_and_no_algorithm_confusion():
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = _pem(private)
    verifier = TokenVerifier(JwtSettings(public_key=pem, secret=SECRET))
    assert verifier.algorithm == "RS256"
    assert verifier.subject(token("léa", secret=private, algorithm="RS256")) == "léa"
    # The public key wins: an HS256 token signed with the secret, or with the public key
    # as an HMAC secret (the classic confusion attack), is refused.
    for bad in (token(), jwt.encode({"sub": "x", "exp": int(time.time()) + 60}, None, algorithm="none"),
                token(secret=rsa.generate_private_key(public_exponent=65537, key_size=2048), algorithm="RS256")):
        with pytest.raises(TokenRejected):
            verifier.subject(bad)
    # PyJWT refuses to sign HS256 with a PEM key, so the forged token is built by hand.
    header = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').rstrip(b"=")
    body = base64.urlsafe_b64encode(json.dumps({"sub": "x", "exp": int(time.time()) + 60}).encode()).rstrip(b"=")
    signature = base64.urlsafe_b64encode(hmac.new(pem.encode(), header + b"." + body, hashlib.sha256).digest()).rstrip(b"=")
    with pytest.raises(TokenRejected):
        verifier.subject((header + b"." + body + b"." + signature).decode())


def test_es256_and_a_pem_written_on_one_line():
    private = ec.generate_private_key(ec.SECP256R1())
    one_line = _pem(private).replace("\n", "\\n")
    verifier = TokenVerifier(JwtSettings.from_env({"APP_JWT_PUBLIC_KEY": one_line}))
    assert verifier.algorithm == "ES256"
    assert verifier.subject(token("u", secret=private, algorithm="ES256")) == "u"


def test_not_configured_or_a_broken_key_refuses_everything():
    for settings in (JwtSettings(), JwtSettings(public_key="not a pem")):
        verifier = TokenVerifier(settings)
        assert not verifier.configured
        with pytest.raises(TokenRejected):
            verifier.subject(token())


# ---- request and response shapes ----------------------------------------------------

def test_message_body_has_exactly_one_string_field():
    assert parse_message_body(b'{"text": "Bonjour"}') == ("Bonjour", False)
    assert parse_message_body(b'{"payload": "/affirm"}') == ("/affirm", True)
    assert parse_message_body('{"text": "é", "sender": "app-someone-else"}'.encode()) == ("é", False)
    for bad in (b"", b"nope", b"[]", b'"text"', b"{}", b'{"text": "a", "payload": "/affirm"}', b'{"text": 3}',
                b'{"payload": ["/affirm"]}', b'{"text": null}', b"\xff\xfe"):
        assert parse_message_body(bad) is None, bad


def test_replies_keep_text_and_buttons_only():
    collected = [{"recipient_id": "app-u", "text": "Bonjour"},
                 {"recipient_id": "app-u", "text": "Acceptez-vous ?",
                  "buttons": [{"title": "J'accepte", "payload": "/affirm", "type": "postback"}]}]
    assert app_messages(collected) == [{"text": "Bonjour"},
                                       {"text": "Acceptez-vous ?", "buttons": [{"title": "J'accepte", "payload": "/affirm"}]}]


def test_without_secret_or_key_every_call_is_503_channel_not_configured():
    async def on_new_message(_message):
        raise AssertionError("nothing may reach the assistant")

    blueprint = AppInput(JwtSettings()).blueprint(on_new_message)
    handlers = {(method, route.uri): route.handler for route in blueprint._future_routes for method in route.methods}
    request = SimpleNamespace(headers={"Authorization": f"Bearer {token()}"}, body=b'{"text": "Bonjour"}')

    async def run():
        for key in (("POST", "/messages"), ("GET", "/conversation"), ("DELETE", "/conversation")):
            answer = await handlers[key](request)
            assert answer.status == 503, key
            assert json.loads(answer.body) == {"error": {"code": "channel_not_configured",
                                                         "message": content.APP_NOT_CONFIGURED}}
        health = await handlers[("GET", "/")](request)
        assert json.loads(health.body) == {"status": "not_configured"}
    asyncio.run(run())


# ---- the OpenAPI document -----------------------------------------------------------

@pytest.fixture(scope="module")
def spec():
    with SPEC_PATH.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def test_spec_is_a_structurally_valid_openapi_3_document(spec):
    try:
        from openapi_spec_validator import validate_spec
    except ImportError:
        validate_spec = None
    if validate_spec is not None:
        validate_spec(spec)
    assert str(spec["openapi"]).startswith("3.")
    assert spec["info"]["title"] and spec["info"]["version"]
    for ref in refs(spec):
        resolve(spec, ref)
    scheme = spec["components"]["securitySchemes"]["bearerJwt"]
    assert (scheme["type"], scheme["scheme"], scheme["bearerFormat"]) == ("http", "bearer", "JWT")
    assert spec["security"] == [{"bearerJwt": []}]
    for path, method, operation in operations(spec):
        responses = operation["responses"]
        assert all(re.fullmatch(r"[1-5]\d\d", str(status)) for status in responses)
        secured = operation.get("security", spec["security"]) != []
        if secured:  # every authenticated call documents its refusals
            assert {"401", "503"} <= set(responses), f"{method} {path}"
        for status, answer in responses.items():
            answer = resolve(spec, answer["$ref"]) if "$ref" in answer else answer
            assert answer.get("description"), f"{method} {path} {status}"
            if str(status).startswith(("4", "5")):
                schema = answer["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Error"}


def test_spec_lists_exactly_the_channel_routes(spec):
    app = Sanic(f"app_openapi_{id(spec)}")
    register([AppInput(JwtSettings(secret=SECRET))], app, route="/webhooks/")  # as Rasa does
    registered = {(method, "/" + route.path.strip("/")) for route in app.router.routes for method in route.methods
                  if method != "HEAD"}
    documented = {(method.upper(), path.rstrip("/")) for path, method, _ in operations(spec)}
    assert documented == registered, (documented - registered, registered - documented)


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
