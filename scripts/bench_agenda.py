"""Agenda service part of the benchmark: search, hold and confirm latency, and the
outcome of 200 simultaneous holds on one slot. Loopback only, bounded traffic."""
from __future__ import annotations

import asyncio
import statistics
import time
from collections import Counter

import aiohttp

PERSON = {"name": "Bench Démo", "email": "bench@demo-mediation.example", "contact_consent": True}


def _stats(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    pick = lambda q: ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]  # noqa: E731
    return {"n": len(values), "p50_ms": round(pick(0.5) * 1000, 1), "p95_ms": round(pick(0.95) * 1000, 1),
            "mean_ms": round(statistics.mean(values) * 1000, 1)}


async def _timed(session: aiohttp.ClientSession, method: str, url: str, **kwargs) -> tuple[float, int, dict]:
    started = time.perf_counter()
    async with session.request(method, url, **kwargs) as reply:
        body = await reply.json(content_type=None)
        return time.perf_counter() - started, reply.status, body


async def _measure(url: str, token: str, searches: int, bookings: int, storm: int) -> dict:
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession(headers=headers, connector=aiohttp.TCPConnector(limit=0)) as session:
        search_times, hold_times, confirm_times, errors = [], [], [], 0
        for index in range(searches):
            elapsed, status, _ = await _timed(session, "GET", f"{url}/api/slots",
                                              params={"domain": "family", "postal_code": "69003", "mode": "no_preference"})
            search_times.append(elapsed)
            errors += status != 200
        _, _, page = await _timed(session, "GET", f"{url}/api/slots", params={"mode": "video", "limit": "20"})
        for offer in page["slots"][:bookings]:
            elapsed, status, hold = await _timed(session, "POST", f"{url}/api/slots/{offer['slot_id']}/hold",
                                                 json={"mode": "video"})
            hold_times.append(elapsed)
            if status != 201:
                errors += 1
                continue
            elapsed, status, _ = await _timed(session, "POST", f"{url}/api/holds/{hold['hold_id']}/confirm",
                                              json={"person": PERSON, "brief": {"domain": "bench"}})
            confirm_times.append(elapsed)
            errors += status != 201
        _, _, page = await _timed(session, "GET", f"{url}/api/slots", params={"mode": "video", "limit": "1"})
        slot_id = page["slots"][0]["slot_id"]
        start = asyncio.Event()

        async def one_hold() -> tuple[float, int]:
            await start.wait()
            elapsed, status, _ = await _timed(session, "POST", f"{url}/api/slots/{slot_id}/hold", json={"mode": "video"})
            return elapsed, status

        tasks = [asyncio.create_task(one_hold()) for _ in range(storm)]
        await asyncio.sleep(0.2)
        began = time.perf_counter()
        start.set()
        results = await asyncio.gather(*tasks)
        storm_seconds = time.perf_counter() - began
    statuses = Counter(status for _, status in results)
    return {
        "search": _stats(search_times), "hold": _stats(hold_times), "confirm": _stats(confirm_times),
        "errors": errors,
        "storm": {"requests": storm, "winners": statuses.get(201, 0), "conflicts": statuses.get(409, 0),
                  "other": storm - statuses.get(201, 0) - statuses.get(409, 0),
                  "latency": _stats([elapsed for elapsed, _ in results]), "seconds": round(storm_seconds, 2)},
    }


def measure(url: str, token: str, searches: int = 100, bookings: int = 20, storm: int = 200) -> dict:
    return asyncio.run(_measure(url, token, searches, bookings, storm))
