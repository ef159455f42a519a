"""The benchmark's pure pieces (scripts/bench*.py): percentiles, ratios to the bare Rasa bot,
the agenda's correctness checks, the report. Fast: no server."""
from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from scripts.bench import bare_rasa
from scripts.bench import run as bench
from scripts.bench.agenda import booking_problems, stats, storm_problems
from scripts.bench.load import latency_summary, percentile, require_loopback

from bot.paths import ROOT


def test_percentiles_are_nearest_rank():
    values = list(range(1, 101))  # 1..100
    assert percentile(values, 0.5) == 51  # round(0.5 * 99) = 50 -> the 51st value
    assert percentile(values, 0.95) == 95
    assert percentile(values, 0.99) == 99
    assert percentile(values, 1.0) == 100
    assert percentile([7.0], 0.99) == 7.0
    assert percentile([], 0.5) == 0.0
    assert percentile([3, 1, 2], 0.0) == 1  # unsorted input


def test_latency_summary_and_agenda_stats():
    assert latency_summary([10.0, 20.0, 30.0, 40.0]) == {"p50_ms": 30.0, "p95_ms": 40.0, "p99_ms": 40.0,
                                                         "max_ms": 40.0}
    summary = stats([0.010, 0.020, 0.030])  # seconds in, milliseconds out
    assert summary == {"n": 3, "p50_ms": 20.0, "p95_ms": 30.0, "p99_ms": 30.0, "max_ms": 30.0, "mean_ms": 20.0}


def test_the_load_only_goes_to_loopback():
    assert require_loopback("http://127.0.0.1:5005/") == "http://127.0.0.1:5005"
    assert require_loopback("http://localhost:8080") == "http://localhost:8080"
    with pytest.raises(ValueError):
        require_loopback("http://10.0.0.5:5005")
    with pytest.raises(ValueError):
        require_loopback("https://example.org")


def test_ratio():
    assert bench.ratio(300.0, 100.0) == 3.0
    assert bench.ratio(1.0, 3.0) == 0.33
    assert bench.ratio(None, 10.0) is None
    assert bench.ratio(10.0, 0.0) is None
    assert bench.ratio(10.0, None) is None


def _load(p50, turns_per_s, seconds=45.0):
    return {"conversations": 10, "seconds": seconds, "wall_s": seconds, "turns": int(turns_per_s * seconds),
            "errors": 0, "error_kinds": {}, "conversations_completed": 3, "turns_per_s": turns_per_s,
            "p50_ms": p50, "p95_ms": p50 * 2, "p99_ms": p50 * 3, "max_ms": p50 * 4}


def _rss(mb):
    return {"rss_mb": mb, "peak_rss_mb": mb + 10}


OURS = {"startup_s": 45.0, "training": {"seconds": 180.0, "date": "2026-11-23T08:00:00+00:00", "how": "last",
                                        "cache": "cold"},
        "load": {"1": _load(150.0, 6.0), "10": _load(1200.0, 8.0)},
        "memory": {"rasa": _rss(1100.0), "actions": _rss(55.0), "agenda": _rss(75.0)}}
BARE = {"startup_s": 30.0, "training": {"seconds": 40.0}, "load": {"1": _load(30.0, 30.0), "10": _load(300.0, 32.0)},
        "memory": {"rasa": _rss(770.0)}}


def test_ratios_to_the_bare_bot():
    times = bench.ratios(OURS, BARE)
    assert times["load"]["1"] == {"p50_ms": 5.0, "p95_ms": 5.0, "p99_ms": 5.0, "turns_per_s": 0.2}
    assert times["load"]["10"] == {"p50_ms": 4.0, "p95_ms": 4.0, "p99_ms": 4.0, "turns_per_s": 0.25}
    assert times["rasa_rss"] == round(1100 / 770, 2)
    assert times["all_processes_rss"] == round(1230 / 770, 2)
    assert times["startup"] == 1.5
    assert times["training"] == 4.5


def test_a_training_with_rasa_s_cache_warm_is_not_compared_with_the_bare_bot_s():
    for cache in ({"cache": "warm"}, {}):  # warm, or recorded before train.sh said
        ours = {**OURS, "training": {**OURS["training"], "cache": None, **cache}}
        assert bench.ratios(ours, BARE)["training"] is None
        report = bench.markdown({**_result(_agenda()), "ours": ours, "ratios": bench.ratios(ours, BARE)})
        assert "| n/a: not from scratch (`bench.py --train` times one) |" in report


def test_a_level_the_bare_bot_did_not_run_has_no_ratio():
    bare = {**BARE, "load": {"1": BARE["load"]["1"]}}
    assert set(bench.ratios(OURS, bare)["load"]) == {"1"}


def test_storm_check():
    assert storm_problems([201] + [409] * 199) == []
    assert storm_problems([409] * 200) == ["0 holds won the slot instead of exactly 1"]
    assert storm_problems([201, 201] + [409] * 198) == ["2 holds won the slot instead of exactly 1"]
    assert storm_problems([201, 500] + [409] * 198) == ["answers other than 201/409: {500: 1}"]


def _booking(slot, hold=201, confirm=201, booked=None):
    return {"slot_id": slot, "hold": hold, "confirm": confirm, "booked_slot": slot if booked is None else booked}


def test_bookings_check_passes_clean_bookings():
    assert booking_problems([_booking(slot) for slot in range(1, 201)]) == []


def test_bookings_check_flags_a_double_booking():
    rows = [_booking(1), _booking(2, booked=1), _booking(3)]
    problems = booking_problems(rows)
    assert "slot 1 booked 2 times" in problems
    assert "booking of slot 2 reads back on slot 1" in problems


def test_bookings_check_flags_failed_holds_and_confirms():
    rows = [_booking(1, hold=409, confirm=None, booked=None), _booking(2, confirm=409), _booking(3)]
    rows[0]["booked_slot"] = None
    assert booking_problems(rows) == ["hold on slot 1: HTTP 409", "confirm on slot 2: HTTP 409"]


def test_bookings_check_flags_a_booking_that_does_not_read_back():
    row = _booking(5)
    row["booked_slot"] = None
    assert booking_problems([row]) == ["booking of slot 5 reads back on slot None"]


def _agenda(correct=True):
    latency = {"n": 200, "p50_ms": 10.0, "p95_ms": 20.0, "p99_ms": 30.0, "max_ms": 40.0, "mean_ms": 12.0}
    problems = [] if correct else ["slot 7 booked 2 times"]
    return {"search": latency, "hold": latency, "confirm": latency, "errors": 0,
            "concurrent": {"slots": 200, "hold": latency, "confirm": latency, "holds_201": 200, "confirms_201": 200,
                           "bookings_read_back": 200, "hold_wall_s": 1.0, "confirm_wall_s": 2.0,
                           "problems": problems, "correct": correct},
            "storm": {"requests": 200, "winners": 1, "conflicts": 199, "other": 0, "latency": latency,
                      "seconds": 1.1, "problems": [], "correct": True},
            "correct": correct}


def _result(agenda_pg):
    channel = {"n": 5, "p50_ms": 100.0, "p95_ms": 200.0}
    return {"date": "2026-11-23T10:00:00+00:00", "machine": "x86_64, 2 cores, Python 3.10.13",
            "conversation_turns": 14, "ours": OURS, "bare": BARE, "ratios": bench.ratios(OURS, BARE),
            "channels": {"widget_turn": channel, "whatsapp_ack": channel, "whatsapp_first_reply": channel},
            "agenda": {"SQLite": _agenda(), "PostgreSQL": agenda_pg}, "load_test": None}


def test_the_report_puts_ours_the_bare_bot_and_the_ratio_side_by_side():
    report = bench.markdown(_result(_agenda()))
    assert "| metric | ours | bare Rasa | ratio |" in report
    assert ("| Turn latency, 10 conversations at once (45 s) | p50 1200 ms, p95 2400 ms, p99 3600 ms "
            "| p50 300 ms, p95 600 ms, p99 900 ms | × 4 / × 4 / × 4 |") in report
    assert "| Throughput, 1 conversation | 6 turns/s (270 turns, 0 errors) | 30 turns/s (1350 turns, 0 errors) | × 0.2 |" \
        in report
    assert "| Rasa start-up (spawn → /status 200) | 45.0 s | 30.0 s | × 1.5 |" in report
    assert ("| Training | 180.0 s (last, 2026-11-23T08:00:00+00:00; from scratch) | 40.0 s (measured now, from "
            "scratch) | × 4.5 |") in report
    assert "| Action server RSS (now / peak) | 55.0 / 65.0 MB |" in report
    assert report.count("correct, no slot booked twice") == 2  # SQLite and PostgreSQL
    assert "Agenda on PostgreSQL: 200 holds at once on one slot" in report
    assert "Load test | skipped" in report


def test_the_report_shows_a_wrong_agenda_and_a_missing_database():
    report = bench.markdown(_result(_agenda(correct=False)))
    assert "WRONG: slot 7 booked 2 times" in report
    report = bench.markdown(_result("not measured: PostgreSQL is not installed"))
    assert "| Agenda on PostgreSQL | not measured: PostgreSQL is not installed |" in report


def test_last_training_reads_what_train_sh_recorded(tmp_path, monkeypatch):
    record = tmp_path / "training.json"
    record.write_text(json.dumps({"seconds": 742, "date": "2026-11-23T07:00:00+00:00", "fingerprint": "abc"}))
    monkeypatch.setattr(bench, "TRAINING_RECORD", record)
    assert bench.last_training() == {"seconds": 742, "date": "2026-11-23T07:00:00+00:00", "fingerprint": "abc",
                                     "how": "last `scripts/train.sh` training"}


def test_the_bare_project_is_a_complete_rasa_project(tmp_path):
    import yaml

    bare_rasa.write_project(tmp_path)
    domain = yaml.safe_load((tmp_path / "domain.yml").read_text())
    rules = yaml.safe_load((tmp_path / "data" / "rules.yml").read_text())["rules"]
    nlu = yaml.safe_load((tmp_path / "data" / "nlu.yml").read_text())["nlu"]
    config = yaml.safe_load((tmp_path / "config.yml").read_text())
    assert domain["intents"] == ["greet", "affirm", "deny", "inform"]
    assert set(domain["responses"]) == {f"utter_{intent}" for intent in domain["intents"]}
    assert [rule["steps"] for rule in rules] == [[{"intent": i}, {"action": f"utter_{i}"}] for i in domain["intents"]]
    assert all(len(entry["examples"].splitlines()) >= 5 for entry in nlu)
    assert [component["name"] for component in config["pipeline"]] == [
        "WhitespaceTokenizer", "CountVectorsFeaturizer", "DIETClassifier"]
    assert [policy["name"] for policy in config["policies"]] == ["RulePolicy"]
    assert yaml.safe_load((tmp_path / "credentials.yml").read_text()) == {"rest": None}


def _replicas():
    one = {"load": _load(4000.0, 4.0, seconds=60.0), "startup_s": {"rasa-1": 50.0, "nginx": 0.1},
           "memory_mb": {"rasa-1": 1100.0, "redis": 12.0}}
    two = {"load": _load(2000.0, 6.0, seconds=60.0), "startup_s": {"rasa-1": 70.0, "rasa-2": 72.0},
           "memory_mb": {"rasa-1": 1100.0, "rasa-2": 1120.0, "postgres": 150.0}}
    return {"conversations": 25, "seconds": 60.0, "1": one, "2": two,
            "ratio": bench.replica_ratios(one["load"], two["load"])}


def test_replica_ratios_are_two_over_one():
    ratios = _replicas()["ratio"]
    assert ratios == {"turns_per_s": 1.5, "p50_ms": 0.5, "p95_ms": 0.5, "p99_ms": 0.5}


def test_the_report_gives_1_and_2_replicas_and_their_ratio():
    report = bench.markdown({**_result(_agenda()), "replicas": _replicas()})
    assert ("| Cluster, 1 Rasa replica: 25 conversations at once through nginx (60 s) | 4 turns/s, p50 4000 ms, "
            "p95 8000 ms, p99 12000 ms, 240 turns, 0 errors |") in report
    assert "2 / 1: throughput × 1.5, p50 × 0.5, p95 × 0.5, p99 × 0.5 |" in report
    assert "| Cluster, 2 replicas: RSS per process (MB) | postgres 150, rasa-1 1100, rasa-2 1120 |" in report
    assert "Scale-out (1 vs 2 replicas) | skipped" in bench.markdown(_result(_agenda()))


def test_a_cluster_load_with_errors_fails_the_benchmark():
    replicas = _replicas()
    assert bench.replica_failures(replicas) == [] and bench.replica_failures(None) == []
    replicas["2"]["load"]["errors"] = 3
    assert bench.replica_failures(replicas) == ["cluster with 2 replica(s): 3 errors"]


def test_train_sh_records_whether_rasa_s_training_cache_was_warm(tmp_path):
    """scripts/train.sh in a scratch project whose `rasa` only writes a model file."""
    _scratch_project(tmp_path, "mkdir -p models .rasa/cache\ntouch models/mediation-accueil.tar.gz .rasa/cache/component")
    env = {key: value for key, value in os.environ.items() if key != "RASA_CACHE_DIRECTORY"}

    def train():
        subprocess.run(["bash", "scripts/train.sh"], cwd=tmp_path, env=env, check=True, capture_output=True)
        return json.loads((tmp_path / "reports" / "training.json").read_text())["cache"]

    assert train() == "cold"
    (tmp_path / "data" / "nlu.yml").write_text("v2")  # a change: trained again, the cache now holds components
    assert train() == "warm"


def _scratch_project(root, fake_rasa_body: str) -> None:
    """scripts/train.sh with every input it fingerprints, and a `rasa` that runs fake_rasa_body."""
    (root / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "train.sh", root / "scripts" / "train.sh")
    for name in ("config.yml", "domain.yml", "requirements.lock", "data/nlu.yml",
                 *(path.relative_to(ROOT) for path in _files_our_nlu_components_read())):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("v1")
    fake_rasa = root / ".venv" / "bin" / "rasa"
    fake_rasa.parent.mkdir(parents=True)
    fake_rasa.write_text(f"#!/usr/bin/env bash\n{fake_rasa_body}\n")
    fake_rasa.chmod(0o755)


def _files_our_nlu_components_read() -> set:
    """Every .yml that a module of bot/rasa_plugins names as a module-level Path (a training file, the lexicon)."""
    import importlib
    from pathlib import Path
    found = set()
    for module_file in sorted((ROOT / "bot" / "rasa_plugins").glob("*.py")):
        module = importlib.import_module(f"bot.rasa_plugins.{module_file.stem}")
        found |= {value for value in vars(module).values()
                  if isinstance(value, Path) and value.suffix == ".yml" and ROOT in value.parents}
    return found


def test_train_sh_trains_again_when_a_file_our_components_read_changes(tmp_path):
    """A sentence added to the situation model's or the danger model's own file, or to the lexicon, retrains."""
    read = _files_our_nlu_components_read()
    assert {path.relative_to(ROOT).as_posix() for path in read} >= {
        "bot/intake/situation_training.yml", "bot/intake/situation_long_tail.yml", "bot/safety/training.yml",
        "bot/safety/lexicon.yml"}
    _scratch_project(tmp_path, "mkdir -p models\ntouch models/mediation-accueil.tar.gz")

    def train() -> str:
        return subprocess.run(["bash", "scripts/train.sh"], cwd=tmp_path, check=True, capture_output=True,
                              text=True).stdout

    assert "Training the model" in train()
    assert "up to date" in train()
    for path in sorted(read):
        (tmp_path / path.relative_to(ROOT)).write_text("v2")
        assert "Training the model" in train(), path.relative_to(ROOT)
        assert "up to date" in train()
