"""A person's name and contact details as typed: used by the booking form and checked again by
the agenda service for any client, so both read them the same way."""
from __future__ import annotations

from typing import Mapping

import re

import phonenumbers
from email_validator import EmailNotValidError, validate_email

_NAME = re.compile(r"^[^\W\d_](?:[^\W\d_]|[ '’\-.])*[^\W\d_.]?$")


def parse_name(text: str | None) -> str | None:
    """A person's name as typed, lightly cleaned; None for anything that is not a name."""
    name = re.sub(r"^(je m['’]appelle|je suis|mon nom est|moi c['’]est|c['’]est)\s+", "", (text or "").strip(), flags=re.I)
    name = re.sub(r"\s+", " ", name).strip(" .")
    if not 2 <= len(name) <= 80 or not _NAME.match(name) or len(name.split()) > 6:
        return None
    return name


# Numbers typed the national way ("0692 …") are read for mainland France, then overseas.
_PHONE_REGIONS = ("FR", "RE", "GP", "MQ", "GF", "YT", "PM")


def parse_contact(text: str | None) -> dict[str, str] | None:
    """{'email': …} or {'phone': E.164}, validated by email-validator and phonenumbers."""
    text = (text or "").strip()
    email = re.search(r"[^\s<>()\[\],;:]+@[^\s<>()\[\],;:]+", text)
    if email:
        try:
            return {"email": validate_email(email.group(0).strip("."), check_deliverability=False).normalized}
        except EmailNotValidError:
            return None
    for region in _PHONE_REGIONS:
        for match in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID):
            return {"phone": phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)}
    return None


def masked_contact(contact: Mapping[str, str]) -> str:
    """'m•••@exemple.fr' or '+336 •• •• 78': shown back without spelling it out in full."""
    if contact.get("email"):
        local, _, domain = contact["email"].partition("@")
        return f"{local[:1]}•••@{domain}"
    phone = contact.get("phone", "")
    return phone[:4] + " •• •• " + phone[-2:] if len(phone) > 6 else "•••"
