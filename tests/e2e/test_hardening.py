"""One request must never stop the service (issue 16), on the real servers on loopback:
the REST sender id, the action server's shared secret and error answers, the agenda's
bounds, the caps on request bodies, client metadata never stored, no token in `ps`,
private files. Supervision (a stopped process is started again) is in tests/e2e/test_make_run.py."""
from __future__ import annotations

import json
import socket
import sqlite3
import stat
import urllib.error
import urllib.parse
import urllib.request
import zlib
from pathlib import Path

import pytest

pytestmark = pytest.mark.model
TRACE_MARKERS = ("Traceback", 'File "/', "Exception", "sanic.exceptions")


def send(method, url, body=None, headers=None):
    request = urllib.request.Request(url, data=body, method=method,
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=120) as reply:
            return reply.status, reply.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


def rest(servers, payload: dict | bytes):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return send("POST", f"{servers.url}/webhooks/rest/webhook", body)


def stored_senders(servers) -> list[str]:
    with sqlite3.connect(servers.tracker_db) as db:
        return [sender for (sender,) in db.execute("SELECT DISTINCT sender_id FROM events")]


def assert_alive(servers):
    assert all(process.poll() is None for process in servers.processes.values()), servers.processes
    status, text = rest(servers, {"sender": "still-alive", "message": "Bonjour"})
    assert status == 200 and "Acceptez-vous" in text, text


# --- Item 1: the sender id ---------------------------------------------------------------------

@pytest.mark.parametrize("sender", ["x-\udfff", "\ud800", "a\x00b", "x\x1b[31m", "ligne\nsuivante", "\u202eabc",
                                    "x\u2028y", "\x7f"])
def test_a_sender_with_a_control_or_unencodable_character_is_400_in_french_and_nothing_is_stored(servers, sender):
    status, text = rest(servers, {"sender": sender, "message": "Bonjour"})
    assert status == 400, text
    assert "caractères non autorisés" in json.loads(text)["error"]
    assert_alive(servers)  # before the fix: the Rasa server had exited (sys.exit(1) in Rasa's store)


def test_nothing_is_stored_for_a_refused_sender(servers):
    before = set(stored_senders(servers))
    for sender in ("nul-\x00", "surrogate-\udfff"):
        assert rest(servers, {"sender": sender, "message": "Bonjour"})[0] == 400
    assert set(stored_senders(servers)) == before


# --- Item 2 and 9: the action server -------------------------------------------------------------

def action_url(servers, path):
    return f"http://127.0.0.1:{servers.action_port}{path}"


@pytest.mark.parametrize("method, path", [("GET", "/health"), ("GET", "/actions"), ("POST", "/webhook"),
                                          ("GET", "/nothing")])
@pytest.mark.parametrize("headers", [{}, {"X-Action-Token": "wrong"}, {"X-Action-Token": ""},
                                     {"Authorization": "Bearer wrong"}])
def test_every_action_server_route_needs_the_shared_secret(servers, method, path, headers):
    call = {"next_action": "action_show_recap", "tracker": {"sender_id": "intruder", "slots": {}, "events": []},
            "domain": {}}
    status, text = send(method, action_url(servers, path), json.dumps(call).encode() if method == "POST" else None,
                        headers)
    assert status == 401, text
    assert json.loads(text)["error"].startswith("Requête refusée")
    assert "action_" not in text  # nothing listed, nothing executed


def test_the_action_server_runs_an_action_with_the_secret(servers):
    call = {"next_action": "action_show_recap", "tracker": {"sender_id": "with-secret", "slots": {}, "events": []},
            "domain": {}}
    status, text = send("POST", action_url(servers, "/webhook"), json.dumps(call).encode(), servers.action_headers)
    assert status == 200 and json.loads(text)["responses"], text


@pytest.mark.parametrize("body, headers", [
    (b"not json", {}), (b"[1, 2]", {}), (b'{"next_action": 5, "tracker": "zz"}', {}),
    (b'{"next_action": "action_show_recap", "tracker": {"sender_id": "x", "events": "SECRET-ECHO"}}', {}),
    (b'{"next_action": "action_show_recap", "tracker": {"sender_id": ["SECRET-ECHO"]}}', {}),
    (b'{"next_action": "action_show_recap", "version": {"v": "SECRET-ECHO"}, "tracker": {"sender_id": "x"}}', {}),
    (zlib.compress(b"{" * 100), {"Content-Encoding": "deflate"}), (b"SECRET-ECHO", {"Content-Encoding": "deflate"}),
    (zlib.compress(b" " * (20 * 1024 * 1024)), {"Content-Encoding": "deflate"}),  # 20 MB once inflated
])
def test_a_malformed_action_call_is_400_without_any_echo(servers, body, headers):
    status, text = send("POST", action_url(servers, "/webhook"), body, {**servers.action_headers, **headers})
    assert status == 400, text
    assert "SECRET-ECHO" not in text and "request_body" not in text
    assert not any(marker in text for marker in TRACE_MARKERS), text
    assert servers.processes["actions"].poll() is None


def test_the_conversation_still_reaches_the_actions(chat):
    # Rasa sends the secret (endpoints.yml): a turn that runs custom actions answers normally.
    assert "Acceptez-vous" in chat.texts("Bonjour")


# --- Item 4: the agenda ----------------------------------------------------------------------------

@pytest.mark.parametrize("query", ["from=9999-12-31T23:59:59Z", "to=9999-12-31T23:59:59Z",
                                   "from=9999-12-31T23:59:59-01:00", "exclude=99999999999999999999",
                                   "limit=99999999999999999999999"])
def test_agenda_parameters_out_of_bounds_are_400_in_french(servers, query):
    status, text = send("GET", f"{servers.agenda_url}/api/slots?{query}",
                        headers={"Authorization": f"Bearer {servers.agenda_token}"})
    assert status == 400, text
    message = json.loads(text)["error"]["message"]
    assert "Date" in message or "doit" in message, message


# --- Item 8: bodies and metadata ------------------------------------------------------------------

def test_a_large_rest_body_is_413_in_french(servers):
    status, text = rest(servers, {"sender": "big-body", "message": "a" * (100 * 1024)})
    assert status == 413 and "trop volumineux" in json.loads(text)["error"], text
    assert rest(servers, {"sender": "long-but-fine", "message": "a" * 20_000})[0] == 200  # cut, not refused


def announce_a_body(url: str, length: int) -> tuple[int, str]:
    """Send only the headers of a POST of `length` bytes, with « Expect: 100-continue », and read the answer.

    The server refuses a body over its cap at once and closes the connection. A client still
    pushing 2 MB then gets a reset instead of the 413 (HTTP/1.1 allows it; urllib does not wait):
    it failed twice in one run on a loaded machine. A client that announces its body and waits,
    as curl does for large bodies, reads the 413 every time, so the test reads what it checks.
    """
    parts = urllib.parse.urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    head = (f"POST {target} HTTP/1.1\r\nHost: {parts.hostname}:{parts.port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {length}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n")
    with socket.create_connection((parts.hostname, parts.port), timeout=60) as connection:
        connection.sendall(head.encode("ascii"))
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    while received.startswith(b"HTTP/1.1 100"):  # the interim « continue » before the final answer
        received = received.split(b"\r\n\r\n", 1)[1]
    header, _, body = received.partition(b"\r\n\r\n")
    return int(header.split(b" ", 2)[1]), body.decode("utf-8", "replace")


@pytest.mark.parametrize("path", ["/webhooks/rest/webhook", "/webhooks/app/messages", "/webhooks/widget/session",
                                  "/webhooks/messenger/webhook", "/model/parse?token={token}"])
def test_any_body_over_the_server_cap_is_413_in_french_on_every_route(servers, path):
    status, text = announce_a_body(servers.url + path.format(token=servers.token), 2 * 1024 * 1024)
    assert status == 413, text[:300]
    assert "trop volumineux" in json.loads(text)["error"], text[:300]
    assert_alive(servers)


def test_the_agenda_caps_its_bodies_in_french(servers):
    status, text = send("POST", f"{servers.agenda_url}/api/slots/1/hold", b'{"mode": "' + b"a" * 200_000 + b'"}',
                        {"Authorization": f"Bearer {servers.agenda_token}"})
    assert status == 413 and "ko" in json.loads(text)["error"]["message"], text[:300]


def test_client_metadata_is_never_stored(servers):
    sender = "metadata-canary"
    for message in ("Bonjour", "/affirm"):  # after consent, user events are stored whole
        rest(servers, {"sender": sender, "message": message})
    status, _ = rest(servers, {"sender": sender, "message": "mon voisin", "metadata": {"canary": "META-CANARY"}})
    assert status == 200
    with urllib.request.urlopen(f"{servers.url}/conversations/{sender}/tracker?token={servers.token}",
                                timeout=60) as reply:
        tracker = json.loads(reply.read())
    assert tracker["slots"].get("consent") == "given"
    assert "META-CANARY" not in json.dumps(tracker)


# --- Item 9: no token in `ps`, private files ----------------------------------------------------------

def test_no_secret_on_any_command_line(servers):
    for name, process in servers.processes.items():
        command_line = Path(f"/proc/{process.pid}/cmdline").read_bytes().decode("utf-8", "replace")
        for secret in (servers.token, servers.action_token, servers.agenda_token):
            assert secret not in command_line, name


def test_logs_and_databases_are_private(servers):
    rest(servers, {"sender": "private-files", "message": "Bonjour"})
    files = [*servers.workdir.glob("*.log"), servers.tracker_db, servers.workdir / "agenda.db"]
    assert servers.tracker_db.exists()
    for path in files:
        if path.exists():
            assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, f"{path}: {oct(path.stat().st_mode)}"


# --- The same on `make run`'s configuration: no Redis, so the lock store is in memory and the
# tracker store is the first to meet an unbindable id (with Redis the lock fails first and the
# turn only apologises). Before the fix the Rasa server exited here. -------------------------

@pytest.fixture(scope="module")
def servers_without_redis(tmp_path_factory, fake_platform):
    from tests.support.fake_platform import channel_test_env
    from scripts.stack.servers import running_servers

    with running_servers(tmp_path_factory.mktemp("no-redis"), extra_env=channel_test_env(fake_platform)) as running:
        yield running


@pytest.mark.parametrize("sender", ["x-\udfff", "x-\x00"])
def test_without_redis_a_bad_sender_is_400_and_the_server_lives(servers_without_redis, sender):
    status, text = rest(servers_without_redis, {"sender": sender, "message": "Bonjour"})
    assert status == 400, text
    assert_alive(servers_without_redis)



def test_an_action_call_nested_too_deep_is_refused_not_a_500():
    from types import SimpleNamespace

    from bot.servers.action_server import read_action_call

    deep = ("[" * 5000 + "]" * 5000).encode()
    assert read_action_call(SimpleNamespace(body=deep, headers={})) is None


@pytest.mark.parametrize("body", [b"{not json", ("[" * 5000 + "]" * 5000).encode(), b'{"text": "x\\udfff"}',
                                  b'{"text": "a\\u0000b"}'])
def test_rasa_s_own_api_answers_400_to_a_body_it_cannot_read(body):
    """/model/parse turned these into a 500 (its own 400 included), found by a probe with the token."""
    from types import SimpleNamespace

    import rasa.server as server

    from bot.servers.rasa_server import harden_http_api

    original = server.validate_request_body
    try:
        harden_http_api()
        with pytest.raises(server.ErrorResponse) as refused:
            server.validate_request_body(SimpleNamespace(body=body, content_type="application/json"), "no body")
        assert refused.value.status == 400
        server.validate_request_body(SimpleNamespace(body=b'{"text": "bonjour"}', content_type="application/json"), "x")
        server.validate_request_body(SimpleNamespace(body=b"version: '3.1'", content_type="application/x-yaml"), "x")
    finally:
        server.validate_request_body = original


@pytest.mark.parametrize("body", [b"{not json", b'{"sender": "a", ', ("[" * 3000 + "]" * 3000).encode(), b"\xff\xfe"])
def test_a_rest_body_that_is_not_json_gets_a_french_400_not_sanic_s_english_one(servers, body):
    status, text = rest(servers, body)
    assert status == 400 and json.loads(text)["error"].startswith("Le contenu de la requête")
    assert not any(marker in text for marker in TRACE_MARKERS)
