"""A Redis server on loopback for tests and `make run-cluster`.

Uses Debian's binary (package `redis-server`, installed by scripts/ensure_cluster_packages.sh),
never the system service. Always with a password (in a config file of mode 600, not on the
command line where `ps` shows it). Without `data_dir`: a throwaway server in a temporary
directory, nothing written to disk. With `data_dir`: snapshots there (RDB), kept across restarts.
"""
from __future__ import annotations

import contextlib
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Iterator

import redis


class RedisMissing(RuntimeError):
    pass


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def config_text(port: int, password: str, data_dir: Path | None) -> str:
    persistence = (f'dir "{data_dir}"\ndbfilename dump.rdb\nsave 300 1\nsave 60 100\n' if data_dir
                   else 'save ""\n')
    # Locks and the socket.io bus are small; noeviction: a lock is never silently dropped.
    return (f"bind 127.0.0.1\nport {port}\nrequirepass {password}\nprotected-mode yes\nappendonly no\n"
            f"maxmemory 256mb\nmaxmemory-policy noeviction\n{persistence}")


@contextlib.contextmanager
def redis_server(data_dir: Path | None = None, port: int | None = None, password: str | None = None,
                 log: Path | None = None) -> Iterator[tuple[str, subprocess.Popen]]:
    """Yields (redis://:password@127.0.0.1:port/0, the server process)."""
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not Path(binary).exists():
        raise RedisMissing("redis-server is not installed: run scripts/ensure_cluster_packages.sh "
                           "(apt-get install redis-server)")
    base = Path(tempfile.mkdtemp(prefix="redis-"))
    port = port or _free_port()
    password = password or secrets.token_hex(16)
    if data_dir is not None:
        data_dir.mkdir(parents=True, exist_ok=True)
    config = base / "redis.conf"
    config.touch(mode=0o600)
    config.write_text(config_text(port, password, data_dir), encoding="utf-8")
    output = open(log, "ab") if log else subprocess.DEVNULL
    process = subprocess.Popen([binary, str(config)], cwd=data_dir or base, stdout=output, stderr=subprocess.STDOUT)
    url = f"redis://:{password}@127.0.0.1:{port}/0"
    try:
        client = redis.Redis.from_url(url)
        deadline = time.monotonic() + 20
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not start (exit status {process.poll()})")
                time.sleep(0.1)
        client.close()
        yield url, process
    finally:
        process.terminate()  # SIGTERM: a persistent server saves its snapshot first
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        if log:
            output.close()
        shutil.rmtree(base, ignore_errors=True)
