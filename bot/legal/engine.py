"""A small engine that evaluates the reviewed rule table (rules.yml) on the facts of a case.

Plain Python, no Rasa: the verdict is a pure function of the facts and the date, so every
rule and every exemption is unit-tested without a model.

Precedence, as in legal-rules.md §2 ("decision logic"):
1. alleged violence (S5) → `exempt`, whatever else applies;
2. a rule that excludes the obligation (other court, procedure, threshold…) → `not_mandatory`;
3. a rule that requires an attempt → `mandatory`, or `exempt` if one of its exemptions holds;
4. a rule that could still decide but lacks facts → `unknown` (the missing facts are listed);
5. otherwise → `not_mandatory`.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping

import yaml

RULES_FILE = Path(__file__).with_name("rules.yml")

VERDICTS = ("mandatory", "exempt", "not_mandatory", "unknown")
EFFECTS = ("safety", "requires", "excludes", "exempts", "admissibility", "informs")
CONFIDENCE_ORDER = ("low", "medium", "high")
_OPERATORS = ("le", "lt", "ge", "gt", "not_in", "eq", "in")
# The only official sites a rule may link to (legal-rules.md names no other).
OFFICIAL_LINK_PREFIXES = ("https://www.legifrance.gouv.fr/", "https://www.service-public.fr/")


@dataclass(frozen=True)
class Rule:
    id: str
    row: str
    effect: str
    when: Mapping[str, Any]
    basis: str
    version_date: dt.date | None
    valid_from: dt.date | None
    source: str
    confidence: str
    text: str
    modes: tuple[str, ...] = ()
    regime: str | None = None
    applies_to: tuple[str, ...] = ()
    deadline: str | None = None
    valid_until: dt.date | None = None
    link: str | None = None  # the official text (Légifrance, service-public.fr), shown with the basis
    lead: bool = False  # a note that answers the person's own question: shown first, never capped

    def in_force(self, on: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= on) and (self.valid_until is None or on <= self.valid_until)


@dataclass(frozen=True)
class Helpline:
    number: str
    label: str
    hours: str
    categories: tuple[str, ...]
    source: str
    contact: str = "call"  # "sms": a number that takes text messages only (114)


@dataclass(frozen=True)
class RuleTable:
    rules: tuple[Rule, ...]
    helplines: tuple[Helpline, ...]
    reviewed_on: dt.date

    def by_id(self, rule_id: str) -> Rule:
        return next(rule for rule in self.rules if rule.id == rule_id)


@dataclass
class Verdict:
    verdict: str
    deciding: list[Rule] = field(default_factory=list)
    exemptions: list[Rule] = field(default_factory=list)
    admissibility: list[Rule] = field(default_factory=list)
    notes: list[Rule] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # facts whose absence makes the verdict unknown
    open_facts: list[str] = field(default_factory=list)  # facts whose answer can still change the outcome

    @property
    def fired(self) -> list[Rule]:
        return self.deciding + self.exemptions + self.admissibility + self.notes

    @property
    def rule_ids(self) -> list[str]:
        return [rule.id for rule in self.fired]

    @property
    def confidence(self) -> str:
        """The weakest confidence among the rules the verdict rests on."""
        decisive = self.deciding + self.exemptions
        if not decisive:
            return "high"
        return min((rule.confidence for rule in decisive), key=CONFIDENCE_ORDER.index)

    @property
    def modes(self) -> list[str]:
        modes: list[str] = []
        for rule in self.deciding + self.admissibility:
            modes.extend(mode for mode in rule.modes if mode not in modes)
        return modes

    def summary(self) -> dict[str, Any]:
        """JSON-friendly record for the slot `triage_result` and the mediator brief."""
        return {
            "verdict": self.verdict,
            "rules": self.rule_ids,
            "rows": sorted({rule.row for rule in self.fired}),
            "exemptions": [rule.id for rule in self.exemptions],
            "missing": list(self.missing),
            "modes": self.modes,
            "confidence": self.confidence,
            "basis": [
                {"id": rule.id, "basis": rule.basis, "version_date": _iso(rule.version_date),
                 "source": rule.source, "confidence": rule.confidence}
                for rule in self.deciding + self.exemptions
            ],
        }


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _date(value: Any) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def _rule(raw: Mapping[str, Any]) -> Rule:
    effect = raw["effect"]
    if effect not in EFFECTS:
        raise ValueError(f"rule {raw.get('id')}: unknown effect {effect!r}")
    if raw.get("confidence") not in CONFIDENCE_ORDER:
        raise ValueError(f"rule {raw.get('id')}: confidence must be one of {CONFIDENCE_ORDER}")
    for fact, expected in (raw.get("when") or {}).items():
        if isinstance(expected, Mapping) and set(expected) - set(_OPERATORS):
            raise ValueError(f"rule {raw['id']}: unknown operator in {fact}: {expected}")
    link = raw.get("link")
    if link is not None and not str(link).startswith(OFFICIAL_LINK_PREFIXES):
        raise ValueError(f"rule {raw.get('id')}: link must be a Légifrance or service-public.fr address")
    return Rule(
        id=str(raw["id"]), row=str(raw["row"]), effect=effect, when=dict(raw.get("when") or {}),
        basis=raw["basis"], version_date=_date(raw.get("version_date")), valid_from=_date(raw.get("valid_from")),
        valid_until=_date(raw.get("valid_until")), source=raw["source"], confidence=raw["confidence"],
        text=raw.get("text") or "", modes=tuple(raw.get("modes") or ()), regime=raw.get("regime"),
        applies_to=tuple(raw.get("applies_to") or ()), deadline=raw.get("deadline"),
        link=link, lead=bool(raw.get("lead", False)),
    )


def load_table(path: Path | str = RULES_FILE) -> RuleTable:
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    rules = tuple(_rule(entry) for entry in raw["rules"])
    ids = [rule.id for rule in rules]
    duplicates = {rule_id for rule_id in ids if ids.count(rule_id) > 1}
    if duplicates:
        raise ValueError(f"duplicate rule ids: {sorted(duplicates)}")
    helplines = tuple(
        Helpline(str(h["number"]), h["label"], h["hours"], tuple(h["categories"]), h["source"], h.get("contact", "call"))
        for h in raw["helplines"]
    )
    return RuleTable(rules=rules, helplines=helplines, reviewed_on=_date(raw["reviewed_on"]))


@lru_cache(maxsize=1)
def default_table() -> RuleTable:
    return load_table()


# -- condition matching -----------------------------------------------------------------

def _holds(value: Any, expected: Any) -> bool:
    if isinstance(expected, Mapping):
        checks = {
            "le": lambda v, e: _number(v) is not None and _number(v) <= e,
            "lt": lambda v, e: _number(v) is not None and _number(v) < e,
            "ge": lambda v, e: _number(v) is not None and _number(v) >= e,
            "gt": lambda v, e: _number(v) is not None and _number(v) > e,
            "in": lambda v, e: v in e,
            "not_in": lambda v, e: v not in e,
            "eq": lambda v, e: v == e,
        }
        return all(checks[op](value, operand) for op, operand in expected.items())
    if isinstance(expected, (list, tuple)):
        return value in expected
    return value == expected


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def match(when: Mapping[str, Any], facts: Mapping[str, Any]) -> bool | set[str]:
    """True, False, or the set of missing facts that leave the rule undetermined."""
    missing: set[str] = set()
    for fact, expected in when.items():
        value = facts.get(fact)
        if value is None:
            missing.add(fact)
        elif not _holds(value, expected):
            return False
    return missing or True


# -- evaluation ----------------------------------------------------------------------------

def evaluate(facts: Mapping[str, Any], on: dt.date | None = None, table: RuleTable | None = None) -> Verdict:
    table = table or default_table()
    on = on or dt.date.today()
    rules = [rule for rule in table.rules if rule.in_force(on)]
    status = {rule.id: match(rule.when, facts) for rule in rules}

    def matched(effect: str) -> list[Rule]:
        return [rule for rule in rules if rule.effect == effect and status[rule.id] is True]

    def undetermined(effects: Iterable[str]) -> list[Rule]:
        return [rule for rule in rules if rule.effect in effects and isinstance(status[rule.id], set)]

    result = Verdict(verdict="not_mandatory")
    safety = matched("safety")
    requires, excludes = matched("requires"), matched("excludes")
    if safety:
        result.verdict = "exempt"
        result.deciding = safety
        result.exemptions = [rule for rule in matched("exempts") if "any" in rule.applies_to]
    elif excludes:
        result.deciding = excludes
    elif requires:
        regimes = {rule.regime for rule in requires}
        applicable = [rule for rule in matched("exempts") if regimes & set(rule.applies_to)]
        result.deciding = requires
        result.exemptions = applicable
        result.verdict = "exempt" if applicable else "mandatory"
        if not applicable:
            pending = [rule for rule in undetermined(("exempts",)) if regimes & set(rule.applies_to)]
            result.open_facts = _facts_of(pending, status)
    else:
        pending = undetermined(("requires", "excludes"))
        if pending:
            result.verdict = "unknown"
            result.missing = _facts_of(pending, status)
            result.open_facts = list(result.missing)

    context = dict(facts, verdict=result.verdict, regime=next((r.regime for r in result.deciding if r.regime), None))
    result.admissibility = [rule for rule in rules if rule.effect == "admissibility" and match(rule.when, context) is True]
    result.notes = [rule for rule in rules if rule.effect == "informs" and match(rule.when, context) is True]
    if not safety:
        for fact in _facts_of(undetermined(("admissibility",)), status):
            if fact not in result.open_facts:
                result.open_facts.append(fact)
    return result


def _facts_of(rules: Iterable[Rule], status: Mapping[str, Any]) -> list[str]:
    facts: list[str] = []
    for rule in rules:
        for fact in rule.when:  # keep the rule file's order: it is the natural order of questions
            if fact in status[rule.id] and fact not in facts:
                facts.append(fact)
    return facts
