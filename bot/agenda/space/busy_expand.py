"""The busy periods of a mediator's calendar, expanded in a child process of its own
(`python -m bot.agenda.space.busy_expand START END < calendar.ics`, run by
calendars.busy_from_ics with a time limit).

Why a process: a few hundred bytes of RRULE (every second, or a rule that no date matches,
which dateutil seeks until the year 9999) keep the expansion busy for hours and fill the
memory; a thread cannot be stopped, a process can. Only the standard library, icalendar
and recurring_ical_events are imported, so that it starts fast.

Output on stdout: {"periods": [[start, end], …]} (ISO, naive UTC), or {"error": "unreadable"
| "too_many"}.
"""
from __future__ import annotations

import json
import sys
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

MAX_PERIODS = 5000
MEMORY_BYTES = 1024 * 1024 * 1024  # the child's address space: a runaway expansion ends in MemoryError


class TooMany(Exception):
    pass


def _utc(value: datetime | date) -> datetime:
    if not isinstance(value, datetime):  # an all-day event: the whole day, Paris time
        value = datetime.combine(value, datetime.min.time(), tzinfo=ZoneInfo("Europe/Paris"))
    elif value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo("Europe/Paris"))
    return value.astimezone(timezone.utc).replace(tzinfo=None)


def busy_periods(ics_text: str | bytes, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """Busy periods (naive UTC) between `start` and `end`; free (TRANSP:TRANSPARENT) and
    cancelled events are not busy. ValueError for what is not a calendar; TooMany past
    MAX_PERIODS."""
    import icalendar
    import recurring_ical_events

    try:
        calendar = icalendar.Calendar.from_ical(ics_text)
        events = recurring_ical_events.of(calendar).between(start.replace(tzinfo=timezone.utc),
                                                            end.replace(tzinfo=timezone.utc))
    except Exception as error:  # noqa: BLE001 - any parser failure is « not a calendar »
        raise ValueError("unreadable") from error
    periods = []
    for event in events:
        if str(event.get("STATUS", "")).upper() == "CANCELLED" or str(event.get("TRANSP", "")).upper() == "TRANSPARENT":
            continue
        try:
            begin = _utc(event.decoded("DTSTART"))
            finish = _utc(event.decoded("DTEND")) if "DTEND" in event else begin + (
                event.decoded("DURATION") if "DURATION" in event else timedelta(days=1))
        except (KeyError, ValueError, TypeError, OverflowError):
            continue
        if finish > begin:
            periods.append((begin, finish))
    if len(periods) > MAX_PERIODS:
        raise TooMany()
    return sorted(periods)


def main(argv: list[str]) -> int:
    try:
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    except (ImportError, ValueError, OSError):
        pass  # no such limit here: the parent's time limit still holds
    start, end = (datetime.fromisoformat(value) for value in argv[:2])
    try:
        result = {"periods": [[begin.isoformat(), finish.isoformat()]
                              for begin, finish in busy_periods(sys.stdin.buffer.read(), start, end)]}
    except ValueError:
        result = {"error": "unreadable"}
    except TooMany:
        result = {"error": "too_many"}
    sys.stdout.write(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
