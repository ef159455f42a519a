"""Start the action server and the Rasa server on loopback: one launcher for
`make run` (this file's main), the integration tests and the benchmark.

Tests and the benchmark get free ports, their own SQLite tracker database and their
own token, so they never touch the `make run` instance or its data.
"""
from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, ContextManager, Iterator

from bot.paths import ROOT
RASA = str(ROOT / ".venv" / "bin" / "rasa")


def rss_mb(pid: int) -> dict[str, float]:
    """Current (VmRSS) and peak (VmHWM, since the process started) resident memory."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024
    return {"rss_mb": round(fields["VmRSS"], 1), "peak_rss_mb": round(fields["VmHWM"], 1)}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _ready(url: str, headers: dict[str, str] | None = None) -> bool:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=2) as reply:
            return reply.status == 200
    except OSError:
        return False


def read_dotenv(path: Path, environ: dict[str, str]) -> None:
    """Fill `environ` from a KEY=value file; a variable already set in the environment wins."""
    if not path.exists():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        key, sep, value = line.strip().partition("=")
        if sep and key and not key.startswith("#"):
            environ.setdefault(key.strip(), value.strip())


@dataclass
class Servers:
    workdir: Path  # logs, and the tracker database unless `tracker_db` is given
    rasa_port: int = field(default_factory=free_port)
    action_port: int = field(default_factory=free_port)
    agenda_port: int = field(default_factory=free_port)
    token: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    agenda_token: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    # The action server's shared secret (bot/servers/action_server.py), sent by Rasa (endpoints.yml).
    action_token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    tracker_db: Path | None = None
    agenda_db_url: str | None = None  # SQLite beside the tracker unless given (e.g. PostgreSQL)
    mail_dir: Path | None = None  # the agenda's e-mails without SMTP_URL: beside the tracker unless given
    # The shared stores of a deployment with several replicas (scripts/stack/cluster.py). Unset, they
    # are removed from the servers' environment: a test never reaches an exported production one.
    database_url: str | None = None  # tracker store (DATABASE_URL), instead of `tracker_db`
    redis_url: str | None = None  # lock store and the widget's socket.io bus (REDIS_URL)
    extra_env: dict[str, str] = field(default_factory=dict)  # e.g. channel secrets for a test
    # Off for tests and the benchmark (many fast turns from 127.0.0.1); `make run` turns
    # them on. A test that checks them sets RATE_LIMIT_* in extra_env.
    rate_limits: bool = False
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    commands: dict[str, list[str]] = field(default_factory=dict)  # how to start each again
    restarts: dict[str, int] = field(default_factory=dict)  # how many times each was restarted
    startup_seconds: float = 0.0

    def __post_init__(self) -> None:
        self.tracker_db = self.tracker_db or self.workdir / "tracker.db"
        self.agenda_db_url = self.agenda_db_url or f"sqlite:///{self.workdir / 'agenda.db'}"
        self.mail_dir = self.mail_dir or self.workdir / "mail"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def agenda_url(self) -> str:
        return f"http://127.0.0.1:{self.agenda_port}"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            ACTION_SERVER_PORT=str(self.action_port),
            TRACKER_DB=str(self.tracker_db),
            AGENDA_URL=self.agenda_url,
            AGENDA_TOKEN=self.agenda_token,
            ACTION_SERVER_TOKEN=self.action_token,
            RASA_AUTH_TOKEN=self.token,  # read by bot/servers/rasa_server.py: never on a command line (`ps`)
            AGENDA_DATABASE_URL=self.agenda_db_url,
            # Without SMTP_URL the agenda writes its e-mails as files (`make run`: var/mail/).
            MAIL_DIR=str(self.mail_dir),
            SANIC_HOST="127.0.0.1",
            PYTHONPATH=str(ROOT),
            RASA_TELEMETRY_ENABLED="false",
        )
        for name, value in (("DATABASE_URL", self.database_url), ("REDIS_URL", self.redis_url)):
            if value:
                env[name] = value
            else:
                env.pop(name, None)
        if not self.rate_limits:
            env.update(RATE_LIMIT_PER_SENDER="0", RATE_LIMIT_PER_IP="0")
        env.update(self.extra_env)
        return env

    @property
    def action_headers(self) -> dict[str, str]:
        return {"X-Action-Token": self.action_token}

    def _spawn(self, name: str, args: list[str]) -> None:
        # Logs and databases readable by this user only (umask of the servers, and the log itself).
        path = self.workdir / f"{name}.log"
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "ab") as log:
            path.chmod(0o600)
            self.commands[name] = args
            self.processes[name] = subprocess.Popen(args, cwd=ROOT, env=self.env(), stdout=log,
                                                    stderr=subprocess.STDOUT, umask=0o077)

    def restart(self, name: str) -> None:
        """Start a process that stopped again, with the same command (supervision)."""
        self.restarts[name] = self.restarts.get(name, 0) + 1
        self._spawn(name, self.commands[name])

    def start_agenda(self, timeout: float = 60) -> None:
        python = str(ROOT / ".venv" / "bin" / "python")
        self._spawn("agenda", [python, "-m", "bot.agenda", "serve", "--port", str(self.agenda_port)])
        self._wait(f"{self.agenda_url}/health", "agenda", timeout)

    def start_actions(self, timeout: float = 120) -> None:
        self._spawn("actions", self.actions_command())
        self._wait(f"http://127.0.0.1:{self.action_port}/health", "actions", timeout, self.action_headers)

    def rasa_command(self, port: int | None = None) -> list[str]:
        # `rasa run` through bot/servers/rasa_server.py, which adds --auth-token from RASA_AUTH_TOKEN
        # (env()): a token on the command line would be readable by every user in `ps`.
        python = str(ROOT / ".venv" / "bin" / "python")
        return [python, "-m", "bot.servers.rasa_server", "run", "--enable-api", "-i", "127.0.0.1",
                "-p", str(port or self.rasa_port), "--model", "models", "--credentials", "credentials.yml",
                "--endpoints", "endpoints.yml"]

    def actions_command(self, port: int | None = None) -> list[str]:
        # rasa_sdk itself, what `rasa run actions` calls after importing Rasa's CLI: half the
        # memory (54 MB, not 131 MB) and a faster start (docs/performance.md); through
        # bot/servers/action_server.py, which requires the shared secret ACTION_SERVER_TOKEN.
        python = str(ROOT / ".venv" / "bin" / "python")
        return [python, "-m", "bot.servers.action_server", "--port", str(port or self.action_port), "--actions", "actions"]

    def start_rasa(self, timeout: float = 300) -> None:
        started = time.monotonic()
        self._spawn("rasa", self.rasa_command())
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
        # All at once, then wait: replicas stop in parallel rather than one after the other.
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for name in list(self.processes):
            self.stop(name)

    def _wait(self, url: str, name: str, timeout: float, headers: dict[str, str] | None = None) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if _ready(url, headers):
                return
            if self.processes[name].poll() is not None:
                raise RuntimeError(f"{name} exited; log: {(self.workdir / f'{name}.log').read_text()[-3000:]}")
            time.sleep(0.5)
        raise TimeoutError(f"{name} not ready after {timeout} s")


@contextlib.contextmanager
def running_servers(workdir: Path, **settings) -> Iterator[Servers]:
    servers = Servers(workdir, **settings)
    try:
        servers.start_agenda()
        servers.start_actions()
        servers.start_rasa()
        yield servers
    finally:
        servers.stop_all()


BANNER = """
Médiation Accueil is running.
  Rasa HTTP API   {url}   (token: RASA_AUTH_TOKEN, from the environment or .env)
  Action server   http://127.0.0.1:{action_port}
  Agenda service  {agenda_url}   (API: bot/agenda/openapi.yaml; token AGENDA_TOKEN)
  Agenda data     {agenda_db}
  Conversations   {db}       Logs: {logs}/

Website widget (demo page): {url}/webhooks/widget/demo
Mobile app API:  {url}/webhooks/app/   (bot/channels/app-openapi.yaml)
Platform webhooks (README, "Connecting the channels"):
  {url}/webhooks/messenger/webhook   {url}/webhooks/whatsapp/webhook   {url}/webhooks/twilio/webhook

Talk to it over the REST channel:
  curl -s {url}/webhooks/rest/webhook -H 'Content-Type: application/json' \\
       -d '{{"sender": "moi", "message": "Bonjour"}}'
or in a terminal:  make shell
Stop with Ctrl-C.
"""


def database_location(url: str) -> str:
    """A database URL without its credentials, for a banner."""
    return url.split("@")[-1]


def _tracker_description(servers: Servers) -> str:
    if servers.database_url:
        return f"{database_location(servers.database_url)} (DATABASE_URL)"
    path = servers.tracker_db
    return f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path} (SQLite)"  # TRACKER_DB may be elsewhere


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def restart_delay(quick_failures: int) -> float:
    """Seconds before starting again a process that stopped: at once the first time, then
    backing off (2, 4, … 60 s) while it keeps stopping within a minute of its start."""
    return 0.0 if quick_failures <= 1 else min(2.0 ** (quick_failures - 1), 60.0)


def supervise(servers: Servers, stop: Callable[[], bool] = lambda: False, tick: float = 1.0) -> None:
    """Until `stop()` (or Ctrl-C / SIGTERM): a process that stops is started again, alone; the
    others keep serving. One bad request that ends a process must not end the service."""
    started = {name: time.monotonic() for name in servers.processes}
    quick_failures: dict[str, int] = {}
    due: dict[str, float] = {}
    while not stop():
        now = time.monotonic()
        for name, process in list(servers.processes.items()):
            if process.poll() is None or name in due:
                continue
            quick = now - started.get(name, 0.0) < 60
            quick_failures[name] = quick_failures.get(name, 0) + 1 if quick else 1
            due[name] = now + restart_delay(quick_failures[name])
            print(f"{name} stopped (exit code {process.returncode}); starting it again", flush=True)
        for name, when in list(due.items()):
            if now >= when:
                del due[name]
                started[name] = time.monotonic()
                servers.restart(name)
        time.sleep(tick)


def serve_in_foreground(start: ContextManager[Servers], banner: Callable[[Servers], str], logs: Path,
                        what: str) -> None:
    """Start, print the banner, run until Ctrl-C or SIGTERM (`make run`, `make run-cluster`),
    starting again any process that stops."""
    signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops everything like Ctrl-C
    try:
        with start as servers:
            print(banner(servers), flush=True)
            supervise(servers)
    except KeyboardInterrupt:
        print("\nStopped.")
    except (RuntimeError, TimeoutError) as error:
        raise SystemExit(f"{what} failed to start ({error}); see {logs.relative_to(ROOT)}/.")


def private_data_dirs(logs: Path) -> None:
    """var/ and the logs directory 0700, what is already in them 0600, and everything the
    servers create from now on private too (umask 077): conversations, agenda and logs are
    personal data."""
    os.umask(0o077)
    var = ROOT / "var"
    for directory in (var, logs):
        directory.mkdir(parents=True, exist_ok=True)
        directory.chmod(0o700)
    for path in [*var.glob("*.db*"), *logs.glob("*")]:
        if path.is_file():
            path.chmod(0o600)


def main() -> None:
    """`make run`: the assistant on the configured ports until Ctrl-C."""
    read_dotenv(ROOT / ".env", os.environ)
    logs = ROOT / "var" / "log"
    private_data_dirs(logs)
    print("==> Starting (about a minute: TensorFlow and the French spaCy model load)…", flush=True)
    start = running_servers(
        logs,
        rasa_port=int(os.environ.get("RASA_PORT", "5005")),
        action_port=int(os.environ.get("ACTION_SERVER_PORT", "5055")),
        token=os.environ["RASA_AUTH_TOKEN"],
        tracker_db=ROOT / os.environ.get("TRACKER_DB", "var/tracker.db"),
        agenda_port=int(os.environ.get("AGENDA_PORT", "5056")),
        agenda_token=os.environ["AGENDA_TOKEN"], action_token=os.environ["ACTION_SERVER_TOKEN"],
        rate_limits=True,
        database_url=os.environ.get("DATABASE_URL") or None,
        redis_url=os.environ.get("REDIS_URL") or None,
        agenda_db_url=os.environ.get("AGENDA_DATABASE_URL") or os.environ.get("DATABASE_URL")
        or f"sqlite:///{ROOT / 'var' / 'agenda.db'}",
        mail_dir=Path(os.environ.get("MAIL_DIR") or ROOT / "var" / "mail"),
    )
    serve_in_foreground(start, lambda servers: BANNER.format(
        url=servers.url, action_port=servers.action_port, agenda_url=servers.agenda_url,
        agenda_db=database_location(servers.agenda_db_url), db=_tracker_description(servers),
        logs=logs.relative_to(ROOT)), logs, "A server")


if __name__ == "__main__":
    main()
