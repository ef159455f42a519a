"""Agenda service part of the benchmark (scripts/bench/run.py runs it on SQLite and on PostgreSQL).

- search latency (sequential searches);
- hold and confirm latency, one booking after the other;
- 200 holds at once on 200 different slots, then their 200 confirms at once, every booking
  read back: each hold and each confirm must be 201, and no slot may be booked twice;
- 200 holds at once on ONE slot: exactly one 201 and 199 × 409.
Loopback only, bounded traffic (a few hundred requests).
"""
from __future__ import annotations

import asyncio
import statistics
import time
from collections import Counter
from datetime import datetime, timedelta, timezone

import aiohttp

from bot.agenda import demo
from bot.agenda.service import MAX_EXCLUDED
from scripts.bench.load import latency_summary, require_loopback

PERSON = {"name": "Bench Démo", "email": "bench@demo-mediation.example", "contact_consent": True}
BRIEF = {"domain": "bench"}
PAGE = 20  # the search's largest page


def stats(seconds: list[float]) -> dict[str, float]:
    """Latency summary in ms (p50/p95/p99/max, mean) of durations given in seconds."""
    values_ms = [value * 1000 for value in seconds]
    return {"n": len(values_ms), **latency_summary(values_ms),
            "mean_ms": round(statistics.fmean(values_ms), 1) if values_ms else 0.0}


# ---- Correctness checks (pure: tests/unit/scripts/test_bench.py feeds them bad outcomes) ----------------------

def storm_problems(statuses: list[int]) -> list[str]:
    """Many holds at once on one slot: exactly one may win, every other one gets 409."""
    counts = Counter(statuses)
    problems = []
    if counts.get(201, 0) != 1:
        problems.append(f"{counts.get(201, 0)} holds won the slot instead of exactly 1")
    others = {status: n for status, n in counts.items() if status not in (201, 409)}
    if others:
        problems.append(f"answers other than 201/409: {dict(sorted(others.items()))}")
    return problems


def booking_problems(bookings: list[dict]) -> list[str]:
    """Holds and confirms on distinct slots, each row {"slot_id", "hold", "confirm",
    "booked_slot"} (statuses, and the slot the booking read back is on). Every hold and
    every confirm must be 201, every booking must be on its own held slot, and no slot
    may carry two bookings."""
    problems = []
    for row in bookings:
        if row["hold"] != 201:
            problems.append(f"hold on slot {row['slot_id']}: HTTP {row['hold']}")
        elif row["confirm"] != 201:
            problems.append(f"confirm on slot {row['slot_id']}: HTTP {row['confirm']}")
        elif row["booked_slot"] != row["slot_id"]:
            problems.append(f"booking of slot {row['slot_id']} reads back on slot {row['booked_slot']}")
    booked = Counter(row["booked_slot"] for row in bookings if row["booked_slot"] is not None)
    problems += [f"slot {slot} booked {n} times" for slot, n in sorted(booked.items()) if n > 1]
    return problems


# ---- Requests ---------------------------------------------------------------------------------------

async def _timed(session: aiohttp.ClientSession, method: str, url: str, **kwargs) -> tuple[float, int, dict]:
    started = time.perf_counter()
    async with session.request(method, url, **kwargs) as reply:
        body = await reply.json(content_type=None)
        return time.perf_counter() - started, reply.status, body


async def _open_slots(session: aiohttp.ClientSession, url: str, count: int) -> list[dict]:
    """`count` distinct open slots, each with a mode it is offered in, day by day and page after
    page (the search excludes at most 100 ids per request: bot/agenda/service.py MAX_EXCLUDED)."""
    offers: list[dict] = []
    today = datetime.now(timezone.utc).replace(tzinfo=None, minute=0, second=0, microsecond=0)
    for day in range(demo.HORIZON_DAYS + 1):
        window = {"mode": "no_preference", "limit": str(PAGE),
                  "from": (today + timedelta(days=day)).isoformat(), "to": (today + timedelta(days=day + 1)).isoformat()}
        seen: list[dict] = []
        while len(offers) + len(seen) < count and len(seen) + PAGE <= MAX_EXCLUDED:
            exclude = ",".join(str(offer["slot_id"]) for offer in seen)
            _, status, page = await _timed(session, "GET", f"{url}/api/slots", params={**window, "exclude": exclude})
            if status != 200 or not page["slots"]:
                break
            seen += page["slots"]
        offers += seen
        if len(offers) >= count:
            return offers[:count]
    raise RuntimeError(f"the agenda offers only {len(offers)} open slots, {count} needed")


async def _gathered(calls: list) -> list:
    """Start every call at the same instant (they wait on one gate), wait for all."""
    gate = asyncio.Event()

    async def after_gate(call):
        await gate.wait()
        return await call

    tasks = [asyncio.create_task(after_gate(call)) for call in calls]
    await asyncio.sleep(0.2)  # every request is ready before the gate opens
    gate.set()
    return await asyncio.gather(*tasks)


async def _sequential(session: aiohttp.ClientSession, url: str, searches: int, bookings: int) -> dict:
    search_times, hold_times, confirm_times, errors = [], [], [], 0
    for _ in range(searches):
        elapsed, status, _ = await _timed(session, "GET", f"{url}/api/slots",
                                          params={"domain": "family", "postal_code": "69003", "mode": "no_preference"})
        search_times.append(elapsed)
        errors += status != 200
    for offer in await _open_slots(session, url, bookings):
        elapsed, status, hold = await _timed(session, "POST", f"{url}/api/slots/{offer['slot_id']}/hold",
                                             json={"mode": offer["mode"]})
        hold_times.append(elapsed)
        if status != 201:
            errors += 1
            continue
        elapsed, status, _ = await _timed(session, "POST", f"{url}/api/holds/{hold['hold_id']}/confirm",
                                          json={"person": PERSON, "brief": BRIEF})
        confirm_times.append(elapsed)
        errors += status != 201
    return {"search": stats(search_times), "hold": stats(hold_times), "confirm": stats(confirm_times),
            "errors": errors}


async def _concurrent_bookings(session: aiohttp.ClientSession, url: str, count: int) -> dict:
    offers = await _open_slots(session, url, count)
    began = time.perf_counter()
    holds = await _gathered([_timed(session, "POST", f"{url}/api/slots/{offer['slot_id']}/hold",
                                    json={"mode": offer["mode"]}) for offer in offers])
    hold_seconds = time.perf_counter() - began
    held = [(offer, body) for offer, (_, status, body) in zip(offers, holds) if status == 201]
    began = time.perf_counter()
    confirms = await _gathered([_timed(session, "POST", f"{url}/api/holds/{hold['hold_id']}/confirm",
                                       json={"person": PERSON, "brief": BRIEF}) for _, hold in held])
    confirm_seconds = time.perf_counter() - began
    confirmed = {offer["slot_id"]: (status, body) for (offer, _), (_, status, body) in zip(held, confirms)}
    readback_limit = asyncio.Semaphore(8)

    async def read_back(body: dict) -> int | None:
        async with readback_limit:
            _, status, booking = await _timed(session, "GET", f"{url}/api/bookings/{body['reference']}",
                                              headers={"X-Booking-Secret": body["secret"]})
        return booking["slot_id"] if status == 200 and booking.get("status") == "confirmed" else None

    booked = await asyncio.gather(*(read_back(body) for status, body in confirmed.values() if status == 201))
    booked_by_slot = dict(zip([slot for slot, (status, _) in confirmed.items() if status == 201], booked))
    rows = [{"slot_id": offer["slot_id"], "hold": status,
             "confirm": confirmed.get(offer["slot_id"], (None, None))[0],
             "booked_slot": booked_by_slot.get(offer["slot_id"])}
            for offer, (_, status, _) in zip(offers, holds)]
    problems = booking_problems(rows)
    return {
        "slots": count, "hold": stats([elapsed for elapsed, _, _ in holds]),
        "confirm": stats([elapsed for elapsed, _, _ in confirms]),
        "holds_201": sum(row["hold"] == 201 for row in rows), "confirms_201": sum(row["confirm"] == 201 for row in rows),
        "bookings_read_back": sum(slot is not None for slot in booked),
        "hold_wall_s": round(hold_seconds, 2), "confirm_wall_s": round(confirm_seconds, 2),
        "problems": problems[:20], "correct": not problems,
    }


async def _storm(session: aiohttp.ClientSession, url: str, count: int) -> dict:
    offer = (await _open_slots(session, url, 1))[0]
    began = time.perf_counter()
    results = await _gathered([_timed(session, "POST", f"{url}/api/slots/{offer['slot_id']}/hold",
                                      json={"mode": offer["mode"]}) for _ in range(count)])
    seconds = time.perf_counter() - began
    statuses = [status for _, status, _ in results]
    problems = storm_problems(statuses)
    return {"requests": count, "winners": statuses.count(201), "conflicts": statuses.count(409),
            "other": count - statuses.count(201) - statuses.count(409),
            "latency": stats([elapsed for elapsed, _, _ in results]), "seconds": round(seconds, 2),
            "problems": problems, "correct": not problems}


async def _measure(url: str, token: str, searches: int, bookings: int, concurrent: int, storm: int) -> dict:
    url = require_loopback(url)
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession(headers=headers, connector=aiohttp.TCPConnector(limit=0)) as session:
        result = await _sequential(session, url, searches, bookings)
        result["concurrent"] = await _concurrent_bookings(session, url, concurrent)
        result["storm"] = await _storm(session, url, storm)
    result["correct"] = result["concurrent"]["correct"] and result["storm"]["correct"] and not result["errors"]
    return result


def measure(url: str, token: str, searches: int = 100, bookings: int = 20, concurrent: int = 200,
            storm: int = 200) -> dict:
    """The agenda service at `url` (loopback): latencies in ms and the correctness checks."""
    return asyncio.run(_measure(url, token, searches, bookings, concurrent, storm))
