"""Held-out evaluation of the situation classification (NLU model + bot/intake/classifier.py).

`make eval` loads the trained model in-process, classifies every sentence of the
held-out sets (never used for training) exactly as the assistant does: the project's
tests/nlu/heldout_situations.yml and the blind sets tests/nlu/blind_situations_2026_12*.yml
(SETS below says which are still blind).
It prints the accuracy and recall per class of each, and writes precision/recall, the
confusion matrix and the errors to reports/nlu_eval_<set>.md and .json; the errors are
printed only with `--errors` (read them only once a change is final: a set whose errors
were tuned on is a training set).
"""
from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Callable, Iterable

from bot.codes import SAFETY_INTENT
from bot.paths import ROOT

from bot.intake.classifier import DOMAINS, classify

HELDOUT = ROOT / "tests" / "nlu" / "heldout_situations.yml"
# The blind sets, each written by someone who never saw the training data, and never tuned on:
# tests/nlu/blind_situations_2026_12<letter>.yml, named blind_<letter> (the first one « blind »).
# - blind: Written by someone who never saw the training data, before the changes of 2026-12-03.
# - blind_b: Written blind before the changes of the second session of 2026-12-03; « blind » and
#   « heldout » have since been read as development sets (their errors guided the classifier), this one never.
# - blind_c: Written blind before the changes of the third session of 2026-12-03 (300, 60 per domain);
#   from then on blind_b is measured but no longer the only blind set.
#   Its errors were read in the sixteenth pass (2026-12-05; 94.3 % then, the lowest with f): a development set since.
# - blind_d: Written blind before the changes of the fourth session of 2026-12-03 (290: 55 per domain,
#   15 « other »), with the project's label conventions given to the writer beforehand.
# - blind_e: Written blind before the changes of the fifth session of 2026-12-03 (300: 55 per domain, 25
#   « other »), the conventions given to its writer; from then on blind_d is measured, not only blind.
# - blind_f: Written blind before the changes of the sixth pass (same composition as blind_e), by a
#   writer who never saw the data; its first measure is that of the fifth session's model.
#   Its errors were read in the sixteenth pass (2026-12-05; 94.7 % then): a development set since.
# - blind_g: Written blind at the start of the seventh pass (2026-12-04, same composition), by a writer
#   who never saw the repository; first measured on the sixth pass's final model, before any change.
# - blind_h: Written blind at the start of the eighth pass (2026-12-04, same composition), by a writer
#   who never saw the repository; first measured on the seventh pass's final model, before any change.
# - blind_i: Written blind at the start of the ninth pass (2026-12-04, same composition), by a writer
#   who never saw the repository; first measured on the eighth pass's final model, before any change.
# - blind_j: Written blind during the ninth pass (2026-12-04, same composition), by a writer who never
#   saw the repository; first measured on the model of batch i, before batch j.
# - blind_k: Written blind at the end of the ninth pass (2026-12-04, same composition), by a writer who
#   never saw the repository; measured only on the pass's final model, nothing was chosen on it.
# - blind_l: Written blind at the start of the tenth pass (2026-12-04, same composition), by a writer
#   who never saw the repository; first measured on the ninth pass's final model, before any change.
# - blind_m: Written blind at the start of the eleventh pass (2026-12-04, same composition), by a writer
#   who never saw the repository; first measured on the tenth pass's final model, before any change.
# - blind_n: Written blind at the start of the twelfth pass (2026-12-05, same composition), by a writer
#   who never saw the repository; first measured on the eleventh pass's final model, before any change.
# - blind_o: Written blind at the start of the thirteenth pass (2026-12-05, same composition), by a
#   writer who never saw the repository; first measured on the twelfth pass's final model, before any
#   change.
# - blind_p: Written blind at the start of the fourteenth pass (2026-12-05, same composition; 19
#   sentences too close to a training sentence or equal to an older test sentence removed unread: 281
#   left), by a writer who never saw the repository; first measured on the thirteenth pass's final
#   model, before any change.
# - blind_q: Written blind at the start of the fifteenth pass (2026-12-05, same composition; 17
#   sentences too close to a training sentence or to an older test sentence removed unread: 283 left),
#   by a writer who never saw the repository; first measured on the fourteenth pass's final model,
#   before any change.
# - blind_r: Written blind at the start of the sixteenth pass (2026-12-05, same composition; 22
#   sentences too close to a training sentence or to an older test sentence removed unread: 278 left),
#   by a writer who never saw the repository; first measured on the fifteenth pass's final model,
#   before any change.
BLIND_DIR = ROOT / "tests" / "nlu"


def _blind_name(path: Path) -> str:
    letter = path.stem.removeprefix("blind_situations_2026_12")
    return f"blind_{letter}" if letter else "blind"


# Every file found, so a new blind set is measured (and needs its floor in tests) without a code change.
SETS = {"heldout": HELDOUT, **{_blind_name(path): path for path in sorted(BLIND_DIR.glob("blind_situations_2026_12*.yml"))}}
LABELS = list(DOMAINS) + ["other", "none"]


def nlu_examples(text: str) -> list[tuple[str, str]]:
    """(sentence, intent) of every block of an NLU YAML text (Rasa's format, no entities)."""
    import yaml

    data = yaml.safe_load(text) or {}
    return [(line.strip()[2:].strip(), block["intent"]) for block in data.get("nlu") or []
            for line in str(block.get("examples") or "").splitlines() if line.strip().startswith("- ")]


def heldout_examples(path: Path = HELDOUT) -> list[tuple[str, str]]:
    return [(text, intent.removeprefix("situation_")) for text, intent in nlu_examples(path.read_text(encoding="utf-8"))]


def predict(parse: Callable[[str], dict], text: str) -> str:
    """The domain the assistant would propose for `text` ("none" if it would ask again)."""
    parsed = parse(text)
    result = classify(text, parsed.get("intent_ranking") or [parsed.get("intent") or {}])
    return result.domain if result else "none"


def evaluate(parse: Callable[[str], dict], examples: Iterable[tuple[str, str]] | None = None) -> dict:
    from sklearn.metrics import classification_report, confusion_matrix

    examples = list(examples or heldout_examples())
    expected = [domain for _, domain in examples]
    parsed = {text: parse(text) for text, _ in examples}  # once each: the domain and the screen read the same parse
    predicted = [predict(parsed.__getitem__, text) for text, _ in examples]
    # A story the safety screen takes for danger gets the emergency numbers and no mediation proposal,
    # whatever its domain: counted apart, since the accuracy above does not see it.
    flagged = sum((parsed[text].get("intent") or {}).get("name") == SAFETY_INTENT for text, _ in examples)
    errors = [{"text": t, "expected": e, "predicted": p} for (t, e), p in zip(examples, predicted) if e != p]
    report = classification_report(expected, predicted, labels=LABELS[:-1], output_dict=True, zero_division=0)
    return {
        "examples": len(examples),
        "accuracy": sum(e == p for e, p in zip(expected, predicted)) / len(examples),
        "flagged_as_danger": flagged,
        "per_class": {label: {k: round(report[label][k], 3) for k in ("precision", "recall", "f1-score", "support")}
                      for label in LABELS[:-1]},
        "labels": LABELS,
        "confusion_matrix": confusion_matrix(expected, predicted, labels=LABELS).tolist(),
        "errors": errors,
    }


def markdown(result: dict) -> str:
    lines = [f"# Situation classification on the held-out set ({result['examples']} sentences)", "",
             f"Accuracy: **{result['accuracy']:.1%}**", "",
             f"Read as danger by the safety screen (numbers, no mediation proposal): {result.get('flagged_as_danger', 0)}",
             "", "| class | precision | recall | f1 | support |",
             "|---|---|---|---|---|"]
    for label, row in result["per_class"].items():
        lines.append(f"| {label} | {row['precision']:.3f} | {row['recall']:.3f} | {row['f1-score']:.3f} | "
                     f"{int(row['support'])} |")
    lines += ["", "Confusion matrix (rows: expected, columns: predicted; `none` = asked to describe again)", "",
              "| | " + " | ".join(result["labels"]) + " |", "|---" * (len(result["labels"]) + 1) + "|"]
    for label, row in zip(result["labels"], result["confusion_matrix"]):
        lines.append(f"| **{label}** | " + " | ".join(str(n) for n in row) + " |")
    lines += ["", "Errors:", ""] + [f"- {e['expected']} → {e['predicted']}: {e['text']}" for e in result["errors"]]
    return "\n".join(lines) + "\n"


def write_report(result: dict, name: str = "nlu_eval") -> Path:
    reports = ROOT / "reports"
    reports.mkdir(exist_ok=True)
    (reports / f"{name}.json").write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
    path = reports / f"{name}.md"
    path.write_text(markdown(result), encoding="utf-8")
    return path


def main() -> None:
    from rasa.core.agent import Agent

    model = sorted((ROOT / "models").glob("*.tar.gz"))[-1]
    agent = Agent.load(str(model))
    loop = asyncio.new_event_loop()
    show_errors = "--errors" in sys.argv
    for name, path in SETS.items():
        result = evaluate(lambda text: loop.run_until_complete(agent.parse_message(text)), heldout_examples(path))
        report = write_report(result, f"nlu_eval_{name}")
        summary = {label: row["recall"] for label, row in result["per_class"].items()}
        print(f"{name}: {result['accuracy']:.1%} of {result['examples']}, {result['flagged_as_danger']} read as danger "
              f"(recall per class {summary}); report {report}")
        if show_errors:
            print(markdown(result))


if __name__ == "__main__":
    main()
