"""Past dates as people write them in a French description: « il y a 4 mois », « depuis mars »,
« le 3 mars 2026 », « ya 2 semaines », « début septembre », « la semaine dernière ».

dateparser (in the lock) reads a phrase that is only a date, but it does not find one inside a
sentence, and it does not know « depuis mars » or the SMS « ya 4 mois ». This module finds the
phrase with a few regular expressions on normalised text (no accents, lower case) and computes
the day itself; a month without a day gives its first day (mid- and late month: the 15th, 25th).
Only dates that are not in the future are returned.
"""
from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot import content
from bot.language.answers import normalise

_MONTHS = {
    "janvier": 1, "janv": 1, "fevrier": 2, "fevr": 2, "fev": 2, "mars": 3, "avril": 4, "avr": 4, "mai": 5,
    "juin": 6, "juillet": 7, "juil": 7, "aout": 8, "septembre": 9, "sept": 9, "octobre": 10, "oct": 10,
    "novembre": 11, "nov": 11, "decembre": 12, "dec": 12,
}
_NUMBERS = {
    "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7, "huit": 8, "neuf": 9,
    "dix": 10, "onze": 11, "douze": 12, "treize": 13, "quatorze": 14, "quinze": 15, "seize": 16, "vingt": 20,
    "trente": 30,
}
# Unit -> (days, months) it stands for.
_UNITS = {"jour": (1, 0), "jours": (1, 0), "j": (1, 0), "semaine": (7, 0), "semaines": (7, 0), "sem": (7, 0),
          "mois": (0, 1), "an": (0, 12), "ans": (0, 12), "annee": (0, 12), "annees": (0, 12)}
_PART_OF_MONTH = {"debut": 1, "mi": 15, "mi-": 15, "milieu": 15, "fin": 25}

_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_YEAR = r"(?:\s+(?P<year>(?:19|20)\d{2}))?"
_COUNT = r"(?P<count>\d{1,3}|" + "|".join(_NUMBERS) + r")"
_UNIT = r"(?P<unit>jours?|j|semaines?|sem|mois|ans?|annees?)"
_AGO = re.compile(rf"\b(?:il\s*y\s*a|il\s*ya|y\s*a|ya|depuis|voila|ca fait|cela fait)\s+(?:plus de |pres de |environ |a peu pres )?{_COUNT}\s+{_UNIT}\b")
_DAY_MONTH = re.compile(rf"\b(?:le |au |du |depuis le |depuis )?(?P<day>[0-3]?\d)(?:er)?\s+{_MONTH}{_YEAR}\b")
_PART_MONTH = re.compile(rf"\b(?P<part>debut|mi-?|milieu|fin)\s*(?:de |d')?{_MONTH}{_YEAR}\b")
_IN_MONTH = re.compile(rf"\b(?:depuis|en|au mois de|depuis le mois de|courant|a partir de)\s+{_MONTH}{_YEAR}(?:\s+dernier)?\b")
_NUMERIC = re.compile(r"(?<![\d/])(?P<day>[0-3]?\d)/(?P<month>[01]?\d)(?:/(?P<year>(?:19|20)?\d{2}))?(?![\d/])")
_RELATIVE = (  # phrase -> (days, months) ago
    (re.compile(r"\bavant[- ]hier\b"), (2, 0)),
    (re.compile(r"\bhier\b"), (1, 0)),
    (re.compile(r"\b(?:la semaine (?:derniere|passee)|semaine derniere)\b"), (7, 0)),
    (re.compile(r"\b(?:le mois (?:dernier|passe)|mois dernier)\b"), (0, 1)),
    (re.compile(r"\b(?:l'an (?:dernier|passe)|l'annee (?:derniere|passee))\b"), (0, 12)),
)


@dataclass(frozen=True)
class FoundDate:
    day: dt.date
    start: int  # position of the phrase in the normalised text
    end: int


def _ago(today: dt.date, days: int, months: int) -> dt.date:
    """`today` minus days and months (the 31st of a shorter month becomes its last day)."""
    years, month_index = divmod(today.month - 1 - months, 12)
    year, month = today.year + years, month_index + 1
    day = dt.date(year, month, min(today.day, calendar.monthrange(year, month)[1]))
    return day - dt.timedelta(days=days)


def _count(word: str) -> int | None:
    return int(word) if word.isdigit() else _NUMBERS.get(word)


def _month_day(year: int | None, month: int, day: int, today: dt.date) -> dt.date | None:
    """The most recent such day not after today (last year's when no year is written)."""
    try:
        if year is not None:
            return dt.date(year, month, day)
        candidate = dt.date(today.year, month, day)
        return candidate if candidate <= today else dt.date(today.year - 1, month, day)
    except ValueError:
        return None


def _year(text: str | None) -> int | None:
    if not text:
        return None
    value = int(text)
    return value + 2000 if value < 100 else value


def find_past_dates(text: str | None, today: dt.date | None = None) -> list[FoundDate]:
    """Every past date written in `text`, in reading order (positions in the normalised text)."""
    plain = normalise(text)
    if not plain:
        return []
    today = today or dt.date.today()
    found: list[FoundDate] = []
    taken: list[tuple[int, int]] = []

    def add(match: re.Match, day: dt.date | None) -> None:
        span = match.span()
        if day is None or day > today or any(span[0] < end and start < span[1] for start, end in taken):
            return
        taken.append(span)
        found.append(FoundDate(day, *span))

    for match in _AGO.finditer(plain):
        count = _count(match.group("count"))
        if count is not None and count <= 100:
            days, months = _UNITS[match.group("unit")]
            add(match, _ago(today, days * count, months * count))
    for match in _DAY_MONTH.finditer(plain):
        add(match, _month_day(_year(match.group("year")), _MONTHS[match.group("month")], int(match.group("day")), today)
            if 1 <= int(match.group("day")) <= 31 else None)
    for match in _PART_MONTH.finditer(plain):
        part = _PART_OF_MONTH[match.group("part")]
        add(match, _month_day(_year(match.group("year")), _MONTHS[match.group("month")], part, today))
    for match in _IN_MONTH.finditer(plain):
        add(match, _month_day(_year(match.group("year")), _MONTHS[match.group("month")], 1, today))
    for match in _NUMERIC.finditer(plain):
        month, day = int(match.group("month")), int(match.group("day"))
        if 1 <= month <= 12 and 1 <= day <= 31:
            add(match, _month_day(_year(match.group("year")), month, day, today))
    for pattern, (days, months) in _RELATIVE:
        for match in pattern.finditer(plain):
            add(match, _ago(today, days, months))
    return sorted(found, key=lambda item: item.start)


def find_past_date(text: str | None, today: dt.date | None = None) -> dt.date | None:
    """The first past date written in `text`, or None."""
    dates = find_past_dates(text, today)
    return dates[0].day if dates else None


def when_label(starts_at_iso: str, tz_name: str) -> str:
    """'mardi 24 novembre à 14 h 00' in the person's clock."""
    starts = dt.datetime.fromisoformat(starts_at_iso.rstrip("Z")).replace(tzinfo=dt.timezone.utc).astimezone(ZoneInfo(tz_name))
    return content.WHEN_LABEL.format(
        weekday=content.WEEKDAYS[starts.weekday()], day=starts.day if starts.day > 1 else content.FIRST_OF_MONTH,
        month=content.MONTHS[starts.month - 1], hour=starts.hour, minute=starts.minute,
        zone=content.TIMEZONE_LABELS.get(tz_name, ""))
