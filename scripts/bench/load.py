"""The benchmark's load: N conversations at once on a Rasa server's REST channel for a fixed time.

    measure_load("http://127.0.0.1:5005", conversations=10, seconds=45)

The same function measures our assistant, the bare Rasa baseline of scripts/bench/run.py and,
later, a cluster behind a load balancer: it only needs a base URL serving
`/webhooks/rest/webhook`. Each simulated person sends the intake conversation below turn
after turn (no think time: the server is kept busy), starts again with a new sender id when
it ends, and stops when the time is up (the turn under way is finished and counted).
Loopback only; the traffic is bounded by `seconds` and the per-turn timeout.
"""
from __future__ import annotations

import asyncio
import secrets
import time
from urllib.parse import urlsplit

import aiohttp

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
# Our 14-turn intake conversation (it ends with the mediator offers). A bare bot answers
# each message with the reply of whatever intent it recognises: the same requests, the
# same sizes, so both servers get "the same load".
CONVERSATION = [
    "Bonjour", "/affirm",
    "Mon voisin a planté une haie de thuyas qui dépasse chez moi et refuse de la tailler",
    "/affirm", "mon voisin d'à côté", "oui", "environ 5k", "non, aucune procédure", "pas urgent", "69003",
    "en visio", "/affirm", '/inform{"choice":"none"}', "un aménagement",
]


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..1) of `values`; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def latency_summary(latencies_ms: list[float]) -> dict[str, float]:
    return {name: round(percentile(latencies_ms, q), 1)
            for name, q in (("p50_ms", 0.5), ("p95_ms", 0.95), ("p99_ms", 0.99), ("max_ms", 1.0))}


def require_loopback(url: str) -> str:
    host = urlsplit(url).hostname
    if host not in LOOPBACK_HOSTS:
        raise ValueError(f"The benchmark only talks to a loopback address, not {host!r}.")
    return url.rstrip("/")


async def _turn(session: aiohttp.ClientSession, url: str, sender: str, text: str,
                timeout: float) -> str | None:
    """One message; the error (None if answered with at least one message)."""
    try:
        async with session.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text},
                                timeout=aiohttp.ClientTimeout(total=timeout)) as reply:
            if reply.status != 200:
                return f"HTTP {reply.status}"
            body = await reply.json(content_type=None)
            return None if isinstance(body, list) and body else "empty reply"
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
        return type(error).__name__


async def _load(url: str, conversations: int, seconds: float, tag: str, timeout: float,
                script: list[str]) -> dict:
    latencies: list[float] = []
    errors: dict[str, int] = {}
    started = time.perf_counter()
    deadline = started + seconds
    completed = 0
    run_id = secrets.token_hex(3)  # a new run never continues an earlier run's conversations

    async def person(number: int) -> None:
        nonlocal completed
        round_ = 0
        while time.perf_counter() < deadline:
            sender = f"bench-{tag}-{run_id}-{number:03d}-{round_:04d}"
            for text in script:
                if time.perf_counter() >= deadline:
                    return
                turn_started = time.perf_counter()
                error = await _turn(session, url, sender, text, timeout)
                latencies.append((time.perf_counter() - turn_started) * 1000)
                if error:
                    errors[error] = errors.get(error, 0) + 1
            completed += 1
            round_ += 1

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=conversations * 2)) as session:
        await asyncio.gather(*(person(n) for n in range(conversations)))
    wall = time.perf_counter() - started
    return {
        "conversations": conversations, "seconds": seconds, "wall_s": round(wall, 1),
        "turns": len(latencies), "errors": sum(errors.values()), "error_kinds": errors,
        "conversations_completed": completed,
        "turns_per_s": round(len(latencies) / wall, 2) if wall else 0.0,
        **latency_summary(latencies),
    }


def measure_load(url: str, conversations: int, seconds: float, *, tag: str = "load",
                 timeout: float = 120.0, script: list[str] | None = None) -> dict:
    """`conversations` people talking at once for `seconds` to the REST channel at `url`.

    Returns turns, errors (non-200, timeout, empty reply), throughput (turns/s over the
    wall time, which includes the last turns finishing) and latency p50/p95/p99/max in ms
    of every turn, answered or not. `tag` goes into the sender ids."""
    return asyncio.run(_load(require_loopback(url), conversations, seconds, tag, timeout, script or CONVERSATION))


if __name__ == "__main__":
    import argparse
    import json

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url")
    parser.add_argument("--conversations", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=45)
    parser.add_argument("--tag", default="cli")
    args = parser.parse_args()
    print(json.dumps(measure_load(args.url, args.conversations, args.seconds, tag=args.tag), indent=1))
