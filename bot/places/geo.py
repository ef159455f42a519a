"""Postal code -> communes, département and région, and the proximity of two places.

The data come from @etalab/decoupage-administratif (INSEE COG + La Poste postal codes,
Licence Ouverte 2.0), fetched and indexed by scripts/fetch_geo.py into var/geo/.
The dataset has no coordinates, so proximity is by administrative nesting: same
commune, then same département (or a département the mediator serves), then the
same région, which stands in for "neighbouring départements".
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from bot.language.answers import normalise
from bot.paths import VAR

GEO_DIR = Path(os.environ.get("GEO_DATA_DIR", VAR / "geo"))

SAME_COMMUNE, SAME_DEPARTEMENT, SAME_REGION = 0, 1, 2
TOO_FAR = None


class GeoDataMissing(RuntimeError):
    """The index is built by `scripts/setup.sh` (scripts/fetch_geo.py)."""


@dataclass(frozen=True)
class Place:
    postal_code: str
    commune_codes: frozenset[str]
    commune_name: str
    departement: str
    region: str


@lru_cache(maxsize=1)
def _index() -> tuple[dict, dict]:
    try:
        postal = json.loads((GEO_DIR / "postal_index.json").read_text(encoding="utf-8"))["postal_codes"]
        deps = json.loads((GEO_DIR / "departements.json").read_text(encoding="utf-8"))["departements"]
    except FileNotFoundError as error:
        raise GeoDataMissing(f"{error.filename} missing: run scripts/setup.sh") from error
    return postal, deps


@lru_cache(maxsize=8192)  # searches look up every office again; the answer never changes
def place(postal_code: str | None) -> Place | None:
    """The place of a postal code, or None if the code does not exist."""
    postal, deps = _index()
    communes = postal.get((postal_code or "").strip())
    if not communes:
        return None
    departement = communes[0][2]
    return Place(
        postal_code=postal_code.strip(),
        commune_codes=frozenset(entry[0] for entry in communes),
        commune_name=communes[0][1],
        departement=departement,
        region=deps.get(departement, {}).get("region", ""),
    )


def region_of(departement: str) -> str:
    return _index()[1].get(departement, {}).get("region", "")


def proximity(person: Place | None, office: Place | None, areas_served: tuple[str, ...] = ()) -> int | None:
    """0 same commune, 1 same or served département, 2 same région, None too far."""
    if person is None or office is None:
        return TOO_FAR
    if person.commune_codes & office.commune_codes:
        return SAME_COMMUNE
    if person.departement == office.departement or person.departement in areas_served:
        return SAME_DEPARTEMENT
    if person.region and (person.region == office.region or person.region in {region_of(d) for d in areas_served}):
        return SAME_REGION
    return TOO_FAR


# Overseas départements keep their own clock; everything else is on Paris time.
_TIMEZONES = {"971": "America/Guadeloupe", "972": "America/Martinique", "973": "America/Cayenne",
              "974": "Indian/Reunion", "976": "Indian/Mayotte"}


def timezone_name(departement: str | None) -> str:
    return _TIMEZONES.get(departement or "", "Europe/Paris")


def commune_key(name: str) -> str:
    """A commune name as people type it: no accents, lower case, « st » for « saint », no hyphens."""
    plain = normalise(name).replace("-", " ").replace("'", " ")
    plain = " ".join({"st": "saint", "ste": "sainte"}.get(word, word) for word in plain.split())
    return plain


@lru_cache(maxsize=1)
def _communes_by_name() -> dict[str, tuple[str, str]]:
    """Commune name key -> (its first postal code, its name). A name several communes share is
    kept only when one of them is by far the most populated (« Saint-Denis » → 93)."""
    postal, _ = _index()
    by_name: dict[str, dict[str, list]] = {}
    for code, entries in postal.items():
        for entry in entries:
            commune_code, name, population = entry[0], entry[1], entry[3] if len(entry) > 3 else 0
            slot = by_name.setdefault(commune_key(name), {}).setdefault(commune_code, [population or 0, [], name])
            slot[1].append(code)
    chosen: dict[str, tuple[str, str]] = {}
    for key, communes in by_name.items():
        ranked = sorted(communes.values(), key=lambda item: item[0], reverse=True)
        if len(ranked) > 1 and ranked[0][0] < 5 * ranked[1][0]:
            continue  # too ambiguous to guess
        codes = sorted(ranked[0][1])
        round_codes = [code for code in codes if code.endswith("00")]  # the main office: 44000, 13100
        chosen[key] = ((round_codes or codes)[0], ranked[0][2])
    return chosen


def commune_postal_code(name: str) -> tuple[str, str] | None:
    """(postal code, commune name) for a commune written by name, e.g. « nantes » → ("44000", "Nantes")."""
    return _communes_by_name().get(commune_key(name))
