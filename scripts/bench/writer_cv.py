"""Writer-level cross-validation: how a candidate batch of training sentences is chosen.

Each batch of training sentences was written by one writer. A model trained on all the other
batches reads the held-out batch the way it would read a new writer's messages, which a random
split cannot show (one writer's sentences resemble each other). A candidate batch is kept only if
every older batch held out reads as well or better with it (exceptions are stated where the batch
lives). The blind test sets are never used here.

    .venv/bin/python -m scripts.bench.writer_cv situations [candidate.yml ...]
    .venv/bin/python -m scripts.bench.writer_cv danger [--candidate dangers.yml] [--stories situations.yml]

`situations`: the situation model (bot/rasa_plugins/nlu_situation_model.py) alone, accuracy on each
held-out batch; a candidate is also held out itself (how the current data reads it). `danger`: the
danger model at its 0.5 % rule, dangers flagged and look-alikes flagged in each held-out batch;
`--stories` adds situations the danger model would learn as ordinary messages.
About 20 minutes each on 2 cores.
"""
from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Callable, Iterable, TypeVar

import yaml

from bot.paths import ROOT
from scripts.bench.eval_nlu import nlu_examples

NLU = ROOT / "data" / "nlu"
# Sentences every fold learns: the first ones, written before batches were kept by writer.
FIXED_FILES = ("situations.yml", "situations_more.yml", "situations_collective.yml")
# data/nlu files that are each one writer's batch.
BATCH_FILES = {"borders": "situations_borders.yml", "confusable": "situations_confusable.yml",
               "implied": "situations_implied.yml", "organisations": "situations_organisations.yml",
               "roles": "situations_roles.yml", "varied": "situations_varied.yml"}
_BATCH_HEADER = re.compile(r"^\s*# (?:Batch (\w+)|(Second pass))")

Example = TypeVar("Example")


def situation_examples(text: str) -> list[tuple[str, str]]:
    """(sentence, intent) of the situation_* blocks of an NLU YAML text."""
    return [(sentence, intent) for sentence, intent in nlu_examples(text) if intent.startswith("situation_")]


def batches_by_header(path: Path) -> dict[str, list[tuple[str, str]]]:
    """The situations of a file whose batches each start with a « # Batch x » comment line."""
    batches: dict[str, list[str]] = {}
    current = None
    for line in path.read_text(encoding="utf-8").splitlines():
        header = _BATCH_HEADER.match(line)
        if header:
            current = header.group(1) or "b"
            batches.setdefault(current, [])
        elif current is not None and not line.startswith(("nlu:", "version:")):
            batches[current].append(line)
    return {name: situation_examples("nlu:\n" + "\n".join(lines)) for name, lines in batches.items()}


def situation_batches() -> tuple[list[tuple[str, str]], dict[str, list[tuple[str, str]]]]:
    """(the sentences every fold learns, the writers' batches by name)."""
    from bot.rasa_plugins.nlu_situation_model import LONG_TAIL_FILE, TRAINING_FILE

    fixed = [example for name in FIXED_FILES for example in situation_examples((NLU / name).read_text(encoding="utf-8"))]
    batches = {name: situation_examples((NLU / file).read_text(encoding="utf-8")) for name, file in BATCH_FILES.items()}
    for path in (TRAINING_FILE, LONG_TAIL_FILE):
        for name, examples in batches_by_header(path).items():
            batches[name if name not in batches else f"{path.stem}_{name}"] = examples
    return fixed, batches


def danger_batches(path: Path | None = None) -> tuple[dict[str, list], dict[str, list]]:
    """Dangers and look-alikes of bot/safety/training.yml by writer's batch (« a »: before any header)."""
    from bot.rasa_plugins.nlu_danger import TRAINING_FILE

    path = path or TRAINING_FILE
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    dangers, alike = iter(data["dangers"]), iter(data["not_dangers"])
    by_batch: dict[str, dict[str, list]] = {"dangers": {}, "not_dangers": {}}
    section, batch = None, "a"
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith(("dangers:", "not_dangers:")):
            section, batch = line.rstrip(":"), "a"
            continue
        header = _BATCH_HEADER.match(line)
        if header:
            batch = header.group(1) or "b"
        elif section == "dangers" and line.startswith("  - text:"):
            entry = next(dangers)
            by_batch[section].setdefault(batch, []).append((entry["text"], tuple(entry["categories"])))
        elif section == "not_dangers" and line.startswith("  - "):
            by_batch[section].setdefault(batch, []).append(next(alike))
    return by_batch["dangers"], by_batch["not_dangers"]


def cross_validate(batches: dict[str, list[Example]], fixed: list[Example],
                   fit_and_score: Callable[[list[Example], list[Example]], dict]) -> dict[str, dict]:
    """Each batch held out in turn: the score of a model fitted on the fixed sentences and all the others."""
    results = {}
    for held, held_out in batches.items():
        results[held] = fit_and_score(fixed + [example for name, examples in batches.items() if name != held
                                               for example in examples], held_out)
        print(held, results[held], flush=True)  # a fold takes one to two minutes
    return results


def _situations(candidates: Iterable[Path]) -> dict[str, dict]:
    import numpy as np

    from bot.rasa_plugins.nlu_situation_model import SituationModel

    fixed, batches = situation_batches()
    for path in candidates:
        batches[f"candidate_{path.stem}"] = situation_examples(path.read_text(encoding="utf-8"))

    def fit_and_score(train, held_out):
        model = SituationModel.fit([text for text, _ in train], [label for _, label in train])
        right = sum(max((probabilities := model.probabilities(text)), key=probabilities.get) == label
                    for text, label in held_out)
        return {"sentences": len(held_out), "right": int(right), "accuracy": round(100 * right / len(held_out), 2)}

    results = cross_validate(batches, fixed, fit_and_score)
    results["mean"] = round(float(np.mean([r["accuracy"] for r in results.values()])), 2)
    return results


def _danger(candidate: Path | None, stories: Path | None) -> dict[str, dict]:
    import spacy
    from rasa.shared.nlu.training_data.loading import load_data

    from bot.rasa_plugins.nlu_danger import nlu_sentences, ordinary_stories
    from bot.safety.danger_model import DangerModel
    from bot.safety.screen import screen, without_idioms

    vocab = spacy.load("fr_core_news_md", exclude=["tagger", "parser", "ner", "lemmatizer", "morphologizer",
                                                   "attribute_ruler", "senter"]).vocab
    dangers, alike = danger_batches()
    extra_dangers, extra_alike = [], []
    if candidate:
        data = yaml.safe_load(candidate.read_text(encoding="utf-8"))
        extra_dangers = [(e["text"], tuple(e["categories"])) for e in data.get("dangers") or []]
        extra_alike = list(data.get("not_dangers") or [])
    cries, ordinary = nlu_sentences(load_data(str(NLU)).intent_examples)
    learnt_stories = ordinary_stories()
    if stories:
        learnt_stories += [text for text, _ in situation_examples(stories.read_text(encoding="utf-8"))
                           if not screen(text).hit]
    # A danger is (text, its categories); a look-alike is (text, None).
    batches = {name: dangers.get(name, []) + [(text, None) for text in alike.get(name, [])]
               for name in {**dangers, **alike}}
    fixed = cries + extra_dangers + [(text, None) for text in ordinary + learnt_stories + extra_alike]

    def fit_and_score(train, held_out):
        model = DangerModel.fit([(text, categories) for text, categories in train if categories is not None],
                                [text for text, categories in train if categories is None], vocab)
        found = [model.assess(without_idioms(text), vocab)[0] >= model.threshold for text, _ in held_out]
        is_danger = [categories is not None for _, categories in held_out]
        return {"dangers": sum(is_danger), "flagged": int(sum(f for f, d in zip(found, is_danger) if d)),
                "look_alikes": len(is_danger) - sum(is_danger),
                "false_alarms": int(sum(f for f, d in zip(found, is_danger) if not d))}

    results = cross_validate(batches, fixed, fit_and_score)
    results["total"] = {key: sum(r[key] for r in results.values()) for key in ("dangers", "flagged", "look_alikes",
                                                                                "false_alarms")}
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="model", required=True)
    situations = sub.add_parser("situations")
    situations.add_argument("candidates", nargs="*", type=Path)
    danger = sub.add_parser("danger")
    danger.add_argument("--candidate", type=Path)
    danger.add_argument("--stories", type=Path)
    args = parser.parse_args(argv)
    results = _situations(args.candidates) if args.model == "situations" else _danger(args.candidate, args.stories)
    print(json.dumps(results, ensure_ascii=False))


if __name__ == "__main__":
    main()
