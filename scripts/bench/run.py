"""Benchmark: `make bench` writes reports/bench.md and reports/bench.json.

On this machine, loopback only, bounded (about 25 minutes):
1. The bare Rasa baseline (scripts/bench/bare_rasa.py): a trivial bot generated in a temporary
   directory, trained (training time), started (start-up, memory) and put under the load below.
2. Our assistant (scripts/stack/servers.py: Rasa server, action server, agenda service, SQLite
   stores): start-up, the same load, memory of each process (RSS now and peak), the
   channels (scripts/bench/channels.py), the 25-people load test with its checks
   (scripts/bench/load_test.py, also writes reports/load.md), and the agenda service
   (scripts/bench/agenda.py).
3. The agenda service again on a throwaway PostgreSQL (scripts/stack/postgres_server.py).
4. Scale-out (scripts/stack/cluster.py): the same load through nginx on a cluster of 1, then of 2
   Rasa replicas (PostgreSQL tracker store, Redis lock store and channel state, 2 action
   servers, the agenda on PostgreSQL), with the ratio 2 replicas / 1 replica, each
   cluster's start-up and the memory of every process.
"The load" (scripts/bench/load.py measure_load): N conversations at once on the REST channel
for a fixed time, for N in --levels; latency p50/p95/p99 and turns per second.
Our figures are also given as ratios to the bare bot's (× slower, × the memory, …).
Training time: the last one recorded by scripts/train.sh (reports/training.json), or measured
now with --train.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from bot.paths import ROOT
from scripts.bench import bare_rasa
from scripts.bench import load_test
from scripts.bench.agenda import measure as measure_agenda
from scripts.bench.channels import measure as measure_channels
from scripts.bench.load import CONVERSATION, measure_load
from scripts.stack.cluster import running_cluster
from tests.support.fake_platform import FakePlatform, channel_test_env
from scripts.stack.postgres_server import PostgresMissing, postgres_url
from scripts.stack.servers import RASA, Servers, rss_mb, running_servers

TRAINING_RECORD = ROOT / "reports" / "training.json"


# ---- Training time --------------------------------------------------------------------------------

def last_training() -> dict:
    """What scripts/train.sh recorded when it last trained: seconds, date, fingerprint."""
    if TRAINING_RECORD.exists():
        return {**json.loads(TRAINING_RECORD.read_text()), "how": "last `scripts/train.sh` training"}
    legacy = ROOT / "models" / ".training_seconds"  # written by train.sh before reports/training.json
    if legacy.exists():
        date = datetime.fromtimestamp(legacy.stat().st_mtime, timezone.utc).isoformat(timespec="seconds")
        return {"seconds": float(legacy.read_text()), "date": date, "how": "last `scripts/train.sh` training"}
    return {"seconds": None, "date": None, "how": "never recorded: run `make train` or `bench.py --train`"}


def train_now() -> dict:
    """Time a training of our model from scratch: an empty Rasa training cache, the model
    in a temporary directory (models/ and .rasa/cache are left alone)."""
    with tempfile.TemporaryDirectory() as out:
        env = {**os.environ, "RASA_CACHE_DIRECTORY": str(Path(out) / "cache")}
        started = time.perf_counter()
        subprocess.run([RASA, "train", "--force", "--quiet", "--out", out], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        seconds = round(time.perf_counter() - started, 1)
    return {"seconds": seconds, "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "how": "measured now (`bench.py --train`)", "cache": "cold"}


def from_scratch(training: dict) -> bool:
    """Only a training with an empty Rasa cache compares with the bare bot's (always from scratch)."""
    return training.get("cache") == "cold"


# ---- Ratios and report (pure: tests/unit/scripts/test_bench.py) --------------------------------------------------

def ratio(ours: float | None, bare: float | None) -> float | None:
    """ours / bare, rounded; None when either is missing or the baseline is zero."""
    if ours is None or not bare:
        return None
    return round(ours / bare, 2)


def ratios(ours: dict, bare: dict) -> dict:
    """Our figures as multiples of the bare bot's: per load level (latency, throughput), then
    the Rasa server's memory, start-up and training time."""
    levels = {}
    for level, mine in ours["load"].items():
        theirs = bare["load"].get(level)
        if theirs:
            levels[level] = {**{key: ratio(mine[key], theirs[key]) for key in ("p50_ms", "p95_ms", "p99_ms")},
                             "turns_per_s": ratio(mine["turns_per_s"], theirs["turns_per_s"])}
    return {
        "load": levels,
        "rasa_rss": ratio(ours["memory"]["rasa"]["rss_mb"], bare["memory"]["rasa"]["rss_mb"]),
        "all_processes_rss": ratio(sum(process["rss_mb"] for process in ours["memory"].values()),
                                   bare["memory"]["rasa"]["rss_mb"]),
        "startup": ratio(ours["startup_s"], bare["startup_s"]),
        "training": ratio(ours["training"]["seconds"], bare["training"]["seconds"])
        if from_scratch(ours["training"]) else None,
    }


def _times(value: float | None) -> str:
    return "n/a" if value is None else f"× {value:g}"


def _cache(training: dict) -> str:
    return {"cold": "from scratch", "warm": "Rasa's training cache warm"}.get(
        training.get("cache"), "Rasa's training cache not recorded")


def _latency(load: dict) -> str:
    return f"p50 {load['p50_ms']:g} ms, p95 {load['p95_ms']:g} ms, p99 {load['p99_ms']:g} ms"


def _agenda_rows(name: str, agenda: dict | str) -> list[tuple[str, str, str, str]]:
    if isinstance(agenda, str):
        return [(f"Agenda on {name}", agenda, "", "")]
    concurrent, storm = agenda["concurrent"], agenda["storm"]
    hold, confirm = concurrent["hold"], concurrent["confirm"]
    return [
        (f"Agenda on {name}: search (sequential)", f"p50 {agenda['search']['p50_ms']} ms, "
                                                   f"p95 {agenda['search']['p95_ms']} ms", "", ""),
        (f"Agenda on {name}: hold / confirm, one at a time",
         f"hold p50 {agenda['hold']['p50_ms']} ms, p95 {agenda['hold']['p95_ms']} ms; confirm p50 "
         f"{agenda['confirm']['p50_ms']} ms, p95 {agenda['confirm']['p95_ms']} ms; {agenda['errors']} errors", "", ""),
        (f"Agenda on {name}: {concurrent['slots']} holds at once on {concurrent['slots']} slots, then their confirms",
         f"hold p50 {hold['p50_ms']} / p95 {hold['p95_ms']} / p99 {hold['p99_ms']} ms; confirm p50 "
         f"{confirm['p50_ms']} / p95 {confirm['p95_ms']} / p99 {confirm['p99_ms']} ms; "
         f"{concurrent['holds_201']} × 201 holds, {concurrent['confirms_201']} × 201 confirms, "
         f"{concurrent['bookings_read_back']} bookings read back: "
         + ("correct, no slot booked twice" if concurrent["correct"] else "WRONG: " + "; ".join(concurrent["problems"])),
         "", ""),
        (f"Agenda on {name}: {storm['requests']} holds at once on one slot",
         f"{storm['winners']} × 201, {storm['conflicts']} × 409, {storm['other']} other in {storm['seconds']} s "
         f"(p95 {storm['latency']['p95_ms']} ms): " + ("correct" if storm["correct"] else "WRONG: "
                                                        + "; ".join(storm["problems"])), "", ""),
    ]


def markdown(result: dict) -> str:
    """reports/bench.md: one table, our figure, the bare bot's and the ratio side by side."""
    ours, bare, times = result["ours"], result["bare"], result["ratios"]
    rows = []
    for level, mine in ours["load"].items():
        theirs = bare["load"].get(level, {})
        label = "1 conversation" if level == "1" else f"{level} conversations at once"
        rows.append((f"Turn latency, {label} ({mine['seconds']:g} s)", _latency(mine),
                     _latency(theirs) if theirs else "", " / ".join(_times(times["load"].get(level, {}).get(key))
                                                                    for key in ("p50_ms", "p95_ms", "p99_ms"))))
        rows.append((f"Throughput, {label}", f"{mine['turns_per_s']:g} turns/s ({mine['turns']} turns, "
                                             f"{mine['errors']} errors)",
                     f"{theirs['turns_per_s']:g} turns/s ({theirs['turns']} turns, {theirs['errors']} errors)"
                     if theirs else "", _times(times["load"].get(level, {}).get("turns_per_s"))))
    memory = ours["memory"]
    rows += [
        ("Rasa server RSS (now / peak)", f"{memory['rasa']['rss_mb']} / {memory['rasa']['peak_rss_mb']} MB",
         f"{bare['memory']['rasa']['rss_mb']} / {bare['memory']['rasa']['peak_rss_mb']} MB", _times(times["rasa_rss"])),
        ("Action server RSS (now / peak)", f"{memory['actions']['rss_mb']} / {memory['actions']['peak_rss_mb']} MB",
         "(none)", ""),
        ("Agenda service RSS (now / peak)", f"{memory['agenda']['rss_mb']} / {memory['agenda']['peak_rss_mb']} MB",
         "(none)", ""),
        ("All our processes RSS", f"{round(sum(p['rss_mb'] for p in memory.values()), 1)} MB",
         f"{bare['memory']['rasa']['rss_mb']} MB", _times(times["all_processes_rss"])),
        ("Rasa start-up (spawn → /status 200)", f"{ours['startup_s']} s", f"{bare['startup_s']} s",
         _times(times["startup"])),
        ("Training", f"{ours['training']['seconds']} s ({ours['training']['how']}, {ours['training']['date']}; "
                     f"{_cache(ours['training'])})",
         f"{bare['training']['seconds']} s (measured now, from scratch)",
         _times(times["training"]) if times["training"] is not None or bare["training"]["seconds"] is None
         else "n/a: not from scratch (`bench.py --train` times one)"),
    ]
    for name in ("widget_turn", "whatsapp_ack", "whatsapp_first_reply"):
        channel = result["channels"][name]
        rows.append((CHANNEL_LABELS[name], f"p50 {channel['p50_ms']} ms, p95 {channel['p95_ms']} ms", "", ""))
    for name, agenda in result["agenda"].items():
        rows += _agenda_rows(name, agenda)
    rows += [(name, value, "", "") for name, value in load_test_rows(result["load_test"])]
    rows += replica_rows(result.get("replicas"))
    table = "\n".join(f"| {' | '.join(row)} |" for row in rows)
    return (f"# Benchmark ({result['date']}, {result['machine']})\n\n"
            f"REST channel on loopback: {result['conversation_turns']}-turn intake conversation (it ends with the "
            f"mediator offers), each simulated person starting a new one when it ends, no pause between turns. "
            f"Ours: Rasa server + action server + agenda service, SQLite stores. Bare Rasa: a trivial bot "
            f"(4 intents, rules, WhitespaceTokenizer + CountVectors + DIET, in-memory tracker store), same "
            f"channel, same load, in the same run. Ratio = ours / bare (× 2 latency: twice as slow; × 0.5 "
            f"throughput: half the turns per second).\n\n"
            f"| metric | ours | bare Rasa | ratio |\n|---|---|---|---|\n{table}\n")


CHANNEL_LABELS = {
    "widget_turn": "Widget turn over socket.io (emit → end of turn)",
    "whatsapp_ack": "WhatsApp webhook acknowledged (signed POST → 200)",
    "whatsapp_first_reply": "WhatsApp first reply at the Graph API (fake, loopback)",
}


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


# ---- Runs -------------------------------------------------------------------------------------------

def run_loads(url: str, levels: list[int], seconds: float, tag: str) -> dict:
    measure_load(url, 1, 3, tag=f"{tag}-warmup")  # first turns trace graphs and open connections
    return {str(level): measure_load(url, level, seconds, tag=f"{tag}-{level}") for level in levels}


def bench_bare(levels: list[int], seconds: float) -> dict:
    with tempfile.TemporaryDirectory(prefix="bare-rasa-") as directory:
        directory = Path(directory)
        bare_rasa.write_project(directory)
        training_s = bare_rasa.train(directory)
        with bare_rasa.running_bare_rasa(directory) as bare:
            pid = bare.processes["rasa"].pid
            idle = rss_mb(pid)
            loads = run_loads(bare.url, levels, seconds, "bare")
            return {"startup_s": round(bare.startup_seconds, 1), "training": {"seconds": training_s},
                    "load": loads, "memory": {"rasa": rss_mb(pid)}, "idle_memory": {"rasa": idle}}


def bench_ours(levels: list[int], seconds: float, load_duration: float) -> tuple[dict, dict, dict, dict | None]:
    platform_fake = FakePlatform().start()  # Graph API stand-in: no traffic leaves the machine
    with tempfile.TemporaryDirectory() as workdir, \
            running_servers(Path(workdir), extra_env=channel_test_env(platform_fake)) as servers:
        pids = {name: process.pid for name, process in servers.processes.items()}
        idle = {name: rss_mb(pid) for name, pid in pids.items()}
        loads = run_loads(servers.url, levels, seconds, "ours")
        memory = {name: rss_mb(pid) for name, pid in pids.items()}
        channels = measure_channels(servers.url, platform_fake)
        load_result = load_test.measure(servers, load_test.Settings(duration=load_duration)) \
            if load_duration else None
        agenda = measure_agenda(servers.agenda_url, servers.agenda_token)
        ours = {"startup_s": round(servers.startup_seconds, 1), "load": loads, "memory": memory,
                "idle_memory": idle, "memory_after_all": {name: rss_mb(pid) for name, pid in pids.items()}}
    return ours, channels, agenda, load_result


def replica_ratios(one: dict, two: dict) -> dict:
    """2 replicas / 1 replica: > 1 throughput is the gain, < 1 latency too."""
    return {key: ratio(two[key], one[key]) for key in ("turns_per_s", "p50_ms", "p95_ms", "p99_ms")}


def bench_replicas(conversations: int, seconds: float, fake_platform_url_env: dict[str, str]) -> dict:
    """The same load through nginx on 1 then 2 Rasa replicas, one cluster after the other
    (only one cluster runs at a time: they would share the 2 cores)."""
    result: dict = {"conversations": conversations, "seconds": seconds}
    for replicas in (1, 2):
        with tempfile.TemporaryDirectory() as workdir, \
                running_cluster(Path(workdir), rasa_replicas=replicas, extra_env=fake_platform_url_env) as cluster:
            measure_load(cluster.url, 1, 3, tag=f"cluster{replicas}-warmup")
            load = measure_load(cluster.url, conversations, seconds, tag=f"cluster{replicas}")
            result[str(replicas)] = {"load": load, "startup_s": dict(cluster.startup), "memory_mb": cluster.memory()}
    result["ratio"] = replica_ratios(result["1"]["load"], result["2"]["load"])
    return result


def replica_failures(replicas: dict | None) -> list[str]:
    """A cluster load with any error (non-200, timeout, empty reply) fails the benchmark."""
    return [f"cluster with {count} replica(s): {replicas[count]['load']['errors']} errors"
            for count in ("1", "2") if replicas and replicas[count]["load"]["errors"]]


def replica_rows(replicas: dict | None) -> list[tuple[str, str, str, str]]:
    if not replicas:
        return [("Scale-out (1 vs 2 replicas)", "skipped (--replica-seconds 0)", "", "")]
    one, two, times = replicas["1"]["load"], replicas["2"], replicas["ratio"]
    label = f"{replicas['conversations']} conversations at once through nginx ({replicas['seconds']:g} s)"

    def figures(load: dict) -> str:
        return f"{load['turns_per_s']:g} turns/s, {_latency(load)}, {load['turns']} turns, {load['errors']} errors"

    return [
        (f"Cluster, 1 Rasa replica: {label}", figures(one), "", ""),
        (f"Cluster, 2 Rasa replicas: {label}", figures(two["load"]), "",
         f"2 / 1: throughput {_times(times['turns_per_s'])}, p50 {_times(times['p50_ms'])}, "
         f"p95 {_times(times['p95_ms'])}, p99 {_times(times['p99_ms'])}"),
        ("Cluster, 2 replicas: RSS per process (MB)",
         ", ".join(f"{name} {mb:g}" for name, mb in sorted(two["memory_mb"].items())), "", ""),
        ("Cluster, 2 replicas: start-up per process (s)",
         ", ".join(f"{name} {seconds:g}" for name, seconds in two["startup_s"].items()), "", ""),
    ]


def bench_agenda_postgresql() -> dict | str:
    """The agenda service alone on a throwaway PostgreSQL on loopback."""
    try:
        with postgres_url() as url, tempfile.TemporaryDirectory() as workdir:
            agenda = Servers(Path(workdir), agenda_db_url=url)
            try:
                agenda.start_agenda()
                return measure_agenda(agenda.agenda_url, agenda.agenda_token)
            finally:
                agenda.stop_all()
    except PostgresMissing as error:
        return f"not measured: {error}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train", action="store_true", help="time a full training of our model now (~12 min)")
    parser.add_argument("--levels", default="1,10,25", help="conversations at once, one load per level")
    parser.add_argument("--seconds", type=float, default=45, help="duration of each load level")
    parser.add_argument("--load-duration", type=float, default=180,
                        help="seconds of the 25-people load test (0: skip it)")
    parser.add_argument("--replica-conversations", type=int, default=25,
                        help="conversations at once for the 1 vs 2 replicas comparison")
    parser.add_argument("--replica-seconds", type=float, default=60,
                        help="duration of each replica load (0: skip the cluster comparison)")
    parser.add_argument("--skip-bare", action="store_true", help=argparse.SUPPRESS)  # quick runs while developing
    args = parser.parse_args()
    levels = [int(level) for level in args.levels.split(",")]

    training = train_now() if args.train else last_training()
    bare = bench_bare(levels, args.seconds) if not args.skip_bare else \
        {"startup_s": None, "training": {"seconds": None}, "load": {}, "memory": {"rasa": {"rss_mb": None,
                                                                                           "peak_rss_mb": None}}}
    ours, channels, agenda_sqlite, load_result = bench_ours(levels, args.seconds, args.load_duration)
    ours["training"] = training
    result = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "conversation_turns": len(CONVERSATION),
        "settings": {"levels": levels, "seconds": args.seconds, "load_test_duration": args.load_duration},
        "ours": ours, "bare": bare, "ratios": ratios(ours, bare),
        "channels": channels,
        "agenda": {"SQLite": agenda_sqlite, "PostgreSQL": bench_agenda_postgresql()},
        "load_test": load_result,
        "replicas": bench_replicas(args.replica_conversations, args.replica_seconds,
                                   channel_test_env(FakePlatform().start())) if args.replica_seconds else None,
    }
    reports = ROOT / "reports"
    reports.mkdir(exist_ok=True)
    (reports / "bench.json").write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
    (reports / "bench.md").write_text(markdown(result), encoding="utf-8")
    print((reports / "bench.md").read_text(encoding="utf-8"))
    if load_result:
        load_test.write_reports(load_result, reports)
    failures = [name for name, agenda in result["agenda"].items() if isinstance(agenda, dict) and not agenda["correct"]]
    if load_result and not load_result["passed"]:
        failures.append("load test (reports/load.md)")
    failures += replica_failures(result["replicas"])
    if failures:
        raise SystemExit(f"The benchmark found errors: {', '.join(failures)}.")


if __name__ == "__main__":
    main()
