"""TED computed only when Rasa's ensemble needs it (bot/rasa_plugins/speedups.py): the same
decision as Rasa's own ensemble given every prediction, checked on many combinations."""
from __future__ import annotations

import copy
import random
from types import SimpleNamespace

import pytest
from rasa.core.policies.ensemble import DefaultPolicyPredictionEnsemble, PolicyPredictionEnsemble
from rasa.core.policies.policy import PolicyPrediction
from rasa.core.policies.ted_policy import TEDPolicy
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActionExecutionRejected, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.tensorflow.constants import MODEL_CONFIDENCE, SOFTMAX

from bot.rasa_plugins import speedups

DOMAIN = Domain.from_dict({"intents": ["greet"], "actions": ["action_a", "action_b"],
                           "responses": {"utter_x": [{"text": "x"}]}})
N_ACTIONS = len(DOMAIN.action_names_or_texts)
RASA_COMBINE = PolicyPredictionEnsemble.combine_predictions_from_kwargs  # not patched: the base class's


def _probabilities(rng: random.Random, certain: bool) -> list[float]:
    values = [0.0] * N_ACTIONS
    if certain:
        values[rng.randrange(N_ACTIONS)] = 1.0
    elif rng.random() < 0.5:
        values[rng.randrange(N_ACTIONS)] = rng.choice([0.3, 0.7, 0.99])
    return values


def _ted_probabilities(rng: random.Random) -> list[float]:
    """A softmax: non-negative, summing to 1; sometimes all on one action (exactly 1.0)."""
    if rng.random() < 0.3:
        values = [0.0] * N_ACTIONS
        values[rng.randrange(N_ACTIONS)] = 1.0
        return values
    weights = [rng.random() ** 4 for _ in range(N_ACTIONS)]
    return [w / sum(weights) for w in weights]


def _case(rng: random.Random) -> tuple[list, DialogueStateTracker]:
    memo = PolicyPrediction(_probabilities(rng, rng.random() < 0.4), "MemoizationPolicy", 3)
    rule = PolicyPrediction(_probabilities(rng, rng.random() < 0.5), "RulePolicy", 4,
                            events=[ActionExecuted("action_a")] if rng.random() < 0.2 else [],
                            is_no_user_prediction=rng.random() < 0.15)
    ted = PolicyPrediction(_ted_probabilities(rng), "TEDPolicy", 1,
                           diagnostic_data={"x": 1}, optional_events=[UserUttered("y")] if rng.random() < 0.1 else [])
    events = [ActionExecuted("action_listen"), UserUttered("bonjour", {"name": "greet", "confidence": 1.0})]
    if rng.random() < 0.2:
        events += [ActionExecutionRejected(rng.choice(DOMAIN.action_names_or_texts))]
    return [memo, rule, ted], DialogueStateTracker.from_events("s", events)


def _deferred(prediction: PolicyPrediction, reads: list) -> speedups.DeferredPrediction:
    def compute():
        reads.append(1)
        return copy.deepcopy(prediction)
    return speedups.DeferredPrediction(compute, prediction.policy_priority)


def test_the_server_modules_install_the_deferred_ted_and_its_ensemble():
    import bot.rasa_plugins.tracker_store  # noqa: F401 (what the Rasa server loads)
    assert TEDPolicy.predict_action_probabilities is speedups.deferred_ted_predict
    assert DefaultPolicyPredictionEnsemble.combine_predictions_from_kwargs is speedups.combine_predictions_from_kwargs


def test_the_decision_is_rasa_s_own_and_ted_is_skipped_only_when_it_cannot_win():
    rng = random.Random(19)
    ensemble = DefaultPolicyPredictionEnsemble()
    skipped = computed = 0
    for _ in range(3000):
        (memo, rule, ted), tracker = _case(rng)
        rasa = RASA_COMBINE(ensemble, tracker, DOMAIN, **copy.deepcopy({"memo": memo, "rule": rule, "ted": ted}))
        reads: list = []
        ours = speedups.combine_predictions_from_kwargs(
            ensemble, tracker, DOMAIN, memo=copy.deepcopy(memo), rule=copy.deepcopy(rule),
            ted=_deferred(ted, reads))
        assert ours == rasa
        assert ours.diagnostic_data == rasa.diagnostic_data and ours.optional_events == rasa.optional_events
        if reads:
            computed += 1
        else:
            skipped += 1
            assert rasa.policy_name != "TEDPolicy"
    assert skipped > 500 and computed > 500  # both paths exercised


def test_rasa_s_own_ensemble_reads_a_deferred_prediction_as_the_prediction_itself():
    rng = random.Random(7)
    ensemble = DefaultPolicyPredictionEnsemble()
    for _ in range(200):
        (memo, rule, ted), tracker = _case(rng)
        reads: list = []
        expected = RASA_COMBINE(ensemble, tracker, DOMAIN, **copy.deepcopy({"memo": memo, "rule": rule, "ted": ted}))
        got = RASA_COMBINE(ensemble, tracker, DOMAIN, memo=copy.deepcopy(memo), rule=copy.deepcopy(rule),
                           ted=_deferred(ted, reads))
        assert got == expected and reads == [1]


def test_a_deferred_prediction_is_computed_once_and_only_when_read():
    reads: list = []
    deferred = _deferred(PolicyPrediction([0.2, 0.8], "TEDPolicy", 1), reads)
    assert not deferred.computed and reads == []
    assert deferred.max_confidence == 0.8 and deferred.probabilities == [0.2, 0.8]
    assert deferred.computed and reads == [1]
    assert not hasattr(deferred, "no_such_attribute")
    assert copy.deepcopy(deferred) == PolicyPrediction([0.2, 0.8], "TEDPolicy", 1)


@pytest.mark.parametrize("fake_features, confidence, deferred", [
    ({"intent": []}, SOFTMAX, True),
    ({"intent": [], "text": []}, SOFTMAX, False),  # may predict end to end from the text
    ({"intent": []}, "auto", False),  # raw similarities, not bounded by 1.0
])
def test_ted_is_deferred_only_where_it_can_neither_be_end_to_end_nor_exceed_one(monkeypatch, fake_features,
                                                                                 confidence, deferred):
    calls = []
    monkeypatch.setattr(speedups, "_rasa_ted_predict",
                        lambda *args, **kwargs: calls.append(args) or PolicyPrediction([1.0], "TEDPolicy", 1))
    ted = SimpleNamespace(fake_features=fake_features, config={MODEL_CONFIDENCE: confidence}, priority=1)
    prediction = speedups.deferred_ted_predict(ted, "tracker", "domain", None, None)
    assert isinstance(prediction, speedups.DeferredPrediction) is deferred
    assert len(calls) == (0 if deferred else 1)
    assert prediction.probabilities == [1.0] and len(calls) == 1
