"""No sentence of a test set may be a training sentence: a set the model learnt is no test.

The situation sets are checked against data/nlu in tests/e2e/test_nlu_heldout.py; this checks the
safety sets (tests/safety/*.yml, every one of them, so a new set is covered without anyone
remembering it) against both places the danger screen learns from.
"""
from __future__ import annotations

import yaml

from bot.language.answers import normalise
from bot.paths import ROOT

SAFETY_SETS = sorted((ROOT / "tests" / "safety").glob("*.yml"))


def _training_texts() -> set[str]:
    raw = yaml.safe_load((ROOT / "bot" / "safety" / "training.yml").read_text(encoding="utf-8"))
    texts = [entry["text"] for entry in raw["dangers"]] + list(raw["not_dangers"])
    for path in (ROOT / "data" / "nlu").glob("*.yml"):
        for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu") or []:
            texts += [line.strip()[2:] for line in (block.get("examples") or "").splitlines()
                      if line.strip().startswith("- ")]
    return {normalise(text) for text in texts}


def _test_texts(path) -> list[str]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    entries = (raw.get("hits") or []) + (raw.get("near_misses") or [])
    return [entry["text"] if isinstance(entry, dict) else entry for entry in entries]


def test_there_are_safety_test_sets():
    assert len(SAFETY_SETS) >= 5
    assert all(_test_texts(path) for path in SAFETY_SETS)


def test_no_safety_test_sentence_is_a_training_sentence():
    training = _training_texts()
    leaked = {path.name: [text for text in _test_texts(path) if normalise(text) in training] for path in SAFETY_SETS}
    assert {name: texts for name, texts in leaked.items() if texts} == {}
