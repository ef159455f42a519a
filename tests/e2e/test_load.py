"""The load test of issue 6 (scripts/bench/load_test.py): the real load (its checks on fakes:
tests/unit/scripts/test_load_checks.py).

The real load runs 25 people at once for 3 minutes against its own servers (rate limits
off, private stores), about 4 minutes with the start-up."""
from __future__ import annotations

import json

import pytest

from scripts.bench import load_test
from scripts.bench.load_test import Settings


@pytest.mark.model
def test_25_concurrent_conversations_for_3_minutes():
    result = load_test.run_load_test(Settings(conversations=25, duration=180))

    assert result["errors"] == 0, result["error_details"]
    assert result["lost_messages"] == 0, result["lost_details"]
    assert result["mixed_conversations"] == 0, result["mixed_details"]
    assert result["server_log_errors"] == []
    assert result["max_open_conversations"] >= 25
    # Someone finished and started again: the whole intake ran, and new sender ids too.
    assert result["conversations_completed"] >= 1 and result["conversations_started"] > 25
    assert result["wall_s"] >= 180 and result["passed"]
    report = json.loads((load_test.ROOT / "reports" / "load.json").read_text(encoding="utf-8"))
    assert report["latency_ms"]["p95"] > 0 and report["rasa_memory"]["after"]["peak_rss_mb"] > 0
    assert "p95" in (load_test.ROOT / "reports" / "load.md").read_text(encoding="utf-8")
