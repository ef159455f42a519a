"""Deterministic safety screen: violence, threats, a child at risk, sexual violence,
suicidal words, immediate danger (legal-rules.md S1–S4).

It runs on every message, before anything else. It is a lexicon, not a model, so that it
is predictable and reviewable (the NLU only adds to it, see bot/rasa_plugins/nlu_safety.py): idioms are
blanked first ("tuer le temps"), then triggers are searched, skipping those negated in
their clause ("il ne m'a jamais frappée"). The result names categories, never user text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from bot.language.answers import normalise

LEXICON_FILE = Path(__file__).with_name("lexicon.yml")
CATEGORIES = ("danger", "violence", "domestic", "child", "suicide")
_NEGATION_WINDOW_WORDS = 6


@dataclass(frozen=True)
class Screen:
    categories: tuple[str, ...] = ()
    triggers: tuple[str, ...] = ()  # trigger ids, for tests and counters; never the text

    @property
    def hit(self) -> bool:
        return bool(self.categories)


@dataclass(frozen=True)
class _Trigger:
    id: str
    categories: tuple[str, ...]
    patterns: tuple[re.Pattern, ...]
    requires_context: str | None = None  # a `context` key that must also match


@dataclass(frozen=True)
class _Lexicon:
    idioms: tuple[re.Pattern, ...]
    triggers: tuple[_Trigger, ...]
    clause_boundary: re.Pattern
    negation_before: re.Pattern
    ne_particle: re.Pattern
    negation_after: re.Pattern
    not_negation: re.Pattern
    context: tuple[tuple[str, re.Pattern], ...]


@lru_cache(maxsize=1)
def _lexicon(path: Path = LEXICON_FILE) -> _Lexicon:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    obj = raw["object_pronoun"]

    def compile_all(patterns):
        return tuple(re.compile(pattern.replace("{obj}", obj)) for pattern in patterns)

    triggers = tuple(
        _Trigger(entry["id"], tuple(entry["categories"]), compile_all(entry["patterns"]), entry.get("requires_context"))
        for entry in raw["triggers"]
    )
    context = tuple((key.split("_when_")[0], re.compile(pattern)) for key, pattern in raw["context"].items())
    return _Lexicon(
        idioms=compile_all(raw["idioms"]),
        triggers=triggers,
        clause_boundary=re.compile(raw["clause_boundary"]),
        negation_before=re.compile(raw["negation_before"]),
        ne_particle=re.compile(raw["ne_particle"]),
        negation_after=re.compile(raw["negation_after"]),
        not_negation=re.compile(raw["not_negation"]),
        context=context,
    )


def _clause_before(text: str, start: int, lexicon: _Lexicon) -> str:
    """The words of the same clause just before a trigger."""
    before = text[:start]
    boundaries = list(lexicon.clause_boundary.finditer(before))
    if boundaries:
        before = before[boundaries[-1].end():]
    before = lexicon.not_negation.sub(" ", before)
    return " ".join(before.split()[-_NEGATION_WINDOW_WORDS:])


def _negated(text: str, match: re.Match, lexicon: _Lexicon) -> bool:
    before = _clause_before(text, match.start(), lexicon)
    if lexicon.negation_before.search(before):
        return True
    # "il ne me frappe plus": the particle before, the negation word right after.
    return bool(lexicon.ne_particle.search(before) and lexicon.negation_after.search(text[match.end():]))


def without_idioms(text: str | None) -> str:
    """The normalised text with its figurative uses blanked (« le couteau sous la gorge » over
    a debt, « menace de porter plainte »): what any danger witness should read."""
    plain = normalise(text) or ""
    for idiom in _lexicon().idioms:
        plain = idiom.sub(lambda m: " " * len(m.group(0)), plain)
    return plain


def screen(text: str | None) -> Screen:
    """Categories of danger found in a message (empty when none)."""
    plain = without_idioms(text)
    if not plain.strip():
        return Screen()
    lexicon = _lexicon()
    found: list[str] = []
    fired: list[str] = []
    context = dict(lexicon.context)
    for trigger in lexicon.triggers:
        if trigger.requires_context and not context[trigger.requires_context].search(plain):
            continue
        for pattern in trigger.patterns:
            if any(not _negated(plain, match, lexicon) for match in pattern.finditer(plain)):
                fired.append(trigger.id)
                found.extend(trigger.categories)
                break
    if not found:
        return Screen()
    if set(found) - {"suicide"}:
        for category, pattern in lexicon.context:
            if pattern.search(plain):
                found.append(category)
    categories = tuple(category for category in CATEGORIES if category in found)
    return Screen(categories=categories, triggers=tuple(fired))
