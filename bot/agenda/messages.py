"""What a booking, a cancellation or a move says to the person and to the mediator, queued
in the outbox in the same transaction (store.py calls `queue`).

The person gets an e-mail (their address) or, with a phone number only, an SMS when Twilio
is configured; else nothing (the conversation says so, `person_channel`). The mediator gets
an e-mail with the neutral brief (never the person's own words: bot/booking.py builds it
from structured slots), the person's name and contact, and the .ics. Every text is in
bot/content.py; the HTML part is the same text, escaped, with a language and a title, and
no image or tracking of any kind.
"""
from __future__ import annotations

import html
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from bot import content
from bot.places import geo
from bot.agenda import ics, outbox
from bot.agenda.schema import outbox as outbox_table
from bot.language.contacts import masked_contact
from bot.language.dates import when_label

DEFAULT_REMINDER_HOURS = 24.0


@dataclass(frozen=True)
class Messaging:
    """How messages leave (set from the environment by the service, sender.py)."""
    email_delivery: str = "files"   # smtp: really sent; files: .eml under var/mail/ (development)
    sms: bool = False               # Twilio configured
    public_url: str = "http://127.0.0.1:5056"  # where the person's links point (AGENDA_PUBLIC_URL)
    reminder_hours: float = DEFAULT_REMINDER_HOURS

    @classmethod
    def from_env(cls, email_delivery: str, sms: bool) -> "Messaging":
        hours = float(os.environ.get("REMINDER_HOURS") or DEFAULT_REMINDER_HOURS)
        public = (os.environ.get("AGENDA_PUBLIC_URL") or "http://127.0.0.1:5056").rstrip("/")
        return cls(email_delivery=email_delivery, sms=sms, public_url=public, reminder_hours=hours)


def person_channel(person: dict[str, Any], messaging: Messaging) -> str | None:
    if person.get("email"):
        return "email"
    if person.get("phone") and messaging.sms:
        return "sms"
    return None


def reminder_time(booking: dict[str, Any], messaging: Messaging, now: datetime) -> datetime | None:
    """When the reminder leaves; None when the booking is sooner than REMINDER_HOURS (the
    confirmation is then the reminder, and nobody is promised one)."""
    starts = datetime.fromisoformat(booking["starts_at"].rstrip("Z"))
    send_after = starts - timedelta(hours=messaging.reminder_hours)
    return send_after if send_after > now else None


def notifications(booking: dict[str, Any], messaging: Messaging, now: datetime) -> dict[str, Any]:
    """What the confirmation tells the person about the messages (section 3 of issue 18)."""
    person = booking["person"]
    channel = person_channel(person, messaging)
    delivered = channel == "sms" or (channel == "email" and messaging.email_delivery == "smtp")
    return {"person": {"channel": channel, "delivered": delivered,
                       "reminder": bool(channel) and reminder_time(booking, messaging, now) is not None,
                       "to": masked_contact({"email": person["email"]} if channel == "email"
                                            else {"phone": person["phone"]}) if channel else None},
            "mediator": {"channel": "email", "delivered": messaging.email_delivery == "smtp"}}


# ---- rendering -----------------------------------------------------------------------------
def _tz(booking: dict[str, Any]) -> str:
    place = geo.place(booking["mediator"].get("postal_code"))
    return geo.timezone_name(place.departement if place else None)


def _fields(booking: dict[str, Any], messaging: Messaging, starts_at: str | None = None) -> dict[str, str]:
    mediator = booking["mediator"]
    address = f"{mediator['address']}, {mediator['postal_code']} {mediator['commune']}"
    return {
        "reference": booking["reference"], "mediator": mediator["name"],
        "date": when_label(starts_at or booking["starts_at"], _tz(booking)),
        "mode": content.MODE_LABELS[booking["mode"]],
        "how": content.MAIL_HOW[booking["mode"]].format(address=address),
        "manage_url": f"{messaging.public_url}/public/booking/{booking['reference']}",
    }


def _brief_value(value: Any) -> str:
    if isinstance(value, bool):
        return content.BRIEF_YES if value else content.BRIEF_NO
    if isinstance(value, list):
        return ", ".join(_brief_value(item) for item in value) or "—"
    if isinstance(value, dict):
        return ", ".join(f"{key} {_brief_value(item)}" for key, item in value.items() if item not in (None, ""))
    return "—" if value in (None, "") else str(value)


def brief_lines(brief: dict[str, Any]) -> str:
    """The neutral brief as labelled lines (it holds codes and facts, no free text)."""
    lines = []
    for key, value in brief.items():
        if isinstance(value, dict) and key != "prelitigation":
            lines += [f"- {content.BRIEF_LABELS.get(k, k)} : {_brief_value(v)}" for k, v in value.items()
                      if v not in (None, "", [])]
        elif isinstance(value, dict):
            lines += [f"- {content.BRIEF_LABELS.get(k, k)} : {_brief_value(v)}" for k, v in value.items()
                      if v not in (None, "", [])]
        elif value not in (None, "", []):
            lines.append(f"- {content.BRIEF_LABELS.get(key, key)} : {_brief_value(value)}")
    return "\n".join(lines)


def to_html(subject: str, text: str) -> str:
    """The plain text as an accessible HTML page: language, title, paragraphs, links."""
    paragraphs = []
    for block in text.split("\n\n"):
        lines = [html.escape(line) for line in block.split("\n")]
        linked = [" ".join(f'<a href="{word}">{word}</a>' if word.startswith(("http://", "https://")) else word
                           for word in line.split(" ")) for line in lines]
        paragraphs.append("<p>" + "<br>\n".join(linked) + "</p>")
    return ('<!DOCTYPE html>\n<html lang="fr">\n<head><meta charset="utf-8">'
            f"<title>{html.escape(subject)}</title></head>\n"
            '<body style="font-family: sans-serif; font-size: 16px; line-height: 1.5; color: #1a1a1a">\n'
            f"<h1 style=\"font-size: 20px\">{html.escape(subject)}</h1>\n" + "\n".join(paragraphs) + "\n</body>\n</html>\n")


def _email(subject: str, body: str) -> dict[str, Any]:
    text = f"{body}\n\n-- \n{content.MAIL_SIGNATURE}"
    return {"subject": subject, "text": text, "html": to_html(subject, text)}


# ---- queueing --------------------------------------------------------------------------------
def queue(connection: sa.engine.Connection, event: str, booking: dict[str, Any], *, booking_id: int,
          brief: dict[str, Any] | None, messaging: Messaging, now: datetime, event_key: str,
          old: dict[str, Any] | None = None) -> int:
    """Queue the messages of `event` (confirmed, cancelled, moved) in the caller's transaction;
    `event_key` makes each occurrence unique (a move: the new hold). Returns how many were new."""
    person, mediator = booking["person"], booking["mediator"]
    fields = _fields(booking, messaging)
    invitation = [(f"{booking['reference']}.ics", "text/calendar", ics.invitation(booking, now))]
    queued = 0

    def put(kind: str, channel: str, recipient: str, message: dict[str, Any], **extra: Any) -> None:
        nonlocal queued
        queued += outbox.enqueue(connection, dedup_key=f"booking:{booking_id}:{event_key}:{kind}:{channel}",
                                 channel=channel, recipient=recipient, recipient_kind=kind, booking_id=booking_id,
                                 mediator_id=mediator["id"], now=now, **message, **extra)

    channel = person_channel(person, messaging)
    manage = content.MAIL_MANAGE.format(**fields)
    if event == "confirmed":
        person_mail = _email(content.MAIL_PERSON_CONFIRMED_SUBJECT.format(**fields),
                             content.MAIL_PERSON_CONFIRMED.format(**fields, manage=manage, reminder=(
                                 content.MAIL_REMINDER_COMING if reminder_time(booking, messaging, now) else "")))
        sms = content.SMS_PERSON_CONFIRMED.format(**fields)
        contact = person.get("email") or person.get("phone") or ""
        mediator_mail = _email(content.MAIL_MEDIATOR_NEW_SUBJECT.format(**fields), content.MAIL_MEDIATOR_NEW.format(
            **fields, name=person["name"], contact=contact, brief=brief_lines(brief or {})))
    elif event == "cancelled":
        person_mail = _email(content.MAIL_PERSON_CANCELLED_SUBJECT.format(**fields),
                             content.MAIL_PERSON_CANCELLED.format(**fields))
        sms = content.SMS_PERSON_CANCELLED.format(**fields)
        mediator_mail = _email(content.MAIL_MEDIATOR_CANCELLED_SUBJECT.format(**fields),
                               content.MAIL_MEDIATOR_CANCELLED.format(**fields))
        invitation = []
    elif event == "moved":
        person_mail = _email(content.MAIL_PERSON_MOVED_SUBJECT.format(**fields),
                             content.MAIL_PERSON_MOVED.format(**fields, manage=manage))
        sms = content.SMS_PERSON_MOVED.format(**fields)
        old_date = _fields(old or booking, messaging)["date"]
        mediator_mail = _email(content.MAIL_MEDIATOR_MOVED_SUBJECT.format(**fields),
                               content.MAIL_MEDIATOR_MOVED.format(**fields, old_date=old_date))
        if old and old["mediator"]["id"] != mediator["id"]:  # the former mediator learns their slot is free
            outbox.enqueue(connection, dedup_key=f"booking:{booking_id}:{event_key}:mediator-before:email",
                           channel="email", recipient=old["mediator"]["email"], recipient_kind="mediator",
                           booking_id=booking_id, mediator_id=old["mediator"]["id"], now=now,
                           **_email(content.MAIL_MEDIATOR_MOVED_SUBJECT.format(**fields),
                                    content.MAIL_MEDIATOR_MOVED_AWAY.format(**fields, old_date=old_date)))
    else:
        raise ValueError(f"unknown event {event}")
    if channel == "email":
        put("person", "email", person["email"], person_mail, attachments=invitation)
    elif channel == "sms":
        put("person", "sms", person["phone"], {"subject": "", "text": sms})
    if mediator.get("email"):
        put("mediator", "email", mediator["email"], mediator_mail, attachments=invitation)
    if event in ("cancelled", "moved"):
        drop_reminders(connection, booking_id)
    if event in ("confirmed", "moved") and channel:
        _queue_reminder(connection, booking, booking_id, channel, messaging, now, event_key, fields, manage)
    return queued


def _queue_reminder(connection: sa.engine.Connection, booking: dict[str, Any], booking_id: int, channel: str,
                    messaging: Messaging, now: datetime, event_key: str, fields: dict[str, str], manage: str) -> None:
    send_after = reminder_time(booking, messaging, now)
    if send_after is None:
        return
    person = booking["person"]
    if channel == "email":
        message = _email(content.MAIL_PERSON_REMINDER_SUBJECT.format(**fields),
                         content.MAIL_PERSON_REMINDER.format(**fields, manage=manage))
        recipient = person["email"]
    else:
        message, recipient = {"subject": "", "text": content.SMS_PERSON_REMINDER.format(**fields)}, person["phone"]
    outbox.enqueue(connection, dedup_key=f"booking:{booking_id}:reminder:{event_key}:person:{channel}",
                   channel=channel, recipient=recipient, recipient_kind="person", booking_id=booking_id,
                   mediator_id=booking["mediator"]["id"], send_after=send_after, now=now, **message)


def drop_reminders(connection: sa.engine.Connection, booking_id: int) -> int:
    """A cancelled or moved booking's reminder not yet sent is no longer true."""
    return connection.execute(outbox_table.delete().where(
        outbox_table.c.booking_id == booking_id, outbox_table.c.status == "pending",
        outbox_table.c.dedup_key.like(f"booking:{booking_id}:reminder:%"))).rowcount
