"""Which slots fit a person, and in which order: speciality, mode, proximity, soonest.

Pure functions over plain dicts, so they are tested without a database.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.codes import DOMAINS
from bot.places import geo

REMOTE_TIER = 0  # phone and video are not limited by place


@dataclass(frozen=True)
class Offer:
    slot_id: int
    mediator_id: int
    mediator_name: str
    starts_at: datetime
    ends_at: datetime
    mode: str
    tier: int          # 0 best; for in person: 0 same commune, 1 same département, 2 same région
    place: str         # office commune for in person, "" otherwise
    address: str       # office address for in person, "" otherwise

    def as_json(self) -> dict:
        return {
            "slot_id": self.slot_id, "mediator_id": self.mediator_id, "mediator_name": self.mediator_name,
            "starts_at": self.starts_at.isoformat() + "Z", "ends_at": self.ends_at.isoformat() + "Z",
            "mode": self.mode, "proximity": self.tier, "place": self.place, "address": self.address,
        }


def speciality_fits(domain: str | None, specialities: list[str]) -> bool:
    """Any mediator fits an unclassified ("other") situation; otherwise the domain must match."""
    return domain not in DOMAINS or domain in specialities


def choose_mode(wanted: str | None, slot_modes: list[str], proximity: int | None) -> tuple[str, int] | None:
    """The mode this slot is offered in for this person, with its tier, or None if it does not fit."""
    in_person_ok = "in_person" in slot_modes and proximity is not None
    if wanted == "in_person":
        return ("in_person", proximity) if in_person_ok else None
    if wanted in ("phone", "video"):
        return (wanted, REMOTE_TIER) if wanted in slot_modes else None
    # No preference: meeting in person nearby first, then a remote mode, then in person further away.
    if in_person_ok and proximity <= geo.SAME_DEPARTEMENT:
        return "in_person", proximity
    for mode in ("video", "phone"):
        if mode in slot_modes:
            return mode, REMOTE_TIER + 1
    return ("in_person", proximity + 1) if in_person_ok else None


def offers_for(rows: list[dict], domain: str | None, postal_code: str | None, wanted_mode: str | None) -> list[Offer]:
    """`rows`: open slots joined with their mediator (see store.open_slot_rows)."""
    person = geo.place(postal_code) if postal_code else None
    offers = []
    for row in rows:
        if not speciality_fits(domain, row["specialities"]):
            continue
        office = geo.place(row["postal_code"])
        proximity = geo.proximity(person, office, tuple(row["areas_served"]))
        chosen = choose_mode(wanted_mode, row["slot_modes"], proximity)
        if chosen is None:
            continue
        mode, tier = chosen
        in_person = mode == "in_person"
        offers.append(Offer(
            slot_id=row["slot_id"], mediator_id=row["mediator_id"], mediator_name=row["name"],
            starts_at=row["starts_at"], ends_at=row["ends_at"], mode=mode, tier=tier,
            place=row["commune"] if in_person else "", address=row["address"] if in_person else "",
        ))
    return sorted(offers, key=lambda offer: (offer.tier, offer.starts_at, offer.mediator_id))


def diverse_page(offers: list[Offer], size: int) -> list[Offer]:
    """The best `size` offers, at most one per mediator while others remain: a real choice."""
    page, seen = [], set()
    for offer in offers:
        if offer.mediator_id not in seen:
            page.append(offer)
            seen.add(offer.mediator_id)
        if len(page) == size:
            return page
    for offer in offers:
        if offer not in page:
            page.append(offer)
        if len(page) == size:
            break
    return sorted(page, key=lambda offer: (offer.tier, offer.starts_at))
