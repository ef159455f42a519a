"""Channel part of the benchmark (called by scripts/bench/run.py, or alone).

On the real servers on loopback, with every outgoing platform call sent to a local
fake (tests/support/fake_platform.py):
- widget: socket.io turn latency, from emitting the message to the end-of-turn event;
- WhatsApp: how fast a signed webhook is acknowledged, and the time until the fake
  Graph API received the reply (ack first, turn in the background).
Bounded traffic: a few dozen turns, 127.0.0.1 only.
"""
from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from pathlib import Path

import socketio

from tests.support.fake_platform import CHANNEL_TEST_SECRETS
from tests.support.meta_payloads import signed_post, whatsapp_payload, whatsapp_text

WIDGET_TURNS = [{"message": "Bonjour"}, {"payload": "/affirm"},
                {"message": "Ma sœur et moi ne sommes pas d'accord sur la vente de la maison de nos parents"},
                {"payload": "/affirm"}, {"message": "ma sœur"}]


def _summary(values_ms: list[float]) -> dict[str, float]:
    ordered = sorted(values_ms)
    pick = lambda q: ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]  # noqa: E731
    return {"n": len(ordered), "p50_ms": round(pick(0.5), 1), "p95_ms": round(pick(0.95), 1)}


async def _widget_conversation(url: str, latencies: list[float]) -> None:
    request = urllib.request.Request(f"{url}/webhooks/widget/session", data=b"{}",
                                     headers={"Content-Type": "application/json"})
    token = json.loads(urllib.request.urlopen(request, timeout=30).read())["token"]
    client, ended = socketio.AsyncClient(reconnection=False), asyncio.Event()
    client.on("bot_typing", lambda data: None if data.get("typing") else ended.set())
    await client.connect(url, socketio_path="/socket.io", auth={"token": token}, transports=["polling"])
    try:
        for data in WIDGET_TURNS:
            ended.clear()
            started = time.perf_counter()
            await client.emit("user_uttered", data)
            await asyncio.wait_for(ended.wait(), 120)
            latencies.append((time.perf_counter() - started) * 1000)
    finally:
        await client.disconnect()


def measure(url: str, platform, conversations: int = 4) -> dict:
    widget: list[float] = []
    for _ in range(conversations):
        asyncio.run(_widget_conversation(url, widget))

    acks, replies = [], []
    secret = CHANNEL_TEST_SECRETS["WHATSAPP_APP_SECRET"]
    for n in range(conversations * 3):
        wa_id = f"3360000{n:04d}"
        sent_at, started = time.time(), time.perf_counter()
        status, _ = signed_post(f"{url}/webhooks/whatsapp/webhook", whatsapp_payload([whatsapp_text(wa_id, "Bonjour")]),
                                secret)
        acks.append((time.perf_counter() - started) * 1000)
        if status != 200:
            raise RuntimeError(f"WhatsApp webhook answered {status}")
        platform.wait_for(lambda r, w=wa_id: (r.json or {}).get("to") == w, timeout=120)
        first = min(r.received_at for r in platform.requests if (r.json or {}).get("to") == wa_id)
        replies.append((first - sent_at) * 1000)
    return {"widget_turn": _summary(widget), "whatsapp_ack": _summary(acks),
            "whatsapp_first_reply": _summary(replies)}


if __name__ == "__main__":
    import tempfile

    from tests.support.fake_platform import FakePlatform, channel_test_env
    from scripts.stack.servers import running_servers

    fake = FakePlatform().start()
    with tempfile.TemporaryDirectory() as workdir, running_servers(Path(workdir), extra_env=channel_test_env(fake)) as s:
        print(json.dumps(measure(s.url, fake), indent=2))
