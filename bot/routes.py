"""The routes open to the person and their cost, so that the choice is an informed one."""
from __future__ import annotations

from typing import Any, Mapping, Sequence

from bot import content

# Routes shown for every case; then those that match the verdict's modes or the domain.
_ALWAYS = ("conciliateur_justice", "professional_mediator", "legal_protection", "legal_aid")
_BY_MODE = ("consumer_mediator", "family_mediation", "cdg_mediator", "academic_mediator", "france_travail_mediator",
            "territorial_mediator")
_BY_DOMAIN = {"consumer": "consumer_mediator", "family": "family_mediation", "territorial": "territorial_mediator"}


def routes_message(slots: Mapping[str, Any], modes: Sequence[str]) -> str:
    if slots.get("safety_risk"):
        return content.ROUTES_SAFETY
    chosen = [route for route in _BY_MODE if route in modes or _BY_DOMAIN.get(slots.get("situation_domain")) == route]
    lines = [content.ROUTES[route] for route in _ALWAYS[:1] + tuple(chosen) + _ALWAYS[1:]]
    return "\n".join([content.ROUTES_TITLE, *lines])
