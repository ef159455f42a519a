"""A Redis server on loopback for tests, the benchmark and `make run-cluster`.

Uses Debian's `redis-server` (installed by scripts/ensure_cluster_packages.sh), never the system
service. Always with a password, written to a config file of mode 600 (not on the command
line, where `ps` shows it). Without `data_dir`: a throwaway server, nothing written to disk.
With `data_dir`: snapshots there (RDB), kept across restarts.
TEST_REDIS_URL, when set, is what `redis_url()` yields instead (an existing server).
"""
from __future__ import annotations

import contextlib
import os
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
    # Locks, channel state and the socket.io bus are small; noeviction: a lock is never silently dropped.
    return (f"bind 127.0.0.1\nport {port}\nrequirepass {password}\nprotected-mode yes\nappendonly no\n"
            f"maxmemory 256mb\nmaxmemory-policy noeviction\n{persistence}")


class RedisServer:
    """One redis-server process; `stop()` then `start()` again on the same port and password
    (a test of what the channels do while Redis is down)."""

    def __init__(self, binary: str, workdir: Path, data_dir: Path | None = None, port: int | None = None,
                 password: str | None = None, log: Path | None = None) -> None:
        self.binary, self.workdir, self.data_dir = binary, workdir, data_dir
        self.port = port or _free_port()
        self.password = password or secrets.token_hex(16)
        self.log = log or workdir / "redis.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://:{self.password}@127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 20.0) -> None:
        if self.data_dir is not None:
            self.data_dir.mkdir(parents=True, exist_ok=True)
        config = self.workdir / "redis.conf"
        config.touch(mode=0o600)
        config.write_text(config_text(self.port, self.password, self.data_dir), encoding="utf-8")
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen([self.binary, str(config)], cwd=self.data_dir or self.workdir,
                                            stdout=log, stderr=subprocess.STDOUT)
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + timeout
        try:
            while True:
                try:
                    client.ping()
                    return
                except redis.ConnectionError:
                    if self.process.poll() is not None or time.monotonic() > deadline:
                        self.stop()
                        raise RuntimeError(f"redis-server did not start (see {self.log})")
                    time.sleep(0.05)
        finally:
            client.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # SIGTERM: a persistent server saves its snapshot first
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


@contextlib.contextmanager
def redis_server(data_dir: Path | None = None, port: int | None = None, password: str | None = None,
                 log: Path | None = None) -> Iterator[RedisServer]:
    """A running server of our own (never TEST_REDIS_URL: the caller may stop it)."""
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not Path(binary).exists():
        raise RedisMissing("redis-server is not installed: run scripts/ensure_cluster_packages.sh "
                           "(apt-get install redis-server)")
    workdir = Path(tempfile.mkdtemp(prefix="redis-"))
    server = RedisServer(binary, workdir, data_dir=data_dir, port=port, password=password, log=log)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


@contextlib.contextmanager
def redis_url() -> Iterator[str]:
    if os.environ.get("TEST_REDIS_URL"):
        yield os.environ["TEST_REDIS_URL"]
        return
    with redis_server() as server:
        yield server.url
