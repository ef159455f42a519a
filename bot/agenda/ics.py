"""The iCalendar invitation of a booking, for the person's own calendar."""
from __future__ import annotations

from datetime import datetime, timezone

import icalendar

from bot import content


def _utc(iso: str) -> datetime:
    return datetime.fromisoformat(iso.rstrip("Z")).replace(tzinfo=timezone.utc)


def invitation(booking: dict, now: datetime) -> bytes:
    """VCALENDAR with one VEVENT; no intake brief inside, only what the appointment needs."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Mediation Accueil//Agenda//FR")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = icalendar.Event()
    mediator = booking["mediator"]
    event.add("uid", f"{booking['reference']}@mediation-accueil")
    event.add("dtstamp", now.replace(tzinfo=timezone.utc))
    event.add("dtstart", _utc(booking["starts_at"]))
    event.add("dtend", _utc(booking["ends_at"]))
    event.add("summary", content.ICS_SUMMARY.format(name=mediator["name"], reference=booking["reference"]))
    event.add("description", content.ICS_DESCRIPTION.format(reference=booking["reference"],
                                                            mode=content.MODE_LABELS[booking["mode"]]))
    if booking["mode"] == "in_person":
        event.add("location", f"{mediator['address']}, {mediator['postal_code']} {mediator['commune']}")
    else:
        event.add("location", content.MODE_LABELS[booking["mode"]])
    event.add("status", "CANCELLED" if booking["status"] == "cancelled" else "CONFIRMED")
    organizer = icalendar.vCalAddress(f"mailto:{mediator['email']}")
    organizer.params["cn"] = icalendar.vText(mediator["name"])
    event.add("organizer", organizer)
    calendar.add_component(event)
    return calendar.to_ical()
