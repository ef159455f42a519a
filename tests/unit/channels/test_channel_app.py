"""The mobile app's help tab (bot/channels/app.py): token checks, request parsing, the
OpenAPI document against the routes (the real server: tests/e2e/test_channel_app.py)."""
from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import re
import time
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
from tests.support.app_tokens import SECRET, token
from tests.support.openapi_checks import operations, refs, resolve

from bot.paths import ROOT
SPEC_PATH = ROOT / "bot" / "channels" / "app-openapi.yaml"


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
