"""The writer-level cross-validation that chooses training batches (scripts/bench/writer_cv.py)."""
from __future__ import annotations

import yaml

from bot.paths import ROOT
from bot.rasa_plugins.nlu_danger import TRAINING_FILE as DANGER_FILE
from bot.rasa_plugins.nlu_situation_model import own_sentences
from scripts.bench import writer_cv


def test_every_situation_sentence_is_in_exactly_one_place():
    fixed, batches = writer_cv.situation_batches()
    in_data = [example for path in sorted((ROOT / "data" / "nlu").glob("situations*.yml"))
               for example in writer_cv.situation_examples(path.read_text(encoding="utf-8"))]
    everything = sorted(fixed + [example for examples in batches.values() for example in examples])
    assert everything == sorted(in_data + own_sentences())
    assert all(batches.values())
    # The data/nlu writers, the situation model's own batches and the long tail, each by its header.
    assert {"borders", "confusable", "implied", "organisations", "roles", "varied", "j", "n", "p", "q", "v", "r"} <= set(batches)


def test_every_danger_and_look_alike_is_in_its_writers_batch():
    dangers, alike = writer_cv.danger_batches()
    data = yaml.safe_load(DANGER_FILE.read_text(encoding="utf-8"))
    assert sum(map(len, dangers.values())) == len(data["dangers"])
    assert sum(map(len, alike.values())) == len(data["not_dangers"])
    assert {"a", "b", "c", "d", "e", "i", "m", "n", "o", "p"} <= set(dangers)
    assert dangers["a"][0] == (data["dangers"][0]["text"], tuple(data["dangers"][0]["categories"]))
    last = list(alike)[-1]  # the newest writer's look-alikes close the file
    assert alike[last][-1] == data["not_dangers"][-1]


def test_batches_are_cut_at_their_headers(tmp_path):
    path = tmp_path / "own.yml"
    path.write_text('version: "3.1"\n# what the file is for\n# Batch x, by a writer\nnlu:\n'
                    "- intent: situation_family\n  examples: |\n    - un\n    - deux\n"
                    "# Batch y, by another\n- intent: situation_other\n  examples: |\n    - trois\n"
                    "- intent: greet\n  examples: |\n    - bonjour\n", encoding="utf-8")
    assert writer_cv.batches_by_header(path) == {"x": [("un", "situation_family"), ("deux", "situation_family")],
                                                 "y": [("trois", "situation_other")]}


def test_a_held_out_batch_is_never_learnt_and_the_fixed_sentences_always_are(capsys):
    seen = {}

    def fit_and_score(train, held_out):
        seen[held_out[0]] = train
        return {"size": len(train)}

    results = writer_cv.cross_validate({"a": ["a1", "a2"], "b": ["b1"], "c": ["c1"]}, ["f"], fit_and_score)
    assert results == {"a": {"size": 3}, "b": {"size": 4}, "c": {"size": 4}}
    assert sorted(seen["a1"]) == ["b1", "c1", "f"]
    assert sorted(seen["b1"]) == ["a1", "a2", "c1", "f"]


def test_situations_folds_score_each_held_out_batch_with_the_situation_model(monkeypatch, tmp_path, capsys):
    fixed = [("mon voisin fait du bruit", "situation_neighbourhood"), ("mon patron ne paie pas", "situation_workplace")]
    batches = {"x": [("le voisin tond la nuit", "situation_neighbourhood"), ("la cheffe me crie dessus", "situation_workplace")],
               "y": [("bruit du voisin encore", "situation_neighbourhood"), ("heures sup du patron", "situation_workplace")]}
    monkeypatch.setattr(writer_cv, "situation_batches", lambda: (fixed, batches))
    candidate = tmp_path / "batch_z.yml"
    candidate.write_text("nlu:\n- intent: situation_workplace\n  examples: |\n    - ma paie du patron\n", encoding="utf-8")
    results = writer_cv._situations([candidate])
    assert set(results) == {"x", "y", "candidate_batch_z", "mean"}
    assert results["candidate_batch_z"] == {"sentences": 1, "right": 1, "accuracy": 100.0}
    assert all(0 <= results[name]["right"] <= 2 for name in ("x", "y"))
