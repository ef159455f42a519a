"""The routes open to the person and their cost, so that the choice is an informed one."""
from __future__ import annotations

from typing import Any, Mapping, Sequence

from bot import content
from bot.legal.facts import build_facts

# Routes shown for every case; then those that match the verdict's modes or the domain.
_ALWAYS = ("conciliateur_justice", "professional_mediator", "legal_protection", "legal_aid")
_BY_MODE = ("consumer_mediator", "family_mediation", "cdg_mediator", "academic_mediator", "france_travail_mediator",
            "territorial_mediator")
_BY_DOMAIN = {"consumer": "consumer_mediator", "family": "family_mediation", "territorial": "territorial_mediator"}
# Two public bodies: no resident's remedies (conciliateur, médiateur territorial, Défenseur des
# droits, legal aid), but the administrative mediation open to them (legal-rules.md R2).
_PUBLIC_BODIES = ("administrative_mediation", "professional_mediator")


def routes_message(slots: Mapping[str, Any], modes: Sequence[str]) -> str:
    if slots.get("safety_risk"):
        return content.ROUTES_SAFETY
    facts = build_facts(slots, slots.get("triage_answers") or {}, slots.get("situation_description"))
    if facts.get("public_body_claimant"):
        return "\n".join([content.ROUTES_TITLE, *(content.ROUTES[route] for route in _PUBLIC_BODIES)])
    chosen = [route for route in _BY_MODE if route in modes or _BY_DOMAIN.get(slots.get("situation_domain")) == route]
    if facts.get("customer") not in (None, "me"):
        # The person is the professional: the consumer mediator is not open to their claim (L. 611-3).
        chosen = [route for route in chosen if route != "consumer_mediator"]
    lines = [content.ROUTES[route] for route in _ALWAYS[:1] + tuple(chosen) + _ALWAYS[1:]]
    return "\n".join([content.ROUTES_TITLE, *lines])
