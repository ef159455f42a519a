"""Benchmark: `make bench` writes reports/bench.md and reports/bench.json.

Measures, on this machine, over the real REST channel on loopback:
turn latency p50/p95 at 1 and 10 concurrent conversations, turns per second,
Rasa server memory (RSS, idle and peak), start-up time and training time.
Then the load test (scripts/load_test.py: 25 people at once for 3 minutes, no error, no
lost message, no mixed conversation), which also writes reports/load.md and load.json.
Traffic is bounded (the load test's duration caps it) and only goes to 127.0.0.1.
"""
from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from servers import RASA, rss_mb, running_servers  # noqa: E402
from bench_agenda import measure as measure_agenda  # noqa: E402
from bench_channels import measure as measure_channels  # noqa: E402
import load_test  # noqa: E402
from fake_platform import FakePlatform, channel_test_env  # noqa: E402

CONVERSATION = [
    "Bonjour", "/affirm",
    "Mon voisin a planté une haie de thuyas qui dépasse chez moi et refuse de la tailler",
    "/affirm", "mon voisin d'à côté", "oui", "environ 5k", "non, aucune procédure", "pas urgent", "69003",
    "en visio", "/affirm", '/inform{"choice":"none"}', "un aménagement",
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def talk(url: str, sender: str, latencies: list[float], errors: list[str]) -> None:
    for message in CONVERSATION:
        body = json.dumps({"sender": sender, "message": message}).encode()
        request = urllib.request.Request(f"{url}/webhooks/rest/webhook", data=body,
                                         headers={"Content-Type": "application/json"})
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=120) as reply:
                if not json.loads(reply.read()):
                    errors.append("empty reply")
        except OSError as error:
            errors.append(type(error).__name__)
        latencies.append((time.perf_counter() - started) * 1000)


def load(url: str, concurrency: int, rounds: int, tag: str) -> dict:
    latencies: list[float] = []
    errors: list[str] = []
    started = time.perf_counter()
    for round_ in range(rounds):
        threads = [threading.Thread(target=talk, args=(url, f"bench-{tag}-{round_}-{i}", latencies, errors))
                   for i in range(concurrency)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    wall = time.perf_counter() - started
    return {
        "concurrency": concurrency, "turns": len(latencies), "errors": len(errors),
        "p50_ms": round(statistics.median(latencies), 1), "p95_ms": round(percentile(latencies, 0.95), 1),
        "max_ms": round(max(latencies), 1), "turns_per_s": round(len(latencies) / wall, 2),
    }


def training_seconds(measure: bool) -> tuple[float | None, str]:
    if not measure:
        path = ROOT / "models" / ".training_seconds"
        return (float(path.read_text()) if path.exists() else None), "last `make train`"
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        subprocess.run([RASA, "train", "--force", "--quiet", "--out", out], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return round(time.perf_counter() - started, 1), "measured now (rasa train --force)"


def load_test_rows(result: dict | None) -> list[tuple[str, str]]:
    if not result:
        return [("Load test", "skipped (--load-duration 0)")]
    latency = result["latency_ms"]
    return [
        (f"Load test, {result['people']} people at once for {result['settings']['duration']:g} s",
         f"{'passed' if result['passed'] else 'FAILED'}: {result['errors']} errors, {result['lost_messages']} lost "
         f"messages, {result['mixed_conversations']} mixed conversations (reports/load.md)"),
        ("Load test turns", f"{result['turns_answered']} turns ({result['turns_per_s']} turns/s), "
                            f"{result['conversations_started']} conversations started, "
                            f"{result['conversations_completed']} completed"),
        ("Load test turn latency", f"p50 {latency['p50']} ms, p95 {latency['p95']} ms, p99 {latency['p99']} ms, "
                                   f"max {latency['max']} ms"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--skip-train", action="store_true", help="report the last training time instead")
    parser.add_argument("--load-duration", type=float, default=180,
                        help="seconds of the 25-people load test (0: skip it)")
    args = parser.parse_args()

    train_s, train_how = training_seconds(not args.skip_train)
    platform_fake = FakePlatform().start()  # Graph API stand-in: no traffic leaves the machine
    with tempfile.TemporaryDirectory() as workdir, \
            running_servers(Path(workdir), extra_env=channel_test_env(platform_fake)) as servers:
        pid = servers.processes["rasa"].pid
        idle = rss_mb(pid)
        talk(servers.url, "bench-warmup", [], [])
        sequential = load(servers.url, 1, 5, "seq")
        concurrent = load(servers.url, 10, 2, "conc")
        loaded = rss_mb(pid)
        startup = round(servers.startup_seconds, 1)
        agenda = measure_agenda(servers.agenda_url, servers.agenda_token)
        channels = measure_channels(servers.url, platform_fake)
        load_result = load_test.measure(servers, load_test.Settings(duration=args.load_duration)) \
            if args.load_duration else None

    result = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {subprocess.getoutput('nproc')} cores, Python {platform.python_version()}",
        "conversation_turns": len(CONVERSATION),
        "latency_1_concurrent": sequential, "latency_10_concurrent": concurrent,
        "rasa_rss_idle_mb": idle["rss_mb"], "rasa_rss_after_load_mb": loaded["rss_mb"],
        "rasa_peak_rss_mb": loaded["peak_rss_mb"], "startup_s": startup,
        "training_s": train_s, "training_measured": train_how,
        "agenda": agenda,
        "channels": channels,
        "load_test": load_result,
    }
    reports = ROOT / "reports"
    reports.mkdir(exist_ok=True)
    (reports / "bench.json").write_text(json.dumps(result, indent=2))
    rows = [
        ("Turn latency, 1 conversation", f"p50 {sequential['p50_ms']} ms, p95 {sequential['p95_ms']} ms"),
        ("Turn latency, 10 concurrent", f"p50 {concurrent['p50_ms']} ms, p95 {concurrent['p95_ms']} ms"),
        ("Throughput, 10 concurrent", f"{concurrent['turns_per_s']} turns/s"),
        ("Errors", f"{sequential['errors'] + concurrent['errors']} of {sequential['turns'] + concurrent['turns']} turns"),
        ("Rasa server RSS", f"{idle['rss_mb']} MB idle, {loaded['rss_mb']} MB after load (peak {loaded['peak_rss_mb']})"),
        ("Start-up (spawn → /status 200)", f"{startup} s"),
        ("Training time", f"{train_s} s ({train_how})"),
        ("Agenda search (100 sequential)", f"p50 {agenda['search']['p50_ms']} ms, p95 {agenda['search']['p95_ms']} ms"),
        ("Agenda hold / confirm (20 bookings)", f"hold p50 {agenda['hold']['p50_ms']} ms, p95 {agenda['hold']['p95_ms']} ms; "
                                                f"confirm p50 {agenda['confirm']['p50_ms']} ms, p95 {agenda['confirm']['p95_ms']} ms; "
                                                f"{agenda['errors']} errors"),
        ("Agenda, 200 simultaneous holds on one slot", f"{agenda['storm']['winners']} winner, {agenda['storm']['conflicts']} × 409, "
                                                       f"{agenda['storm']['other']} other, all answered in {agenda['storm']['seconds']} s "
                                                       f"(p95 {agenda['storm']['latency']['p95_ms']} ms)"),
        ("Widget turn over socket.io (emit → end of turn)",
         f"p50 {channels['widget_turn']['p50_ms']} ms, p95 {channels['widget_turn']['p95_ms']} ms"),
        ("WhatsApp webhook acknowledged (signed POST → 200)",
         f"p50 {channels['whatsapp_ack']['p50_ms']} ms, p95 {channels['whatsapp_ack']['p95_ms']} ms"),
        ("WhatsApp first reply at the Graph API (fake, loopback)",
         f"p50 {channels['whatsapp_first_reply']['p50_ms']} ms, p95 {channels['whatsapp_first_reply']['p95_ms']} ms"),
    ]
    rows += load_test_rows(load_result)
    table = "\n".join(f"| {name} | {value} |" for name, value in rows)
    (reports / "bench.md").write_text(
        f"# Benchmark ({result['date']}, {result['machine']})\n\nREST channel on loopback, "
        f"{len(CONVERSATION)}-turn intake conversation ending with the mediator offers, action server, agenda "
        f"service and SQLite stores included.\n\n"
        f"| metric | value |\n|---|---|\n{table}\n")
    print((reports / "bench.md").read_text())
    if load_result:
        load_test.write_reports(load_result, reports)
        if not load_result["passed"]:
            raise SystemExit("The load test found errors, lost messages or mixed conversations: see reports/load.md.")


if __name__ == "__main__":
    main()
