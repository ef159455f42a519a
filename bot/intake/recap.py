"""The recap of what the assistant understood, built from the intake slots, and the choice of
the answer to change from it.

What the description gave without a question (bot/intake/extraction.py) is marked « d'après votre
message », so that the person confirms it or changes it here.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Mapping

from bot import content
from bot.intake import extraction, questions
from bot.language.answers import normalise
from bot.places.postal_codes import departement_of, departements

# Recap field -> the slot it shows (for the « d'après votre message » mark).
_SLOT_OF_FIELD = {"other_party": "other_party", "relationship": "relationship_continues", "amount": "amount_eur",
                  "court": "court_status", "urgency": "urgency", "postal_code": "postal_code"}
def triage_values(slots: Mapping[str, Any]) -> dict[str, str]:
    """The triage answers already known before the triage (from the description), as recap values."""
    answers = slots.get("triage_answers") or {}
    domain, party = slots.get("situation_domain"), slots.get("other_party")
    values: dict[str, str] = {}
    if domain == "workplace" and party == "employer_public":
        kind = content.PUBLIC_EMPLOYER_LABELS.get(answers.get("public_employer_kind"))
        if kind:
            values["employer"] = kind
        decision = answers.get("decision_category")
        if decision in content.DECISION_LABELS:
            values["decision"] = content.DECISION_LABELS[decision]
    if domain == "workplace" and party == "france_travail" and answers.get("france_travail_decision") in content.DECISION_LABELS:
        values["decision"] = content.DECISION_LABELS[answers["france_travail_decision"]]
    if domain == "consumer" and isinstance(answers.get("written_complaint"), bool):
        sent = answers.get("complaint_date")
        if answers["written_complaint"] is False:
            values["complaint"] = content.COMPLAINT_NOT_SENT
        elif isinstance(sent, str):
            values["complaint"] = content.COMPLAINT_SENT_ON.format(date=content.french_date(dt.date.fromisoformat(sent)))
        else:
            values["complaint"] = content.COMPLAINT_SENT
    return values


def recap_lines(slots: Mapping[str, Any], today: dt.date | None = None) -> list[str]:
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
        if questions.amount_matters(slots):
            values["amount"] = content.NOT_GIVEN
    else:
        values["amount"] = content.NO_AMOUNT if float(amount) == 0 else content.euros(float(amount))
    values["court"] = content.COURT_LABELS.get(slots.get("court_status"), content.NOT_GIVEN)
    values["urgency"] = content.URGENCY_LABELS.get(slots.get("urgency"), content.NOT_GIVEN)
    code = slots.get("postal_code")
    dep = departement_of(code) if code else None
    values["postal_code"] = f"{code} ({departements()[dep]})" if dep else content.NOT_GIVEN
    if not slots.get("safety_risk"):  # after danger no meeting is arranged (bot/intake/questions.py)
        values["mode"] = content.MODE_LABELS.get(slots.get("preferred_mode"), content.NOT_GIVEN)

    said = extraction.from_message(slots, today)
    lines = []
    for key, value in values.items():
        line = content.RECAP_LINES[key].format(value=value)
        if _SLOT_OF_FIELD.get(key) in said:
            commune = extraction.commune_named(slots.get("situation_description"), code) if key == "postal_code" else None
            line += content.FROM_MESSAGE_PLACE.format(commune=commune) if commune else content.FROM_MESSAGE
        lines.append(line)
    for key, value in triage_values(slots).items():
        line = content.RECAP_TRIAGE_LINES[key].format(value=value)
        if said & set(questions.TRIAGE_FIELDS[key]):
            line += content.FROM_MESSAGE
        lines.append(line)
    return lines


def recap_text(slots: Mapping[str, Any]) -> str:
    lines = "\n".join(f"• {line}" for line in recap_lines(slots))
    return f"{content.RECAP_TITLE}\n{lines}\n{content.RECAP_QUESTION}"


# Words people use for each editable field ("modifier le montant", "changer mon code postal").
_FIELD_WORDS = {
    "amount": ("montant", "somme", "argent", "prix", "euros"),
    "postal_code": ("code postal", "adresse", "ville", "lieu", "cp"),
    "mode": ("mode", "telephone", "visio", "presentiel", "rendez-vous"),
    "urgency": ("urgence", "urgent"),
    "court": ("procedure", "tribunal", "juge", "justice"),
    "other_party": ("autre partie", "partie adverse", "personne", "interlocuteur"),
    "relationship": ("relation",),
    "employer": ("employeur",),
    "decision": ("decision",),
    "complaint": ("reclamation", "courrier", "lettre"),
    "domain": ("type", "domaine", "categorie", "situation"),
}


def field_from_words(text: str) -> str | None:
    """The editable field a typed answer names (« changer le montant »), or None."""
    plain = normalise(text)
    for field, words in _FIELD_WORDS.items():
        if any(word in plain for word in words):
            return field
    return None


def edit_buttons(slots: Mapping[str, Any]) -> list[dict[str, str]]:
    """One button per field the person was asked, or that the description gave."""
    asked = set(questions.required_slots(slots)) | set(slots.get("skipped_questions") or ())
    shown = set(triage_values(slots))  # triage answers the description gave
    buttons = []
    for field, label in content.EDIT_BUTTONS.items():
        if field == "domain" or set(questions.EDITABLE_FIELDS[field]) & asked or field in shown:
            buttons.append({"title": label, "payload": f'/modify_answer{{"field":"{field}"}}'})
    return buttons
