"""`make run` (scripts/run.sh → scripts/stack/servers.py), the README's first command: it starts the
three servers on loopback, prints where they are, answers, starts again a server that stops
(the others keep serving), keeps its token off the command lines and its files private, and
stops cleanly on SIGTERM."""
import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from bot.paths import ROOT
from scripts.stack.servers import free_port

pytestmark = pytest.mark.model


def listening(port):
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


ACTION_TOKEN = "run-test-action-token-0123456789"


def children(pid):
    """{module run with -m: pid} of the processes `make run` started."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rpartition(")")[2].split()[1]) != pid:
                continue
            argv = (stat.parent / "cmdline").read_bytes().split(b"\0")
        except (OSError, ValueError, IndexError):
            continue
        if b"-m" in argv:
            found[argv[argv.index(b"-m") + 1].decode()] = int(stat.parent.name)
    return found


def answers(url, sender):
    request = urllib.request.Request(f"{url}/webhooks/rest/webhook", headers={"Content-Type": "application/json"},
                                     data=json.dumps({"sender": sender, "message": "Bonjour"}).encode())
    with urllib.request.urlopen(request, timeout=60) as reply:
        return "Acceptez-vous" in " ".join(message.get("text", "") for message in json.loads(reply.read()))


def wait_for(condition, seconds=120):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if condition():
                return True
        except OSError:
            pass
        time.sleep(1)
    return False


def test_make_run_starts_answers_and_stops_on_sigterm(tmp_path):
    ports = {name: free_port() for name in ("RASA_PORT", "ACTION_SERVER_PORT", "AGENDA_PORT")}
    env = {**os.environ, **{name: str(port) for name, port in ports.items()},
           "TRACKER_DB": str(tmp_path / "tracker.db"), "AGENDA_DATABASE_URL": f"sqlite:///{tmp_path / 'agenda.db'}",
           "RASA_AUTH_TOKEN": "run-test-token", "ACTION_SERVER_TOKEN": ACTION_TOKEN}
    for name in ("DATABASE_URL", "REDIS_URL"):
        env.pop(name, None)
    process = subprocess.Popen(["scripts/run.sh"], cwd=ROOT, env=env, text=True, start_new_session=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = []
    try:
        deadline = time.monotonic() + 600
        while not any("Stop with Ctrl-C." in line for line in output):  # the end of the banner
            line = process.stdout.readline()
            assert line or process.poll() is None, "".join(output)
            output.append(line)
            assert time.monotonic() < deadline, "".join(output)
        url = f"http://127.0.0.1:{ports['RASA_PORT']}"
        request = urllib.request.Request(f"{url}/webhooks/rest/webhook", headers={"Content-Type": "application/json"},
                                         data=json.dumps({"sender": "make-run", "message": "Bonjour"}).encode())
        with urllib.request.urlopen(request, timeout=60) as reply:
            assert "Acceptez-vous" in " ".join(message.get("text", "") for message in json.loads(reply.read()))
        assert f"Conversations   {tmp_path / 'tracker.db'} (SQLite)" in "".join(output)

        # No token on a command line (`ps`); the conversations private (umask 077).
        started = children(process.pid)
        assert {"bot.servers.rasa_server", "bot.servers.action_server", "bot.agenda"} <= set(started), started
        for pid in started.values():
            command_line = Path(f"/proc/{pid}/cmdline").read_bytes()
            assert b"run-test-token" not in command_line and ACTION_TOKEN.encode() not in command_line
        assert (tmp_path / "tracker.db").stat().st_mode & 0o077 == 0

        # A process that stops (here killed) is started again; the others keep serving meanwhile.
        os.kill(started["bot.servers.action_server"], signal.SIGKILL)
        os.kill(started["bot.agenda"], signal.SIGKILL)
        actions_health = urllib.request.Request(f"http://127.0.0.1:{ports['ACTION_SERVER_PORT']}/health",
                                                headers={"X-Action-Token": ACTION_TOKEN})
        assert wait_for(lambda: urllib.request.urlopen(actions_health, timeout=2).status == 200)
        assert wait_for(lambda: urllib.request.urlopen(
            f"http://127.0.0.1:{ports['AGENDA_PORT']}/health", timeout=2).status == 200)
        again = children(process.pid)
        assert again["bot.servers.action_server"] != started["bot.servers.action_server"] and again["bot.agenda"] != started["bot.agenda"]
        assert again["bot.servers.rasa_server"] == started["bot.servers.rasa_server"]  # never stopped
        assert answers(url, "make-run-after-restart")
    finally:
        process.send_signal(signal.SIGTERM)
        rest, _ = process.communicate(timeout=60)
    assert process.returncode == 0, rest
    assert "Stopped." in rest
    assert not any(listening(port) for port in ports.values())
