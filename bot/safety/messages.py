"""What the assistant says when the safety screen fires, and the exemption it records.

Numbers first, in a short and warm message (the helplines and their sources are in
bot/legal/rules.yml, the words in bot/content.py); no mediation, no contact with the other party.
"""
from __future__ import annotations

from typing import Any, Mapping

from bot import content
from bot.legal.engine import default_table, evaluate
from bot.legal.facts import VIOLENCE_CATEGORIES, build_facts


def safety_message(categories: list[str], domain: str | None, repeat: bool) -> str:
    helplines = [line for line in default_table().helplines if set(line.categories) & set(categories)]
    only_suicide = set(categories) == {"suicide"}
    if repeat:
        opening = content.SAFETY_REPEAT
    else:
        opening = content.SAFETY_OPENING_SUICIDE if only_suicide else content.SAFETY_OPENING
    lines = [opening] + [content.SAFETY_HELPLINE_LINE.format(number=h.number, label=h.label, hours=h.hours)
                         for h in helplines]
    if "domestic" in categories:
        lines.append(content.SAFETY_ONLINE)
    if not repeat and set(categories) & VIOLENCE_CATEGORIES:
        lines.append(content.SAFETY_FAMILY if domain == "family" else content.SAFETY_OTHER)
    if not repeat:
        lines.append(content.SAFETY_CONTINUE)
    return "\n".join(lines)


def safety_exemptions(slots: Mapping[str, Any]) -> list[str]:
    """Rule ids of the exemption that alleged violence opens for this case (S5, F2, 750-1 3°)."""
    verdict = evaluate(build_facts(slots, {}))
    return [rule.id for rule in verdict.deciding + verdict.exemptions] if verdict.verdict == "exempt" else []
