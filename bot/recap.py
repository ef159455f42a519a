"""The recap of what the assistant understood, built from the intake slots."""
from __future__ import annotations

from typing import Any, Mapping

from bot import content
from bot.postal_codes import departement_of, departements


def recap_lines(slots: Mapping[str, Any]) -> list[str]:
    """One French line per field that applies to this conversation."""
    skipped = set(slots.get("skipped_questions") or ())
    values: dict[str, str] = {}

    domain = slots.get("situation_domain")
    values["domain"] = content.DOMAIN_LABELS.get(domain, content.NOT_GIVEN)
    values["other_party"] = content.OTHER_PARTY_LABELS.get(slots.get("other_party"), content.NOT_GIVEN)
    if slots.get("relationship_continues") is not None or "relationship_continues" in skipped:
        values["relationship"] = content.RELATIONSHIP_LABELS.get(slots.get("relationship_continues"), content.NOT_GIVEN)
    amount = slots.get("amount_eur")
    if amount is None:
        values["amount"] = content.NOT_GIVEN
    else:
        values["amount"] = content.NO_AMOUNT if float(amount) == 0 else content.euros(float(amount))
    values["court"] = content.COURT_LABELS.get(slots.get("court_status"), content.NOT_GIVEN)
    values["urgency"] = content.URGENCY_LABELS.get(slots.get("urgency"), content.NOT_GIVEN)
    code = slots.get("postal_code")
    dep = departement_of(code) if code else None
    values["postal_code"] = f"{code} ({departements()[dep]})" if dep else content.NOT_GIVEN
    if not slots.get("safety_risk"):  # after danger no meeting is arranged (bot/intake.py)
        values["mode"] = content.MODE_LABELS.get(slots.get("preferred_mode"), content.NOT_GIVEN)

    return [content.RECAP_LINES[key].format(value=value) for key, value in values.items()]


def recap_text(slots: Mapping[str, Any]) -> str:
    lines = "\n".join(f"• {line}" for line in recap_lines(slots))
    return f"{content.RECAP_TITLE}\n{lines}\n{content.RECAP_QUESTION}"
