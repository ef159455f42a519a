"""Fuzzing the public HTTP surfaces with hypothesis: the REST channel, the mobile app API
and the agenda API, on the real servers on loopback.

Random and hostile inputs (any Unicode, control characters, emoji, huge texts,
`/intent{...}` injections, HTML/JS, malformed JSON and wrong types) must never give a
5xx or a stack trace, and every server must still answer normally afterwards.
Bounded: a few hundred requests in all, 127.0.0.1 only.
"""
from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from test_channel_app import token

pytestmark = pytest.mark.model

FUZZ = settings(max_examples=40, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
TRACE_MARKERS = ("Traceback", 'File "/', "Exception:", "sanic.exceptions")

HOSTILE_TEXTS = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF, blacklist_categories=("Cs",)), max_size=80),
    st.sampled_from([
        "", " ", "\x00", "\u202e", "🙂" * 500, "a" * 20_000, "<script>alert(1)</script>", "<img src=x onerror=alert(1)>",
        '/restart', '/affirm{"consent":"given"}', '/inform{"choice":"../../etc/passwd"}', '/stop{', "/" * 50,
        "'; DROP TABLE events; --", "${jndi:ldap://x}", "{{7*7}}", "%s%s%s%n", "\r\n\r\nHTTP/1.1 200 OK",
    ]),
    st.builds(lambda intent, body: f"/{intent}{body}", st.from_regex(r"[a-z_]{1,20}", fullmatch=True),
              st.one_of(st.just(""), st.dictionaries(st.text(max_size=10), st.text(max_size=20), max_size=3)
                        .map(json.dumps))),
)
JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), HOSTILE_TEXTS),
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(st.text(max_size=12), children, max_size=4)),
    max_leaves=12,
)


def send(method: str, url: str, body: bytes | None = None, headers: dict | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, data=body, method=method,
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=120) as reply:
            return reply.status, reply.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


def assert_sane(status: int, text: str) -> None:
    assert status < 500, f"{status}: {text[:300]}"
    assert not any(marker in text for marker in TRACE_MARKERS), text[:300]


def raw_bodies(values):
    """Valid JSON of any shape, or bytes that are not JSON at all."""
    return st.one_of(values.map(lambda v: json.dumps(v).encode()), st.binary(max_size=300))


@FUZZ
@given(message=HOSTILE_TEXTS, sender=st.one_of(st.just("fuzz-rest"), HOSTILE_TEXTS))
def test_rest_channel_messages(servers, message, sender):
    status, text = send("POST", f"{servers.url}/webhooks/rest/webhook",
                        json.dumps({"sender": sender, "message": message}).encode())
    assert_sane(status, text)


@FUZZ
@given(body=raw_bodies(JSON_VALUES))
def test_rest_channel_bodies(servers, body):
    assert_sane(*send("POST", f"{servers.url}/webhooks/rest/webhook", body))


@FUZZ
@given(body=raw_bodies(st.one_of(JSON_VALUES, st.fixed_dictionaries({"text": HOSTILE_TEXTS}),
                                 st.fixed_dictionaries({"payload": HOSTILE_TEXTS}))),
       bearer=st.one_of(st.just("valid"), HOSTILE_TEXTS.filter(lambda t: t.isascii() and "\n" not in t and "\r" not in t)))
def test_app_api(servers, body, bearer):
    auth = token("fuzz-app") if bearer == "valid" else bearer
    assert_sane(*send("POST", f"{servers.url}/webhooks/app/messages", body, {"Authorization": f"Bearer {auth}"}))
    assert_sane(*send("GET", f"{servers.url}/webhooks/app/conversation", None, {"Authorization": f"Bearer {auth}"}))


AGENDA_ROUTES = st.sampled_from([
    ("GET", "/api/slots?{q}"), ("POST", "/api/slots/{p}/hold"), ("DELETE", "/api/holds/{p}"),
    ("POST", "/api/holds/{p}/confirm"), ("GET", "/api/bookings/{p}"), ("POST", "/api/bookings/{p}/cancel"),
    ("POST", "/api/bookings/{p}/anonymise"), ("POST", "/api/bookings/{p}/reschedule"),
    ("GET", "/api/mediators/{p}/bookings"), ("GET", "/public/calendar/{p}.ics?{q}"),
])


@FUZZ
@given(route=AGENDA_ROUTES, part=HOSTILE_TEXTS, query=st.dictionaries(
           st.sampled_from(["domain", "postal_code", "mode", "from", "to", "limit", "exclude", "code"]),
           HOSTILE_TEXTS, max_size=4),
       body=raw_bodies(JSON_VALUES))
def test_agenda_api(servers, route, part, query, body):
    method, template = route
    path = template.format(p=urllib.parse.quote(part[:200], safe="") or "x", q=urllib.parse.urlencode(query))
    status, text = send(method, servers.agenda_url + path, body if method == "POST" else None,
                        {"Authorization": f"Bearer {servers.agenda_token}"})
    assert_sane(status, text)


def test_every_server_still_answers_after_the_fuzzing(servers):
    # Runs after the fuzz tests above (file order): nothing was left broken.
    status, text = send("POST", f"{servers.url}/webhooks/rest/webhook",
                        json.dumps({"sender": "after-fuzz", "message": "Bonjour"}).encode())
    assert status == 200 and "assistant d'accueil" in text
    assert send("GET", f"{servers.agenda_url}/health")[0] == 200
    status, text = send("POST", f"{servers.url}/webhooks/app/messages", json.dumps({"text": "Bonjour"}).encode(),
                        {"Authorization": f"Bearer {token('after-fuzz')}"})
    assert status == 200 and "assistant d'accueil" in text
