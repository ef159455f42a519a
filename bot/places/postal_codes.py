"""French postal codes: extraction from free text and validation against real départements.

A regex alone accepts 00000 or 96123; we check the département part against the
INSEE list of départements and overseas collectivities (bot/places/departements.csv).
A code is kept as text because of leading zeros (01000).
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

_DATA = Path(__file__).with_name("departements.csv")
# Five digits not glued to other digits; "75 011" (a space after the
# département, as people often type it) is accepted too.
_CANDIDATE = re.compile(r"(?<!\d)(\d{2})\s?(\d{3})(?!\d)")
# Saint-Barthélemy and Saint-Martin use codes inside the 971 range; no postal
# code starts with their collectivity codes 977 and 978.
_SPECIAL_CODES = {"97133": "977", "97150": "978"}
_NOT_POSTAL_PREFIXES = {"977", "978"}


@dataclass(frozen=True)
class PostalCode:
    code: str
    departement_code: str
    departement_name: str


@lru_cache(maxsize=1)
def departements() -> dict[str, str]:
    with _DATA.open(encoding="utf-8") as handle:
        return {row["code"]: row["name"] for row in csv.DictReader(handle)}


def departement_of(code: str) -> str | None:
    """Département code for a 5-digit postal code, or None when no département has it."""
    if not re.fullmatch(r"\d{5}", code):
        return None
    if code in _SPECIAL_CODES:
        return _SPECIAL_CODES[code]
    known = departements()
    if code.startswith("20"):
        # Corsica: 200xx-201xx is Corse-du-Sud, 202xx-206xx Haute-Corse.
        third = int(code[2])
        if third <= 1:
            return "2A"
        return "2B" if third <= 6 else None
    if code.startswith(("97", "98")):
        prefix = code[:3]
        return prefix if prefix in known and prefix not in _NOT_POSTAL_PREFIXES else None
    return code[:2] if code[:2] in known else None


def parse_postal_code(text: str) -> PostalCode | None:
    """First valid postal code found in `text`, or None."""
    for match in _CANDIDATE.finditer(text or ""):
        code = match.group(1) + match.group(2)
        dep = departement_of(code)
        if dep is not None:
            return PostalCode(code, dep, departements()[dep])
    return None
