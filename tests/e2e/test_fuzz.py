"""Fuzzing the public HTTP surfaces with hypothesis: the REST channel, the mobile app API,
the widget's HTTP routes, the platform webhooks and the agenda API, on the real servers on
loopback, once with the conversations and the agenda in SQLite and once in PostgreSQL.

Random and hostile inputs in every field (any Unicode including lone surrogates, NUL and
other control characters, emoji, huge texts, `/intent{...}` injections, HTML/JS, malformed
JSON and wrong types) must never give a 5xx or a stack trace, and every server must still
answer normally afterwards: no process may have stopped (issue 16: a lone surrogate in a
REST sender used to end the Rasa server). Bounded: a few hundred requests per database,
127.0.0.1 only.
"""
from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.conftest import shared_state_env
from tests.e2e.test_channel_app import token
from tests.support.fuzz import FUZZ, HEADER_SAFE, HOSTILE_TEXTS, JSON_VALUES, assert_sane, raw_bodies

pytestmark = pytest.mark.model


def send(method: str, url: str, body: bytes | None = None, headers: dict | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, data=body, method=method,
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=120) as reply:
            return reply.status, reply.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def fuzz_servers(request, tmp_path_factory, fake_platform, shared_redis):
    """The session's servers (SQLite), then a set of servers whose conversations and agenda
    are in a throwaway PostgreSQL (where NUL in text is refused by the server itself)."""
    if request.param == "sqlite":
        yield request.getfixturevalue("servers")
        return
    from tests.support.fake_platform import channel_test_env
    from scripts.stack.postgres_server import create_database, postgres_server
    from scripts.stack.servers import running_servers

    with postgres_server() as server_url:
        extra_env = {**channel_test_env(fake_platform), **shared_state_env(shared_redis, "fuzz-pg")}
        with running_servers(tmp_path_factory.mktemp("fuzz-pg"), extra_env=extra_env,
                             database_url=create_database(server_url, "mediation"),
                             agenda_db_url=create_database(server_url, "agenda")) as running:
            yield running


def assert_all_running(servers):
    stopped = {name: process.returncode for name, process in servers.processes.items() if process.poll() is not None}
    assert not stopped, f"stopped: {stopped}"


@FUZZ
@given(message=HOSTILE_TEXTS, sender=st.one_of(st.just("fuzz-rest"), HOSTILE_TEXTS),
       metadata=st.one_of(st.none(), JSON_VALUES))
# Always tried, whatever hypothesis draws: the requests that used to stop the Rasa server.
@example(message="Bonjour", sender="x-\udfff", metadata=None)
@example(message="Bonjour", sender="x-\x00", metadata=None)
@example(message="x-\udfff \x00", sender="fuzz-rest", metadata={"\udfff": "\x00"})
def test_rest_channel_messages(fuzz_servers, message, sender, metadata):
    status, text = send("POST", f"{fuzz_servers.url}/webhooks/rest/webhook",
                        json.dumps({"sender": sender, "message": message, "metadata": metadata}).encode())
    assert_sane(status, text)
    assert_all_running(fuzz_servers)


@FUZZ
@given(body=raw_bodies(JSON_VALUES))
def test_rest_channel_bodies(fuzz_servers, body):
    assert_sane(*send("POST", f"{fuzz_servers.url}/webhooks/rest/webhook", body))


@FUZZ
@given(body=raw_bodies(st.one_of(JSON_VALUES, st.fixed_dictionaries({"text": HOSTILE_TEXTS}),
                                 st.fixed_dictionaries({"payload": HOSTILE_TEXTS}))),
       bearer=st.one_of(st.just("valid"), HOSTILE_TEXTS.filter(lambda t: t.isascii() and "\n" not in t and "\r" not in t)))
def test_app_api(fuzz_servers, body, bearer):
    servers = fuzz_servers
    auth = token("fuzz-app") if bearer == "valid" else bearer
    assert_sane(*send("POST", f"{servers.url}/webhooks/app/messages", body, {"Authorization": f"Bearer {auth}"}))
    assert_sane(*send("GET", f"{servers.url}/webhooks/app/conversation", None, {"Authorization": f"Bearer {auth}"}))


@FUZZ
@given(body=raw_bodies(st.one_of(JSON_VALUES, st.fixed_dictionaries({"token": HOSTILE_TEXTS}))), bearer=HEADER_SAFE,
       origin=st.one_of(st.none(), HEADER_SAFE))
def test_widget_http_routes(fuzz_servers, body, bearer, origin):
    servers = fuzz_servers
    headers = {"Authorization": f"Bearer {bearer}", **({"Origin": origin} if origin is not None else {})}
    assert_sane(*send("POST", f"{servers.url}/webhooks/widget/session", body, headers))
    assert_sane(*send("GET", f"{servers.url}/webhooks/widget/history", None, headers))
    assert_sane(*send("DELETE", f"{servers.url}/webhooks/widget/conversation", None, headers))


@FUZZ
@given(channel=st.sampled_from(["messenger", "whatsapp", "twilio"]), body=raw_bodies(JSON_VALUES),
       signature=HEADER_SAFE)
def test_platform_webhooks(fuzz_servers, channel, body, signature):
    # Unsigned or wrongly signed: refused (4xx) before anything is read, whatever the body.
    headers = {"X-Hub-Signature-256": f"sha256={signature}", "X-Twilio-Signature": signature}
    assert_sane(*send("POST", f"{fuzz_servers.url}/webhooks/{channel}/webhook", body, headers))


AGENDA_ROUTES = st.sampled_from([
    ("GET", "/api/slots?{q}"), ("POST", "/api/slots/{p}/hold"), ("DELETE", "/api/holds/{p}"),
    ("POST", "/api/holds/{p}/confirm"), ("GET", "/api/bookings/{p}"), ("POST", "/api/bookings/{p}/cancel"),
    ("POST", "/api/bookings/{p}/anonymise"), ("POST", "/api/bookings/{p}/reschedule"),
    ("GET", "/api/mediators/{p}/bookings"), ("GET", "/public/calendar/{p}.ics?{q}"),
    ("POST", "/api/conversations/anonymise"),
])


@FUZZ
@given(route=AGENDA_ROUTES, part=HOSTILE_TEXTS, query=st.dictionaries(
           st.sampled_from(["domain", "postal_code", "mode", "from", "to", "limit", "exclude", "code"]),
           HOSTILE_TEXTS, max_size=4),
       body=raw_bodies(JSON_VALUES))
def test_agenda_api(fuzz_servers, route, part, query, body):
    servers = fuzz_servers
    method, template = route
    # A hostile client sends whatever bytes it likes: surrogates percent-encoded as such.
    path = template.format(p=urllib.parse.quote(part[:200], safe="", errors="surrogatepass") or "x",
                           q=urllib.parse.urlencode(query, errors="surrogatepass"))
    status, text = send(method, servers.agenda_url + path, body if method == "POST" else None,
                        {"Authorization": f"Bearer {servers.agenda_token}"})
    assert_sane(status, text)


@pytest.fixture(scope="module")
def agenda_fuzzer(fuzz_servers):
    """The agenda's pages on the real agenda server (tests/support/agenda_fuzz.py): a mediator
    signed in through the link in the outbox (read with the servers' encryption key), bookings
    made through the API."""
    from datetime import datetime, timezone

    from bot.agenda import db
    from tests.support.agenda_fuzz import Agenda, Fuzzer, prepare
    from tests.support.fake_platform import CHANNEL_TEST_SECRETS

    engine = db.make_engine(fuzz_servers.agenda_db_url)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TRACKER_ENCRYPTION_KEYS", CHANNEL_TEST_SECRETS["TRACKER_ENCRYPTION_KEYS"])
        agenda = Agenda("127.0.0.1", fuzz_servers.agenda_port, engine, fuzz_servers.agenda_token,
                        datetime.now(timezone.utc).date())
        prepare(agenda)
        yield Fuzzer(agenda)
    engine.dispose()


def _agenda_page_cases():
    from tests.support.agenda_fuzz import PUBLIC_ROUTES, SIGNIN_ROUTES, SPACE_ROUTES, cases
    return cases(SPACE_ROUTES + SIGNIN_ROUTES + PUBLIC_ROUTES)


@settings(FUZZ, max_examples=120)
@given(case=_agenda_page_cases())
def test_agenda_pages(agenda_fuzzer, fuzz_servers, case):
    """Every public route of the agenda (the mediator's space, the sign-in by link, the
    person's booking page, the calendar files): no 5xx, no trace, French pages, and nothing
    a confirmation guards changes without it (checked in the agenda's database)."""
    agenda_fuzzer.run(case)
    assert_all_running(fuzz_servers)


def test_the_agenda_still_answers_after_its_pages_were_fuzzed(agenda_fuzzer):
    assert agenda_fuzzer.sent >= 100
    agenda_fuzzer.assert_still_answers()


def test_every_server_still_answers_after_the_fuzzing(fuzz_servers):
    # Runs after the fuzz tests above (file order): nothing was left broken, nothing stopped.
    servers = fuzz_servers
    assert_all_running(servers)
    status, text = send("POST", f"{servers.url}/webhooks/rest/webhook",
                        json.dumps({"sender": "after-fuzz", "message": "Bonjour"}).encode())
    assert status == 200 and "assistant d'accueil" in text
    assert send("GET", f"{servers.agenda_url}/health")[0] == 200
    status, text = send("POST", f"{servers.url}/webhooks/app/messages", json.dumps({"text": "Bonjour"}).encode(),
                        {"Authorization": f"Bearer {token('after-fuzz')}"})
    assert status == 200 and "assistant d'accueil" in text
