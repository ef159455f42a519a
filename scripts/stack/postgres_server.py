"""A PostgreSQL server on loopback for tests, benchmarks and `make run-cluster`.

Uses Debian's binaries (package `postgresql`, installed by scripts/ensure_postgres.sh),
never the system service. initdb refuses to run as root, so as root the cluster runs as the
`postgres` user. Two kinds:
- throwaway (no `data_dir`): a temporary directory, fsync off, trust authentication on
  127.0.0.1, deleted on exit. TEST_DATABASE_URL, when set, is used instead (`postgres_url`);
- persistent (`data_dir`): created on first use with a password (scram-sha-256), kept
  across restarts, stopped cleanly.
"""
from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from typing import Iterator
from urllib.parse import quote


def _bin_dir() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(candidates[-1]).parent if candidates else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresMissing(RuntimeError):
    pass


@contextlib.contextmanager
def postgres_server(data_dir: Path | None = None, port: int | None = None, password: str | None = None,
                    max_connections: int = 300) -> Iterator[str]:
    """Yields the URL of the server's `postgres` database (create others with `create_database`)."""
    bin_dir = _bin_dir()
    if bin_dir is None:
        raise PostgresMissing("PostgreSQL is not installed: run scripts/ensure_postgres.sh (apt-get install postgresql)")
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    throwaway = data_dir is None
    base = Path(tempfile.mkdtemp(prefix="pg-")) if throwaway else data_dir.resolve()
    data = base / "data"
    base.mkdir(parents=True, exist_ok=True)
    if as_user:
        shutil.chown(base, "postgres")
    port = port or _free_port()

    def run(*args: str) -> None:
        done = subprocess.run(as_user + list(args), cwd=base, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if done.returncode:
            raise RuntimeError(f"{Path(args[0]).name} failed: {done.stderr.decode(errors='replace')[-2000:]}")

    if not (data / "PG_VERSION").exists():
        if throwaway:
            run(str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        else:
            password_file = base / "initdb-password"
            password_file.write_text(password or "", encoding="utf-8")
            password_file.chmod(0o600)
            if as_user:
                shutil.chown(password_file, "postgres")
            try:
                run(str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=scram-sha-256",
                    f"--pwfile={password_file}", "-E", "UTF8")
            finally:
                password_file.unlink()
    options = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c max_connections={max_connections}"
    if throwaway:
        options += " -c fsync=off"
    run(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(base / "log"), "-w", "-o", options, "start")
    credentials = f"postgres:{quote(password, safe='')}" if password and not throwaway else "postgres"
    try:
        yield f"postgresql://{credentials}@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(as_user + [str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate" if throwaway else "fast",
                                  "-w", "stop"], cwd=base, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if throwaway:
            shutil.rmtree(base, ignore_errors=True)


def create_database(server_url: str, name: str) -> str:
    """Creates database `name` unless it exists; returns its URL."""
    import sqlalchemy as sa

    engine = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            exists = connection.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                        {"name": name}).first()
            if not exists:
                connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return str(sa.engine.make_url(server_url).set(database=name).render_as_string(hide_password=False))


@contextlib.contextmanager
def postgres_url() -> Iterator[str]:
    """A throwaway server's `agenda` database (or TEST_DATABASE_URL)."""
    if os.environ.get("TEST_DATABASE_URL"):
        yield os.environ["TEST_DATABASE_URL"]
        return
    with postgres_server() as server_url:
        yield create_database(server_url, "agenda")
