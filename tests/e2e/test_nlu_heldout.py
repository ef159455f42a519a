"""The held-out situations (never trained on) are classified as the assistant would."""

import pytest

from scripts.bench.eval_nlu import BLIND, BLIND_B, evaluate, heldout_examples, write_report
from bot.paths import ROOT

pytestmark = pytest.mark.model


def test_heldout_set_is_not_in_the_training_data():
    nlu_dir = ROOT / "data" / "nlu"
    train_text = "\n".join(path.read_text(encoding="utf-8").lower() for path in nlu_dir.glob("*.yml"))
    overlap = [text for text, _ in heldout_examples() if f"- {text.lower()}\n" in train_text]
    assert overlap == []


# 92.7 % measured on 2026-12-03, after 7 sentences were relabelled from « other » to workplace
# (associations, clubs, partners: the convention of issue 15); the old model scored 96.7 % on
# the old labels. A regression guard, not a goal.
HELDOUT_MIN_ACCURACY = 0.9  # less a margin for the noise of a training from scratch


def test_heldout_accuracy_holds(model_parse):
    result = evaluate(model_parse)
    write_report(result)
    assert result["examples"] >= 150
    assert result["accuracy"] >= HELDOUT_MIN_ACCURACY, result["errors"]


# The blind set: its floor is the figure measured when the change of 2026-12-03 was final
# (89.0 %; 76.0 % before it), less a margin for the noise of a training from scratch.
# Issue 15's goal, 97 % on the hidden sets, is not reached yet.
BLIND_MIN_ACCURACY = 0.87


@pytest.mark.parametrize("blind", [BLIND, BLIND_B], ids=["blind", "blind_b"])
def test_blind_set_is_not_in_the_training_data(blind):
    nlu_dir = ROOT / "data" / "nlu"
    train_text = "\n".join(path.read_text(encoding="utf-8").lower() for path in nlu_dir.glob("*.yml"))
    overlap = [text for text, _ in heldout_examples(blind) if f"- {text.lower()}\n" in train_text]
    assert overlap == []


# The second blind set (250, 50 per domain), never read: 88.4 % with the model of the session's
# start; its floor is today's figure less the same margin. Issue 15's goal is 97 %.
BLIND_B_MIN_ACCURACY = BLIND_B_FLOOR_PLACEHOLDER


def test_second_blind_set_accuracy_holds(model_parse):
    result = evaluate(model_parse, heldout_examples(BLIND_B))
    write_report(result, "nlu_eval_blind_b")
    assert result["examples"] >= 250
    assert result["accuracy"] >= BLIND_B_MIN_ACCURACY


def test_blind_accuracy_holds(model_parse):
    result = evaluate(model_parse, heldout_examples(BLIND))
    write_report(result, "nlu_eval_blind")
    assert result["examples"] >= 200
    assert result["accuracy"] >= BLIND_MIN_ACCURACY
