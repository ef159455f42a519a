"""Amounts of money in French as people type them.

"4 800 €", "4800e", "quatre mille huit cents euros", "environ 5k", "1,2 million",
"5 000,01 €". Words become digits with text2num, digits become a number with
price-parser; "k" and "million" are handled here because neither library does.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from price_parser import Price
from text_to_num import alpha2digit

from bot.language.answers import is_dont_know, normalise

# Above this we assume a typo rather than a real claim and ask again.
MAX_PLAUSIBLE_EUR = 100_000_000.0


class AmountKind(str, Enum):
    AMOUNT = "amount"
    NONE = "none"  # no money at stake
    UNKNOWN = "unknown"  # the person does not know
    INVALID = "invalid"


@dataclass(frozen=True)
class AmountAnswer:
    kind: AmountKind
    value: float | None = None


_NO_MONEY = re.compile(
    r"^(?:aucun(?:e)?|rien|zero|0|non|pas d'?argent.*|pas de (?:somme|montant|argent).*|"
    r"il n'?y a pas d'?argent.*|ce n'?est pas une question d'?argent.*|pas une question d'?argent.*)$"
)
# "aucun montant", "non, rien", "y a pas d'argent en jeu", "c pas une histoire de sous": said
# without any number, these mean that no money is at stake.
_NO_MONEY_WORDS = re.compile(
    r"^(?:non|nan|bah|ben|euh|ah)?[ ,]*(?:"
    r"(?:aucun|aucune)(?: (?:montant|somme|argent|sous|enjeu(?: financier)?|euro))?"
    r"|rien(?: du tout| de tout ca)?|nada|que dalle|zero euro"
    r"|pas (?:de|d') ?(?:montant|somme|argent|sous|fric|thune|enjeu(?: financier)?|euro)"
    r"|(?:il )?n'?(?:y a|ya|y'a) (?:pas|aucun|aucune|rien)"
    r"|(?:il )?(?:y a|ya|y'a) (?:pas|aucun|aucune|rien)"
    r"|(?:ce n'est|c'est|c|ce) ?(?:pas )?(?:une (?:question|histoire|affaire) (?:d' ?|d |de )?(?:argent|sous|fric))"
    r")\b"
)
_MONEY_CURRENCY = r"(?:€|eur\b|euros?\b|balles\b)"
# "4 800 € ?" is an amount said with a doubt; only a bare "?" means "I don't know".
_ONLY_QUESTION_MARKS = re.compile(r"^\?+$")
_NUMBER = r"\d+(?:[ .\u00a0\u202f]\d{3})*(?:[.,]\d+)?"
_K_SUFFIX = re.compile(rf"({_NUMBER})\s*(k|K|kilo)(?:\s*(?:€|e|eur|euros?))?\b")
_MILLION = re.compile(rf"({_NUMBER})\s*(millions?|M)\b(?:\s*d['e ]\s*euros?)?", re.IGNORECASE)
_NEGATIVE = re.compile(r"(?<![\w])-\s*\d")
_CURRENCY_NEAR = re.compile(rf"({_NUMBER})\s*(?:€|eur\b|euros?\b|e\b)", re.IGNORECASE)


def _to_float(number: str) -> float | None:
    price = Price.fromstring(number, decimal_separator=None)
    return float(price.amount) if price.amount is not None else None


def _clean_number(number: str) -> float | None:
    # "4 800,50" / "4.800,50" / "4800.5": spaces are thousand separators;
    # a comma is the French decimal mark.
    compact = re.sub(r"[ \u00a0\u202f]", "", number)
    if "," in compact:
        compact = compact.replace(".", "").replace(",", ".")
    elif re.fullmatch(r"\d{1,3}(?:\.\d{3})+", compact):
        compact = compact.replace(".", "")
    try:
        return float(compact)
    except ValueError:
        return _to_float(number)


def parse_amount(text: str) -> AmountAnswer:
    """Understand an answer to "Quel montant est en jeu ?"."""
    plain = normalise(text)
    if not plain:
        return AmountAnswer(AmountKind.INVALID)
    if is_dont_know(plain) or _ONLY_QUESTION_MARKS.match(plain):
        return AmountAnswer(AmountKind.UNKNOWN)
    if (_NO_MONEY.match(plain) or _NO_MONEY_WORDS.match(plain)) and not re.search(r"[1-9]", alpha2digit(plain, "fr")):
        return AmountAnswer(AmountKind.NONE, 0.0)
    if _NEGATIVE.search(text):
        return AmountAnswer(AmountKind.INVALID)

    # "1,2 million" is scaled before text2num, which would turn "million"
    # into a separate 1000000; text2num works on the original accents.
    value = _scaled(text)
    digits = alpha2digit(text, "fr")
    if value is None:
        near_currency = _CURRENCY_NEAR.search(digits)
        candidate = near_currency.group(1) if near_currency else None
        if candidate is None:
            bare = re.search(_NUMBER, digits)
            candidate = bare.group(0) if bare else None
        value = _clean_number(candidate) if candidate else None
    if value is None or value < 0 or value > MAX_PLAUSIBLE_EUR:
        return AmountAnswer(AmountKind.INVALID)
    if value == 0:
        return AmountAnswer(AmountKind.NONE, 0.0)
    return AmountAnswer(AmountKind.AMOUNT, round(value, 2))


def _scaled(text: str) -> float | None:
    for pattern, factor in ((_K_SUFFIX, 1_000), (_MILLION, 1_000_000)):
        match = pattern.search(text)
        if match:
            base = _clean_number(match.group(1))
            return None if base is None else base * factor
    return None


# In a description, only a number written with its currency is an amount: "4 800 €", "4800e",
# "quatre mille euros", "5k", "5 k€", "1,2 million d'euros", "500 balles".
_DESCRIPTION_AMOUNTS = (
    (re.compile(rf"({_NUMBER})\s*(?:k|K)\s*(?:€|e\b|eur\b|euros?\b)?(?![\w])"), 1_000),
    (re.compile(rf"({_NUMBER})\s*{_MONEY_CURRENCY}", re.IGNORECASE), 1),
    (re.compile(r"(?<![\w.,])(\d+(?:[.,]\d+)?)e\b"), 1),  # "4800e", glued only: "3 e étage" is not money
)


_MILLION_IN_TEXT = re.compile(rf"({_NUMBER})\s*(?:millions?|M)\s*(?:d['e ]\s*)?(?=€|eur\b|euros?\b)", re.IGNORECASE)


def _millions(number: str) -> str:
    base = _clean_number(number)
    return f"{round(base * 1_000_000)} " if base is not None else number


def amount_in_text(text: str | None) -> float | None:
    """The one amount of money a free description names, or None (none, or several different ones)."""
    if not text:
        return None
    # "1,2 million d'euros" is scaled first: text2num would turn "million" into a separate 1000000.
    text = _MILLION_IN_TEXT.sub(lambda match: _millions(match.group(1)), text)
    digits = alpha2digit(text, "fr")
    values: set[float] = set()
    taken: list[tuple[int, int]] = []
    for pattern, factor in _DESCRIPTION_AMOUNTS:
        for match in pattern.finditer(digits):
            if any(match.start() < end and start < match.end() for start, end in taken):
                continue
            taken.append(match.span())
            base = _clean_number(match.group(1))
            if base is not None:
                values.add(round(base * factor, 2))
    values = {value for value in values if 0 < value <= MAX_PLAUSIBLE_EUR}
    return values.pop() if len(values) == 1 else None
