"""Booking in the conversation, without Rasa: how offers are shown, how a typed choice,
a name or a contact is read, and the neutral brief the mediator receives.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import re
import secrets
from datetime import datetime, timezone
from typing import Any, Mapping

from bot import content
from bot.codes import MODE_CODES
from bot.language.answers import normalise
# Re-exported for the actions: the parsers and labels live in the language layer, shared with the agenda.
from bot.language.contacts import masked_contact, parse_contact, parse_name  # noqa: F401
from bot.language.dates import when_label  # noqa: F401
from bot.places import geo
from bot.privacy.crypto import same_secret

logger = logging.getLogger(__name__)
MORE, LATER = "more", "later"
_ORDINALS = {"1": 0, "premier": 0, "premiere": 0, "1er": 0, "1ere": 0,
             "2": 1, "deux": 1, "deuxieme": 1, "second": 1, "seconde": 1, "2e": 1, "2eme": 1,
             "3": 2, "trois": 2, "troisieme": 2, "3e": 2, "3eme": 2, "dernier": 2, "derniere": 2}


def person_timezone(postal_code: str | None) -> str:
    place = geo.place(postal_code) if postal_code else None
    return geo.timezone_name(place.departement if place else None)


def offer_label(offer: Mapping[str, Any], tz_name: str) -> str:
    """One line per offer: who, when, how (and where, in person)."""
    how = content.BOOKING_MODE_LABELS[offer["mode"]]
    if offer["mode"] == "in_person" and offer.get("place"):
        how = content.BOOKING_MODE_AT_PLACE.format(mode=how, place=offer["place"])
    return content.BOOKING_OFFER_LINE.format(mediator=offer["mediator_name"],
                                             when=when_label(offer["starts_at"], tz_name), how=how)


def search_mode(preferred: str | None) -> str | None:
    """The mode to search the agenda for: the person's preference when it is a mode, else any."""
    return preferred if preferred in MODE_CODES else None


def where_phrase(offers: list[Mapping[str, Any]]) -> str:
    """« (en personne dans votre département) » after the intro: the nearest in-person offer, or nothing."""
    tiers = {offer["proximity"] for offer in offers if offer["mode"] == "in_person"}
    return content.BOOKING_WHERE_IN_PERSON.format(proximity=content.PROXIMITY_LABELS[min(tiers)]) if tiers else ""


def confirm_details(label: str, name: str | None, contact: str | None) -> str:
    """The held slot, the name and the contact (masked), read back before confirming."""
    contact = contact or ""
    masked = masked_contact({"email" if "@" in contact else "phone": contact})
    return content.BOOKING_CONFIRM_DETAILS.format(label=label, name=name, contact=masked)


def offer_buttons(offers: list[Mapping[str, Any]], tz_name: str, more: bool = True) -> list[dict[str, str]]:
    buttons = [{"title": offer_label(offer, tz_name), "payload": f'/inform{{"choice":"slot_{offer["slot_id"]}"}}'}
               for offer in offers]
    if more:
        buttons.append({"title": content.BOOKING_BUTTON_MORE, "payload": f'/inform{{"choice":"{MORE}"}}'})
    buttons.append({"title": content.BOOKING_BUTTON_LATER, "payload": f'/inform{{"choice":"{LATER}"}}'})
    return buttons


# ---- offers sealed for one conversation ----------------------------------------------------
# The offers shown live in the conversation's tracker, which the action server receives
# from its caller. Each offer is sealed (HMAC) for the conversation it was shown to, with a
# key the caller does not have: a tracker forged to name another slot, or offers copied
# from another conversation, hold nothing (validate_booking_slot in actions/booking.py).
_SEAL = "seal"
_PROCESS_KEY = secrets.token_bytes(32)


def _seal_key() -> bytes:
    secret = os.environ.get("AGENDA_TOKEN", "").strip()
    if secret:  # the action server's own credential towards the agenda: never sent to Rasa
        return hmac.new(secret.encode(), b"booking-offer-seal", hashlib.sha256).digest()
    return _PROCESS_KEY  # one process without an agenda token (development)


def _seal(offer: Mapping[str, Any], conversation: str) -> str:
    fields = [conversation, offer.get("slot_id"), offer.get("mode"), offer.get("starts_at")]
    return hmac.new(_seal_key(), json.dumps(fields).encode(), hashlib.sha256).hexdigest()[:32]


def seal_offers(offers: list[Mapping[str, Any]], conversation: str) -> list[dict[str, Any]]:
    return [{**offer, _SEAL: _seal(offer, conversation)} for offer in offers]


def offer_sealed_for(offer: Mapping[str, Any], conversation: str) -> bool:
    given = offer.get(_SEAL)
    if same_secret(given, _seal(offer, conversation)):
        return True
    logger.warning("booking: an offer that was not made to this conversation was refused")
    return False


def parse_slot_choice(choice: str | None, text: str | None, offers: list[Mapping[str, Any]]) -> Any:
    """The chosen offer (a dict), MORE, LATER or None. Only offers actually shown count."""
    by_code = {f"slot_{offer['slot_id']}": offer for offer in offers}
    if choice in by_code:
        return by_code[choice]
    if choice in (MORE, LATER):
        return choice
    words = normalise(text)
    # "Later" first: "une autre fois" must not read as "autres créneaux".
    if re.search(r"\b(pas maintenant|plus tard|une autre fois|pas tout de suite|non merci)\b", words):
        return LATER
    if re.search(r"\b(autres?|d'autres|changer|suivants?|rien ne (me )?convient|aucun)\b", words):
        return MORE
    tokens = re.findall(r"[a-z0-9]+", words)
    picks = {_ORDINALS[token] for token in tokens if token in _ORDINALS}
    if len(picks) == 1:
        index = picks.pop()
        return offers[index] if index < len(offers) else None
    return None


def build_brief(slots: Mapping[str, Any], mode: str) -> dict[str, Any]:
    """What the mediator needs to prepare, nothing more: structured facts, never the person's
    own words, no postal code (the département only), no contact details (sent apart)."""
    place = geo.place(slots.get("postal_code")) if slots.get("postal_code") else None
    triage = slots.get("triage_result") or {}
    return {
        "domain": slots.get("situation_domain"),
        "facts": {
            "other_party": slots.get("other_party"),
            "relationship_continues": slots.get("relationship_continues"),
            "amount_eur": slots.get("amount_eur"),
            "court_status": slots.get("court_status"),
            "urgency": slots.get("urgency"),
            "departement": place.departement if place else None,
        },
        "prelitigation": {
            "verdict": triage.get("verdict") or slots.get("prelitigation"),
            "basis": [{"id": item.get("id"), "basis": item.get("basis"), "version_date": item.get("version_date")}
                      for item in triage.get("basis") or []],
            "exemptions": triage.get("exemptions") or [],
        },
        "safety": {"risk": bool(slots.get("safety_risk")), "categories": list(slots.get("safety_categories") or [])},
        "outcome_aim": slots.get("outcome_aim"),
        "mode": mode,
        "note": content.BRIEF_NOTE,
    }


def parse_consent(choice: str | None, intent: str | None, text: str | None) -> str | None:
    """'given', 'refused' or None. A refusal anywhere in the words wins over a yes."""
    words = normalise(text)
    if choice == "refuse" or (choice is None and (intent == "deny" or "refuse" in words)):
        return "refused"
    if choice == "consent" or (choice is None and (intent == "affirm" or "accepte" in words)):
        return "given"
    return None


def parse_confirmation(choice: str | None, intent: str | None, text: str | None) -> str | None:
    """'confirm', 'change', 'abandon' or None."""
    if choice in ("confirm", "change", "abandon"):
        return choice
    words = normalise(text)
    if intent == "reschedule_booking" or re.search(r"\b(changer|autre creneau|autres creneaux|modifier)\b", words):
        return "change"
    if intent == "cancel_booking" or re.search(r"\b(annule[rz]?|abandonne[rz]?)\b", words):
        return "abandon"
    if intent == "affirm" or re.search(r"\b(oui|confirme[rz]?|d'accord|ok|c'est bon|parfait)\b", words):
        return "confirm"
    return None


def _now() -> datetime:
    return datetime.now(timezone.utc)


def minutes_left(expires_at: str | None) -> int | None:
    """The whole minutes a hold has left, from the `expires_at` the agenda returned (its own
    AGENDA_HOLD_MINUTES, so the person is told the real time); None when it cannot be read."""
    try:
        expires = datetime.fromisoformat(str(expires_at).removesuffix("Z")).replace(tzinfo=timezone.utc)
    except ValueError:
        return None
    seconds = (expires - _now()).total_seconds()
    return max(1, round(seconds / 60)) if seconds > 0 else None


def _reminder(person: Mapping[str, Any]) -> str:
    return content.BOOKING_MESSAGES_REMINDER if person.get("reminder") else ""


def messages_said(notifications: Mapping[str, Any] | None) -> tuple[str, str]:
    """What the confirmation says about the messages that follow (the agenda's answer says
    which were queued and whether they really leave): where the person's confirmation goes,
    plainly when nothing will be sent, and how the mediator learns of the booking."""
    person = (notifications or {}).get("person") or {}
    mediator = (notifications or {}).get("mediator") or {}
    if not notifications:
        said = content.BOOKING_MESSAGES_UNKNOWN
    elif person.get("channel") == "sms":
        said = content.BOOKING_MESSAGES_SMS.format(contact=person.get("to", ""), reminder=_reminder(person))
    elif person.get("channel") == "email" and person.get("delivered"):
        said = content.BOOKING_MESSAGES_EMAIL.format(contact=person.get("to", ""), reminder=_reminder(person))
    elif person.get("channel") == "email":
        said = content.BOOKING_MESSAGES_NONE_DEMO
    else:
        said = content.BOOKING_MESSAGES_NONE_PHONE
    informed = content.BOOKING_MEDIATOR_INFORMED if mediator.get("delivered") else content.BOOKING_MEDIATOR_IN_AGENDA
    return said, informed
