"""`make run` (scripts/run.sh → scripts/servers.py), the README's first command: it starts the
three servers on loopback, prints where they are, answers, and stops cleanly on SIGTERM."""
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from servers import free_port  # noqa: E402

pytestmark = pytest.mark.model


def listening(port):
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_make_run_starts_answers_and_stops_on_sigterm(tmp_path):
    ports = {name: free_port() for name in ("RASA_PORT", "ACTION_SERVER_PORT", "AGENDA_PORT")}
    env = {**os.environ, **{name: str(port) for name, port in ports.items()},
           "TRACKER_DB": str(tmp_path / "tracker.db"), "AGENDA_DATABASE_URL": f"sqlite:///{tmp_path / 'agenda.db'}",
           "RASA_AUTH_TOKEN": "run-test-token"}
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
    finally:
        process.send_signal(signal.SIGTERM)
        rest, _ = process.communicate(timeout=60)
    assert process.returncode == 0, rest
    assert "Stopped." in rest
    assert not any(listening(port) for port in ports.values())
