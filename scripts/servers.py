"""Start the action server and the Rasa server on loopback, for tests and the benchmark.

Each run gets free ports, its own SQLite tracker database and its own token, so
tests never touch the `make run` instance or its data.
"""
from __future__ import annotations

import contextlib
import os
import secrets
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parents[1]
RASA = str(ROOT / ".venv" / "bin" / "rasa")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as reply:
            return reply.status == 200
    except OSError:
        return False


@dataclass
class Servers:
    workdir: Path
    rasa_port: int = field(default_factory=free_port)
    action_port: int = field(default_factory=free_port)
    token: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    startup_seconds: float = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def tracker_db(self) -> Path:
        return self.workdir / "tracker.db"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            ACTION_SERVER_PORT=str(self.action_port),
            TRACKER_DB=str(self.tracker_db),
            SANIC_HOST="127.0.0.1",
            PYTHONPATH=str(ROOT),
            RASA_TELEMETRY_ENABLED="false",
        )
        return env

    def _spawn(self, name: str, args: list[str]) -> None:
        log = open(self.workdir / f"{name}.log", "ab")
        self.processes[name] = subprocess.Popen(args, cwd=ROOT, env=self.env(), stdout=log, stderr=subprocess.STDOUT)

    def start_actions(self, timeout: float = 120) -> None:
        self._spawn("actions", [RASA, "run", "actions", "--port", str(self.action_port), "--actions", "actions"])
        self._wait(f"http://127.0.0.1:{self.action_port}/health", "actions", timeout)

    def start_rasa(self, timeout: float = 300) -> None:
        started = time.monotonic()
        self._spawn("rasa", [RASA, "run", "--enable-api", "--auth-token", self.token, "-i", "127.0.0.1",
                             "-p", str(self.rasa_port), "--model", "models", "--credentials", "credentials.yml",
                             "--endpoints", "endpoints.yml"])
        self._wait(f"{self.url}/status?token={self.token}", "rasa", timeout)
        self.startup_seconds = time.monotonic() - started

    def stop(self, name: str) -> None:
        process = self.processes.pop(name, None)
        if process and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()

    def stop_all(self) -> None:
        for name in list(self.processes):
            self.stop(name)

    def _wait(self, url: str, name: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if _ready(url):
                return
            if self.processes[name].poll() is not None:
                raise RuntimeError(f"{name} exited; log: {(self.workdir / f'{name}.log').read_text()[-3000:]}")
            time.sleep(0.5)
        raise TimeoutError(f"{name} not ready after {timeout} s")


@contextlib.contextmanager
def running_servers(workdir: Path) -> Iterator[Servers]:
    servers = Servers(workdir)
    try:
        servers.start_actions()
        servers.start_rasa()
        yield servers
    finally:
        servers.stop_all()
