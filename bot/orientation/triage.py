"""The triage step of the conversation: which question to ask next, and what to say.

Glue between the intake slots, the answers to the triage questions and the rule engine
(bot/legal). Only questions whose answer can change the outcome are asked: the engine
lists the facts still open, and they are asked one at a time, in a fixed order.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Mapping

from bot import content
from bot.language.answers import DONT_KNOW
from bot.legal.engine import Verdict, default_table, evaluate
from bot.legal.facts import ASK_ORDER, CHOICES, CLAIM_TYPES, QUESTION_FOR_FACT, build_facts

COMPLAINT_DRAFT = "complaint_draft"
# Other notes after those that answer the person's own question (`lead` rules, never capped).
_MAX_NOTES = 2


def case_verdict(slots: Mapping[str, Any], answers: Mapping[str, Any], description: str | None = None,
                 today: dt.date | None = None) -> tuple[Verdict, dict[str, Any]]:
    facts = build_facts(slots, answers, description, today)
    return evaluate(facts, today), facts


def next_question(slots: Mapping[str, Any], answers: Mapping[str, Any], description: str | None = None,
                  today: dt.date | None = None) -> str | None:
    verdict, _ = case_verdict(slots, answers, description, today)
    open_questions = {QUESTION_FOR_FACT.get(fact) for fact in verdict.open_facts}
    for question in ASK_ORDER:
        if question in open_questions and question not in answers and not _pointless(question, answers):
            return question
    if any(rule.id == "C2-no-complaint" for rule in verdict.admissibility) and COMPLAINT_DRAFT not in answers:
        return COMPLAINT_DRAFT
    return None


def _pointless(question: str, answers: Mapping[str, Any]) -> bool:
    """No date of a complaint the person did not write, or does not know about."""
    return question == "complaint_date" and answers.get("written_complaint") in (False, DONT_KNOW)


def _basis_lines(rules) -> list[str]:
    """The legal texts with their date, « à vérifier » below high confidence, the official link
    once; never the rule id, the row of the research note nor its sources."""
    lines: list[str] = []
    linked: set[str] = set()
    for rule in rules:
        to_verify = "" if rule.confidence == "high" else content.VERDICT_BASIS_TO_VERIFY
        if rule.version_date:
            line = content.VERDICT_BASIS_LINE.format(basis=rule.basis, date=content.french_date(rule.version_date),
                                                     to_verify=to_verify)
        else:
            line = content.VERDICT_BASIS_LINE_UNDATED.format(basis=rule.basis, to_verify=to_verify)
        if line in lines:
            continue
        lines.append(line)
        if rule.link and rule.link not in linked:
            linked.add(rule.link)
            lines.append(content.VERDICT_BASIS_LINK.format(link=rule.link))
    return lines


def _unique(lines: list[str]) -> list[str]:
    return list(dict.fromkeys(line for line in lines if line))


def verdict_messages(verdict: Verdict, facts: Mapping[str, Any], court_assumed: bool = False) -> list[str]:
    """The verdict in short French messages: the answer, its legal basis, what to watch."""
    placeholders = {"complaint_deadline": _deadline_text(facts)}
    headline = content.VERDICT_HEADLINES[verdict.verdict]
    if verdict.verdict == "mandatory" and all(rule.regime == "rapo" for rule in verdict.deciding):
        headline = content.VERDICT_HEADLINE_RAPO
    main = [headline]
    main += [rule.text.format(**placeholders) for rule in verdict.deciding + verdict.exemptions if rule.text]
    if verdict.verdict == "unknown":
        main += [content.MISSING_FACTS[fact] for fact in verdict.missing if fact in content.MISSING_FACTS]
    modes = [content.MODE_NAMES[mode] for mode in verdict.modes if mode in content.MODE_NAMES]
    if modes and verdict.verdict in ("mandatory", "not_mandatory", "unknown"):
        main.append(content.VERDICT_MODES.format(modes=", ".join(modes)))
    messages = ["\n".join(main)]

    basis_rules = verdict.deciding + verdict.exemptions
    if basis_rules:
        basis = [content.VERDICT_BASIS_TITLE] + _basis_lines(basis_rules)
        caveat = content.VERDICT_CAVEATS.get(verdict.confidence)
        if caveat:
            basis.append(caveat)
        basis.append(content.VERDICT_DISCLAIMER.format(reviewed=content.french_date(default_table().reviewed_on)))
        messages.append("\n".join(basis))
    else:
        messages.append(content.VERDICT_DISCLAIMER.format(reviewed=content.french_date(default_table().reviewed_on)))

    # The answer to the person's own question first (never cut), then what closes a door, the
    # deadlines, and a few other notes.
    to_know = [rule.text.format(**placeholders) for rule in verdict.notes if rule.lead and rule.text]
    to_know += [rule.text.format(**placeholders) for rule in verdict.admissibility if rule.text]
    to_know += [rule.deadline.format(**placeholders) for rule in verdict.fired if rule.deadline]
    to_know += [rule.text for rule in verdict.notes
                if rule.text and not rule.lead and rule.row not in ("P5",)][:_MAX_NOTES]
    to_know = _unique(to_know)
    if court_assumed:
        to_know.append(content.VERDICT_ASSUMED_NO_CASE)
    if to_know:
        messages.append("\n".join([content.VERDICT_TO_KNOW] + [f"• {line}" for line in to_know]))
    return messages


def _deadline_text(facts: Mapping[str, Any]) -> str:
    deadline = facts.get("complaint_deadline")
    return content.french_date(dt.date.fromisoformat(deadline)) if deadline else ""


def court_was_assumed(slots: Mapping[str, Any]) -> bool:
    return slots.get("court_status") in (None, DONT_KNOW)


YES_NO_QUESTIONS = frozenset({"cdg_convention", "urgent_measure", "written_complaint", COMPLAINT_DRAFT})


def allowed_codes(question: str, domain: str | None) -> tuple[str, ...]:
    """Codes our buttons may send for this question (anything else is read as text)."""
    if question == "claim_type":
        return CLAIM_TYPES.get(domain or "", CLAIM_TYPES["other"]) + (DONT_KNOW,)
    if question in YES_NO_QUESTIONS:
        return ("yes", "no", DONT_KNOW)
    if question == "complaint_date":
        return (DONT_KNOW,)
    return CHOICES.get(question, ()) + (DONT_KNOW,)


def from_code(question: str, code: str) -> Any:
    """A button code as the stored answer: yes/no questions keep booleans."""
    if question in YES_NO_QUESTIONS and code in ("yes", "no"):
        return code == "yes"
    return code
