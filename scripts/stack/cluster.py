"""Several Rasa replicas and action servers behind nginx, on PostgreSQL and Redis, all on
127.0.0.1: `make run-cluster` (this file's main) and tests/e2e/test_cluster.py.

    PostgreSQL   tracker store (database `mediation`, DATABASE_URL) and agenda (`agenda`)
    Redis        Rasa's lock store and the widget's socket.io bus (REDIS_URL)
    agenda       one `python -m bot.agenda serve`, on PostgreSQL
    actions-N    stateless Rasa SDK action servers, behind nginx's action port
    rasa-N       stateless `rasa run` replicas, same token and endpoints.yml, behind nginx
    nginx        round robin over the replicas; /socket.io/ sticky by client address

Built on scripts/stack/servers.py (same environment, logs and process handling as `make run`).
Tests get throwaway PostgreSQL and Redis; `make run-cluster` keeps their data under
var/cluster/ (passwords generated once into var/cluster/secrets.json). docs/deploy.md
describes the same deployment for an operator.
"""
from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from scripts.stack.postgres_server import create_database, postgres_server
from scripts.stack.redis_server import redis_server
from scripts.stack.servers import (ROOT, Servers, _ready, database_location, free_port, private_data_dirs,
                     read_dotenv, rss_mb, serve_in_foreground)

NGINX_TEMPLATE = Path(__file__).resolve().parent / "nginx-cluster.conf"
TRACKER_DATABASE, AGENDA_DATABASE = "mediation", "agenda"
# Pool sizes, explicit: per Rasa replica (bot/rasa_plugins/tracker_store.py) and for the agenda (bot/agenda/db.py).
POOL_DEFAULTS = {"DATABASE_POOL_SIZE": "5", "DATABASE_MAX_OVERFLOW": "5",
                 "AGENDA_POOL_SIZE": "10", "AGENDA_MAX_OVERFLOW": "10"}


def nginx_binary() -> str:
    found = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(found).exists():
        raise RuntimeError("nginx is not installed: run scripts/ensure_cluster_packages.sh (apt-get install nginx)")
    return found


def nginx_config(prefix: Path, temp: Path, http_port: int, actions_port: int,
                 rasa_ports: list[int], action_ports: list[int]) -> str:
    def servers(ports: list[int]) -> str:
        return "\n".join(f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=5s;" for port in ports)

    # As root nginx would run its workers as `nobody` anyway: say so, with its group.
    user = "user nobody nogroup;" if os.geteuid() == 0 else ""
    text = NGINX_TEMPLATE.read_text(encoding="utf-8")
    for name, value in (("USER", user), ("PREFIX", str(prefix)), ("TEMP", str(temp)),
                        ("HTTP_PORT", str(http_port)), ("ACTIONS_PORT", str(actions_port)),
                        ("RASA_SERVERS", servers(rasa_ports)), ("ACTION_SERVERS", servers(action_ports))):
        text = text.replace(f"@{name}@", value)
    return text


def _children(pid: int) -> list[int]:
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            # "pid (comm) state ppid …": comm may hold spaces, so split after its ")".
            if int(stat.read_text().rpartition(")")[2].split()[1]) == pid:
                children.append(int(stat.parent.name))
    return children


def process_tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (PostgreSQL's backends, nginx's workers)."""
    total = rss_mb(pid)["rss_mb"]
    for child in _children(pid):
        with contextlib.suppress(OSError, KeyError):
            total += process_tree_rss_mb(child)
    return round(total, 1)


@dataclass
class Cluster(Servers):
    """`url` is nginx's; `replica_urls` the replicas' own; `action_port` nginx's action port."""
    rasa_replicas: int = 2
    action_replicas: int = 2
    data_dir: Path | None = None  # None: throwaway PostgreSQL and Redis (tests)
    replica_ports: list[int] = field(default_factory=list)
    action_ports: list[int] = field(default_factory=list)
    startup: dict[str, float] = field(default_factory=dict)  # seconds from launch to ready
    store_pids: dict[str, int] = field(default_factory=dict)  # postgres, redis

    def __post_init__(self) -> None:
        super().__post_init__()
        self.replica_ports = self.replica_ports or [free_port() for _ in range(self.rasa_replicas)]
        self.action_ports = self.action_ports or [free_port() for _ in range(self.action_replicas)]

    @property
    def replica_urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.replica_ports]

    def env(self) -> dict[str, str]:
        env = super().env()
        for name, value in POOL_DEFAULTS.items():
            env.setdefault(name, value)
        # Sanic takes the client's address from nginx's X-Forwarded-For (rate limits per IP).
        env["SANIC_PROXIES_COUNT"] = "1"
        return env

    # ---- Shared stores -----------------------------------------------------------------------

    def start_stores(self, stack: contextlib.ExitStack) -> None:
        started = time.monotonic()
        passwords = self._passwords()
        pg_dir = self.data_dir / "postgres" if self.data_dir else None
        server_url = stack.enter_context(postgres_server(pg_dir, password=passwords.get("postgres")))
        self.database_url = create_database(server_url, TRACKER_DATABASE)
        self.agenda_db_url = create_database(server_url, AGENDA_DATABASE)
        self.store_pids["postgres"] = self._postmaster_pid(server_url)
        self.startup["postgres"] = round(time.monotonic() - started, 1)
        started = time.monotonic()
        redis_dir = self.data_dir / "redis" if self.data_dir else None
        redis = stack.enter_context(
            redis_server(redis_dir, password=passwords.get("redis"), log=self.workdir / "redis.log"))
        self.redis_url = redis.url
        self.store_pids["redis"] = redis.process.pid
        self.startup["redis"] = round(time.monotonic() - started, 1)

    def _passwords(self) -> dict[str, str]:
        """Generated once per persistent data directory; throwaway stores get fresh ones."""
        if self.data_dir is None:
            return {}
        path = self.data_dir / "secrets.json"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600)
            path.write_text(json.dumps({"postgres": secrets.token_hex(24), "redis": secrets.token_hex(24)}))
        return json.loads(path.read_text())

    @staticmethod
    def _postmaster_pid(server_url: str) -> int:
        import sqlalchemy as sa

        engine = sa.create_engine(server_url)
        try:
            with engine.connect() as connection:
                directory = connection.execute(sa.text("SHOW data_directory")).scalar()
        finally:
            engine.dispose()
        return int(Path(directory, "postmaster.pid").read_text().split()[0])

    # ---- Servers -----------------------------------------------------------------------------

    def start_services(self, timeout: float = 900) -> None:
        started = time.monotonic()
        self.start_agenda()
        self.startup["agenda"] = round(time.monotonic() - started, 1)
        checks = {}
        launched = time.monotonic()
        for number, port in enumerate(self.action_ports, 1):
            self._spawn(f"actions-{number}", self.actions_command(port))
            checks[f"actions-{number}"] = (f"http://127.0.0.1:{port}/health", self.action_headers)
        for number, port in enumerate(self.replica_ports, 1):  # in parallel: each loads TensorFlow
            self._spawn(f"rasa-{number}", self.rasa_command(port))
            checks[f"rasa-{number}"] = f"http://127.0.0.1:{port}/status?token={self.token}"
        self._start_nginx()
        checks["nginx"] = f"{self.url}/lb/health"
        self._wait_all(checks, launched, timeout)
        self.startup["total"] = round(time.monotonic() - started, 1)

    def _start_nginx(self) -> None:
        prefix = self.workdir / "nginx"
        prefix.mkdir(parents=True, exist_ok=True)
        # Temporary files (large bodies) where nginx's unprivileged workers may write.
        temp = Path(tempfile.mkdtemp(prefix="nginx-"))
        self._nginx_temp = temp
        if os.geteuid() == 0:
            temp.chmod(0o755)
            shutil.chown(temp, "nobody", "nogroup")
        config = prefix / "nginx.conf"
        config.write_text(nginx_config(prefix, temp, self.rasa_port, self.action_port,
                                       self.replica_ports, self.action_ports), encoding="utf-8")
        command = [nginx_binary(), "-p", str(prefix), "-c", str(config), "-e", str(prefix / "error.log")]
        tested = subprocess.run(command + ["-t", "-q"], capture_output=True, text=True)
        if tested.returncode:
            raise RuntimeError(f"nginx refused its configuration: {tested.stderr[-2000:]}")
        self._spawn("nginx", command)

    def _wait_all(self, checks: dict[str, str | tuple[str, dict[str, str]]], launched: float,
                  timeout: float) -> None:
        pending = dict(checks)
        while pending:
            for name, check in list(pending.items()):
                url, headers = check if isinstance(check, tuple) else (check, None)
                if _ready(url, headers):
                    self.startup[name] = round(time.monotonic() - launched, 1)
                    del pending[name]
                elif self.processes[name].poll() is not None:
                    raise RuntimeError(f"{name} exited; log: {(self.workdir / f'{name}.log').read_text()[-3000:]}")
            if pending and time.monotonic() - launched > timeout:
                raise TimeoutError(f"not ready after {timeout} s: {', '.join(pending)}")
            time.sleep(0.5)

    def stop_all(self) -> None:
        super().stop_all()
        temp = getattr(self, "_nginx_temp", None)
        if temp:
            shutil.rmtree(temp, ignore_errors=True)

    def memory(self) -> dict[str, float]:
        """Resident memory (MB) of every process now; PostgreSQL and nginx with their children."""
        usage = {name: (process_tree_rss_mb(process.pid) if name == "nginx" else rss_mb(process.pid)["rss_mb"])
                 for name, process in self.processes.items() if process.poll() is None}
        usage["redis"] = rss_mb(self.store_pids["redis"])["rss_mb"]
        usage["postgres"] = process_tree_rss_mb(self.store_pids["postgres"])
        return usage


@contextlib.contextmanager
def running_cluster(workdir: Path, **settings) -> Iterator[Cluster]:
    cluster = Cluster(workdir, **settings)
    with contextlib.ExitStack() as stack:
        cluster.start_stores(stack)  # stopped last (the stack unwinds in reverse)
        stack.callback(cluster.stop_all)
        cluster.start_services()
        yield cluster


BANNER = """
Médiation Accueil is running as a cluster (docs/deploy.md), everything on 127.0.0.1.
  Entry point (nginx)   {url}   (Rasa HTTP API token: RASA_AUTH_TOKEN)
    website widget demo {url}/webhooks/widget/demo
    REST channel        {url}/webhooks/rest/webhook
  Rasa replicas         {replicas}
  Action servers        {actions}   (behind nginx: http://127.0.0.1:{action_port})
  Agenda service        {agenda_url}   (token AGENDA_TOKEN)
  PostgreSQL            {database}  and  {agenda_db}   (data: {data}/postgres)
  Redis                 {redis}   (locks, widget bus; data: {data}/redis)
  Passwords             {data}/secrets.json      Logs: {logs}/
Started in {total} s ({startup}).
Memory (MB): {memory}.
Stop with Ctrl-C.
"""


def _banner(cluster: Cluster, data: Path, logs: Path) -> str:
    return BANNER.format(
        url=cluster.url, replicas="  ".join(cluster.replica_urls), action_port=cluster.action_port,
        actions="  ".join(f"http://127.0.0.1:{port}" for port in cluster.action_ports),
        agenda_url=cluster.agenda_url, database=database_location(cluster.database_url),
        agenda_db=database_location(cluster.agenda_db_url), redis=database_location(cluster.redis_url),
        total=cluster.startup["total"],
        startup=", ".join(f"{name} {seconds} s" for name, seconds in cluster.startup.items() if name != "total"),
        memory=", ".join(f"{name} {mb:.0f}" for name, mb in cluster.memory().items()),
        data=data.relative_to(ROOT), logs=logs.relative_to(ROOT))


def main() -> None:
    """`make run-cluster`: the cluster until Ctrl-C or SIGTERM."""
    read_dotenv(ROOT / ".env", os.environ)
    data = ROOT / "var" / "cluster"
    logs = data / "log"
    private_data_dirs(logs)
    data.chmod(0o700)
    replicas = int(os.environ.get("RASA_REPLICAS", "2"))
    print(f"==> Starting PostgreSQL, Redis, the agenda, {replicas} Rasa replicas in parallel and nginx "
          "(a few minutes: each replica loads TensorFlow and the French spaCy model)…", flush=True)
    start = running_cluster(
        logs, data_dir=data, rasa_replicas=replicas, action_replicas=int(os.environ.get("ACTION_REPLICAS", "2")),
        rasa_port=int(os.environ.get("CLUSTER_PORT", "5080")), token=os.environ["RASA_AUTH_TOKEN"],
        agenda_token=os.environ["AGENDA_TOKEN"], action_token=os.environ["ACTION_SERVER_TOKEN"], rate_limits=True)
    serve_in_foreground(start, lambda cluster: _banner(cluster, data, logs), logs, "The cluster")


if __name__ == "__main__":
    main()
