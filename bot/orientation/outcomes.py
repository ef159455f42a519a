"""The six outcomes of a conflict, explained in the person's own domain, and their answer.

Adversity outcomes (abandon, domination, résignation) against otherness outcomes
(reprise, aménagement, rupture consensuelle), as in médiation professionnelle. The
assistant explains both families neutrally and records the perspective chosen; it
never recommends one.
"""
from __future__ import annotations

import re

from bot import content
from bot.codes import ADVERSITY, OTHERNESS, OUTCOME_CODES
from bot.language.answers import is_dont_know, normalise


_WORDS = (
    ("undecided", (r"\bpas encore\b", r"\bhesit", r"\bje ne sais\b", r"\bsais pas\b", r"\bundecided\b", r"\bon verra\b")),
    ("consensual_breakup", (r"\brupture", r"\bse separer", r"\bseparation", r"\bchacun (?:de son cote|chez soi)",
                            r"\btourner la page ensemble", r"\bconsensuel", r"\bconsensual_breakup\b", r"\bse quitter")),
    ("rearrangement", (r"\bamenag", r"\bnouvelles? regles?", r"\bcompromis", r"\barrangement", r"\bajust",
                       r"\brearrangement\b", r"\baccord\b")),
    ("resumption", (r"\breprise", r"\breprendre", r"\brenouer", r"\bretrouver", r"\brecoller", r"\breconcili",
                    r"\bresumption\b", r"\bcomme avant\b")),
    ("domination", (r"\bdomination", r"\bgagner", r"\bqu'il cede", r"\bqu'elle cede", r"\bgain de cause",
                    r"\bqu'il paie", r"\bqu'elle paie", r"\bimposer", r"\bavoir raison")),
    ("abandonment", (r"\babandon", r"\blaisser tomber", r"\brenoncer", r"\bpartir\b", r"\bdemenager")),
    ("resignation", (r"\bresign", r"\bsubir", r"\bfaire avec", r"\baccepter\b", r"\btant pis")),
)


def explanation(domain: str | None) -> str:
    examples = content.OUTCOME_EXAMPLES.get(domain or "other", content.OUTCOME_EXAMPLES["other"])

    def lines(codes: tuple[str, ...]) -> list[str]:
        return [content.OUTCOME_LINE.format(name=content.OUTCOME_NAMES[code].capitalize(), example=examples[code])
                for code in codes]

    return "\n".join([content.OUTCOMES_ADVERSITY, *lines(ADVERSITY), content.OUTCOMES_OTHERNESS, *lines(OTHERNESS)])


def parse_aim(text: str | None) -> str | None:
    plain = normalise(text)
    if not plain:
        return None
    if plain in OUTCOME_CODES:
        return plain
    for code, patterns in _WORDS:
        if any(re.search(pattern, plain) for pattern in patterns):
            return code
    return "undecided" if is_dont_know(plain) else None


def acknowledgement(aim: str) -> str:
    template = content.OUTCOME_ACK_ADVERSITY if aim in ADVERSITY else content.OUTCOME_ACK
    return template.format(name=content.OUTCOME_NAMES[aim])
