"""Near-duplicates: a new batch's sentences too close to sentences it must not resemble.

Before a training batch is added, its sentences within 70 % word overlap (Jaccard on lower-case
words) of any test sentence are removed unread; before a blind set is committed, the same against
the training data and the older test sets. Only counts are printed, never the sentences, so a blind
set stays unread.

    .venv/bin/python -m scripts.bench.near_duplicates NEW.yml OUT.yml AGAINST.yml ...

NEW.yml is an NLU file (situations), a safety set (hits, near_misses) or a danger batch (dangers,
not_dangers); OUT.yml gets the same structure without the close sentences. AGAINST files may be any
of these kinds.
"""
from __future__ import annotations

import argparse
import re
from collections import defaultdict
from pathlib import Path

import yaml

from scripts.bench.eval_nlu import nlu_examples

THRESHOLD = 0.7
_WORD = re.compile(r"\w+")
# The keys of the other kinds of files: entries are texts or {"text": …}.
_LIST_KEYS = ("hits", "near_misses", "dangers", "not_dangers")


def words(text: str) -> frozenset[str]:
    return frozenset(_WORD.findall(text.lower()))


def sentences(data: dict) -> list[str]:
    """Every sentence of a parsed file of any of the kinds above."""
    intents = [block for block in data.get("nlu") or [] if "intent" in block]  # not synonyms, regexes, lookups
    found = [text for text, _ in nlu_examples(yaml.safe_dump({"nlu": intents}))]
    for key in _LIST_KEYS:
        found += [entry["text"] if isinstance(entry, dict) else entry for entry in data.get(key) or []]
    return found


class Reference:
    """The sentences to keep away from, indexed by word for speed."""

    def __init__(self, texts: list[str]) -> None:
        self._sets = [words(text) for text in texts]
        self._by_word: dict[str, list[int]] = defaultdict(list)
        for index, word_set in enumerate(self._sets):
            for word in word_set:
                self._by_word[word].append(index)

    def is_close(self, text: str) -> bool:
        mine = words(text)
        candidates = {index for word in mine for index in self._by_word.get(word, ())}
        return any(len(mine & self._sets[i]) / max(1, len(mine | self._sets[i])) >= THRESHOLD for i in candidates)


def without_close(data: dict, reference: Reference) -> tuple[dict, int]:
    """(the file's data without its close sentences, how many were removed)."""
    removed = 0
    out = dict(data)
    if data.get("nlu"):
        blocks = []
        for block in data["nlu"]:
            lines = [line for line in str(block.get("examples") or "").splitlines() if line.strip().startswith("- ")]
            kept = [line for line in lines if not reference.is_close(line.strip()[2:].strip())]
            removed += len(lines) - len(kept)
            blocks.append({**block, "examples": "".join(f"{line.strip()}\n" for line in kept)})
        out["nlu"] = blocks
    for key in _LIST_KEYS:
        if data.get(key):
            kept = [e for e in data[key] if not reference.is_close(e["text"] if isinstance(e, dict) else e)]
            removed += len(data[key]) - len(kept)
            out[key] = kept
    return out, removed


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("new", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("against", type=Path, nargs="+")
    args = parser.parse_args(argv)
    reference = Reference([text for path in args.against
                           for text in sentences(yaml.safe_load(path.read_text(encoding="utf-8")) or {})])
    data, removed = without_close(yaml.safe_load(args.new.read_text(encoding="utf-8")) or {}, reference)
    args.out.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10_000), encoding="utf-8")
    print(f"{args.new}: {removed} removed, {len(sentences(data))} kept")


if __name__ == "__main__":
    main()
