"""Which intake questions to ask, in which order, for a given domain.

Plain data plus one function, so the form's dynamic `required_slots` is a pure,
unit-tested decision: the person is only asked what matters for their domain.
"""
from __future__ import annotations

import re
from typing import Any, Mapping

from bot.intake.extraction import plain_text

# Slot names of the intake form (also the Rasa slot names: the contract with the domain).
DESCRIPTION = "situation_description"
DOMAIN_CONFIRMED = "domain_confirmed"
DOMAIN_CHOICE = "domain_choice"
OTHER_PARTY = "other_party"
RELATIONSHIP = "relationship_continues"
AMOUNT = "amount_eur"
COURT = "court_status"
URGENCY = "urgency"
POSTAL_CODE = "postal_code"
MODE = "preferred_mode"

QUESTIONS_BY_DOMAIN: dict[str, tuple[str, ...]] = {
    # The relationship question matters where people keep living or working together.
    "family": (OTHER_PARTY, RELATIONSHIP, AMOUNT, COURT, URGENCY, POSTAL_CODE, MODE),
    "neighbourhood": (OTHER_PARTY, RELATIONSHIP, AMOUNT, COURT, URGENCY, POSTAL_CODE, MODE),
    "consumer": (OTHER_PARTY, AMOUNT, COURT, URGENCY, POSTAL_CODE, MODE),
    "workplace": (OTHER_PARTY, RELATIONSHIP, AMOUNT, COURT, URGENCY, POSTAL_CODE, MODE),
    "territorial": (OTHER_PARTY, AMOUNT, COURT, URGENCY, POSTAL_CODE, MODE),
    "other": (OTHER_PARTY, RELATIONSHIP, AMOUNT, COURT, URGENCY, POSTAL_CODE, MODE),
}

# Questions a person may decline with "je ne sais pas" / "passer"; the slot then
# stays empty and is listed in `skipped_questions`.
SKIPPABLE = frozenset({OTHER_PARTY, RELATIONSHIP, AMOUNT, COURT, URGENCY, POSTAL_CODE, MODE})

# Questions that only prepare a joint mediation, never asked once the safety screen fired.
SKIPPED_AFTER_DANGER = frozenset({MODE})

# Fields the recap lets the person change, with the slots to clear for each.
EDITABLE_FIELDS: dict[str, tuple[str, ...]] = {
    "domain": (DOMAIN_CONFIRMED, DOMAIN_CHOICE),
    "other_party": (OTHER_PARTY,),
    "relationship": (RELATIONSHIP,),
    "amount": (AMOUNT,),
    "court": (COURT,),
    "urgency": (URGENCY,),
    "postal_code": (POSTAL_CODE,),
    "mode": (MODE,),
    # Triage answers the description gave (bot/intake/extraction.py): changing one clears it, and the
    # triage asks it after the recap.
    "employer": (),
    "decision": (),
    "complaint": (),
}
# Recap field -> the triage answers (keys of the `triage_answers` slot) it shows.
TRIAGE_FIELDS: dict[str, tuple[str, ...]] = {
    "employer": ("public_employer_kind",),
    "decision": ("decision_category", "france_travail_decision"),
    "complaint": ("written_complaint", "complaint_date"),
}


# Questions whose answer cannot change anything for this situation are not asked:
# no amount for custody, harassment or RSA (bot/legal/rules.yml has no amount there);
# no « still working for this employer? » to someone France Travail struck off.
_CUSTODY = (r"\bgarde\b", r"\bresidence (?:alternee|des enfants|de (?:mes|nos) enfants|habituelle)",
            r"\bdroit de visite", r"\bdroit d'hebergement", r"\bautorite parentale", r"\bvoir (?:mes|mon|ma) (?:enfants?|fils|fille)")
_HARASSMENT = (r"\bharcel",)
_RSA = (r"\brsa\b", r"\brevenu de solidarite")
_MONEY = (r"\bpension alimentaire", r"\bargent\b", r"\bme doit\b", r"\brembours", r"\bdette", r"\bsomme\b",
          r"\bsalaire", r"\bindemnit", r"\bdommages")


def amount_matters(slots: Mapping[str, Any]) -> bool:
    domain = slots.get("situation_domain")
    text = plain_text(slots.get(DESCRIPTION))
    if not text:
        return True
    if _has(text, _MONEY):
        return True
    if _has(text, _HARASSMENT) or (domain == "family" and _has(text, _CUSTODY)):
        return False
    return not (domain == "territorial" and _has(text, _RSA))


def _has(text: str, patterns: tuple[str, ...]) -> bool:
    return any(re.search(pattern, text) for pattern in patterns)


def relationship_matters(slots: Mapping[str, Any]) -> bool:
    return not (slots.get("situation_domain") == "workplace" and slots.get(OTHER_PARTY) == "france_travail")


def required_slots(slots: Mapping[str, Any]) -> list[str]:
    """The form's required slots for the current state, in the order they are asked."""
    domain = slots.get("situation_domain")
    required: list[str] = []
    if domain is None:
        return [DESCRIPTION]
    required.append(DOMAIN_CONFIRMED)
    if slots.get(DOMAIN_CONFIRMED) is False:
        required.append(DOMAIN_CHOICE)
        return required
    skipped = set(slots.get("skipped_questions") or ())
    if slots.get("safety_risk"):
        # After danger, the intake goes on for information only: no meeting to arrange.
        skipped |= SKIPPED_AFTER_DANGER
    if not amount_matters(slots) and slots.get(AMOUNT) is None:
        skipped.add(AMOUNT)
    if not relationship_matters(slots) and slots.get(RELATIONSHIP) is None:
        skipped.add(RELATIONSHIP)
    required.extend(q for q in QUESTIONS_BY_DOMAIN.get(domain, QUESTIONS_BY_DOMAIN["other"]) if q not in skipped)
    return required


def editable_field(value: str | None) -> str | None:
    return value if value in EDITABLE_FIELDS else None
