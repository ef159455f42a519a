"""scripts/bench/eval_nlu.py: the held-out evaluation counts what a person would get."""
from scripts.bench.eval_nlu import evaluate, markdown


def _parse(text):
    if "couteau" in text:  # the safety screen's decision, with the situation scores still ranked
        return {"intent": {"name": "safety_alert", "confidence": 1.0},
                "intent_ranking": [{"name": "safety_alert", "confidence": 1.0},
                                   {"name": "situation_neighbourhood", "confidence": 0.9}]}
    return {"intent": {"name": "situation_consumer", "confidence": 0.9},
            "intent_ranking": [{"name": "situation_consumer", "confidence": 0.9}]}


def test_a_story_read_as_danger_is_counted_apart_from_the_accuracy():
    calls = []
    result = evaluate(lambda text: calls.append(text) or _parse(text), [
        ("mon garagiste garde ma voiture", "consumer"),
        ("le voisin m'a montré un couteau pour la haie", "neighbourhood")])
    assert result["flagged_as_danger"] == 1
    assert len(calls) == 2  # each sentence parsed once
    assert "Read as danger by the safety screen (numbers, no mediation proposal): 1" in markdown(result)
