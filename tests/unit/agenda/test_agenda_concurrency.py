"""200 simultaneous holds on one slot: exactly one wins, on SQLite and on PostgreSQL.

The agenda service runs as in `make run` (python -m bot.agenda serve, a separate
process on loopback); the 200 requests leave together from one aiohttp session with
no connection limit.
"""
from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path

import aiohttp
import sqlalchemy as sa

from bot.paths import ROOT
from scripts.stack.postgres_server import postgres_url
from scripts.stack.servers import free_port

CONCURRENT = 200
TOKEN = "concurrency-token"


def start_service(database_url: str, workdir: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "AGENDA_DATABASE_URL": database_url, "AGENDA_TOKEN": TOKEN, "AGENDA_DEMO": "1",
           "PYTHONPATH": str(ROOT)}
    log = open(workdir / "agenda.log", "ab")
    process = subprocess.Popen([sys.executable, "-m", "bot.agenda", "serve", "--port", str(port)], cwd=ROOT,
                               env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=1):
                return process, url
        except OSError:
            assert process.poll() is None, (workdir / "agenda.log").read_text()
            time.sleep(0.3)
    process.kill()
    raise TimeoutError("agenda service did not start")


async def storm(url: str) -> tuple[Counter, int]:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with aiohttp.ClientSession(headers=headers, connector=aiohttp.TCPConnector(limit=0)) as session:
        async with session.get(f"{url}/api/slots", params={"mode": "video", "limit": "1"}) as reply:
            slot = (await reply.json())["slots"][0]
        start = asyncio.Event()

        async def one_hold() -> int:
            await start.wait()
            async with session.post(f"{url}/api/slots/{slot['slot_id']}/hold", json={"mode": "video"}) as reply:
                await reply.read()
                return reply.status

        tasks = [asyncio.create_task(one_hold()) for _ in range(CONCURRENT)]
        await asyncio.sleep(0.2)
        start.set()
        return Counter(await asyncio.gather(*tasks)), slot["slot_id"]


def run_storm(database_url: str, workdir: Path) -> None:
    process, url = start_service(database_url, workdir)
    try:
        statuses, slot_id = asyncio.run(storm(url))
    finally:
        process.terminate()
        process.wait(timeout=20)
    assert statuses == Counter({201: 1, 409: CONCURRENT - 1}), statuses
    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        held = connection.execute(sa.text("SELECT count(*) FROM holds WHERE slot_id = :id AND status = 'active'"),
                                  {"id": slot_id}).scalar()
    engine.dispose()
    assert held == 1


def test_200_simultaneous_holds_one_winner_on_sqlite(tmp_path):
    run_storm(f"sqlite:///{tmp_path}/agenda.db", tmp_path)


def test_200_simultaneous_holds_one_winner_on_postgresql(tmp_path):
    with postgres_url() as url:
        run_storm(url, tmp_path)
