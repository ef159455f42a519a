"""The safety screen inside the NLU pipeline of the trained model (real server on loopback):
every hit of the test set comes out as `safety_alert`, no near miss does."""
from __future__ import annotations

import pytest

from tests.unit.safety.test_safety import HITS, NEAR_MISSES

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def parse(model_parse):
    return model_parse


def test_every_hit_is_a_safety_alert_through_the_model(parse):
    missed = [hit["text"] for hit in HITS if parse(hit["text"])["intent"]["name"] != "safety_alert"]
    assert missed == []


def test_no_near_miss_is_a_safety_alert_through_the_model(parse):
    fired = [text for text in NEAR_MISSES if parse(text)["intent"]["name"] == "safety_alert"]
    assert fired == []


def test_the_situation_scores_survive_the_override(parse):
    result = parse("mon mari me frappe et je veux divorcer")
    names = [entry["name"] for entry in result["intent_ranking"]]
    assert names[0] == "safety_alert" and "situation_family" in names[1:4]
