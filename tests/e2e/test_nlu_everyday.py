"""Everyday short answers are understood, not « not understood ».

A DIET trained too briefly (40 epochs, third session of 2026-12-03) still ranked the right intent
first but below the fallback threshold: 36 of the 581 non-situation training sentences, « d'accord »
among them, got « je n'ai pas compris », and « d'accord » to the consent question was asked again.
"""
from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.loading import load_data

from bot.paths import ROOT

pytestmark = pytest.mark.model

# 80 epochs: 7 of 581 (measured 2026-12-03, fourth session); the floor leaves room for the noise
# of a training from scratch, and fails at the 36 of the 40-epoch model.
MAX_OWN_SENTENCES_MISSED = 15


def test_the_model_understands_its_own_everyday_sentences(model_parse):
    data = load_data(str(ROOT / "data" / "nlu"))
    examples = [(e.get("text"), e.get("intent")) for e in data.intent_examples
                if not e.get("intent").startswith("situation_")]
    missed = [(text, intent) for text, intent in examples if model_parse(text)["intent"]["name"] != intent]
    assert len(examples) > 500
    assert len(missed) <= MAX_OWN_SENTENCES_MISSED, missed


@pytest.mark.parametrize("text", ["d'accord", "oui d'accord", "ça marche", "parfait", "ok"])
def test_a_plain_yes_is_a_yes(model_parse, text):
    assert model_parse(text)["intent"]["name"] == "affirm"


# Found in the sixteenth pass (2026-12-05): the danger model, alone, read one- or two-word imperatives
# as danger (« attendez » 0.9998, « recommencez » 0.99), so « attendez » at any question gave the
# emergency numbers and took the mediation away. 23 of 134 short everyday messages probed then fired.
@pytest.mark.parametrize("text", ["attendez", "attends", "patientez", "écoutez", "regardez", "expliquez",
                                  "dites-moi", "rappelez-moi", "recommencez", "laissez tomber", "je pense",
                                  "allez", "restez", "lentement", "montrez-moi"])
def test_a_short_everyday_message_is_not_a_danger(model_parse, text):
    assert model_parse(text)["intent"]["name"] != "safety_alert"
