"""The person's page behind the messages' link (/public/booking/{reference}): its HTML and
the short-lived form token of a move.

French, no script, one h1, labelled fields. The code is never in a URL: it comes in the
form's body, and between listing the slots and choosing one it travels in `move_token`,
encrypted and signed with the agenda's key (sealed.py) and valid MOVE_TOKEN_TTL. Only
someone who gave the right code gets one, which is also what keeps these forms safe from
other sites (as the cancel form, which needs the code itself).
"""
from __future__ import annotations

import html
import json
from datetime import datetime, timezone
from typing import Any

from cryptography.fernet import InvalidToken

from bot import content
from bot.agenda import matching, sealed
from bot.language.dates import when_label
from bot.places import geo

MOVE_TOKEN_TTL = 15 * 60  # seconds
MAX_TOKEN = 4096


def _timestamp(now: datetime) -> int:
    return int(now.replace(tzinfo=timezone.utc).timestamp())


def move_token(reference: str, secret: str, slot_ids: list[int], now: datetime) -> str:
    data = json.dumps({"purpose": "move", "reference": reference, "secret": secret, "slots": slot_ids})
    return sealed.fernet().encrypt_at_time(data.encode("utf-8"), _timestamp(now)).decode("ascii")


def open_move_token(token: Any, reference: str, now: datetime) -> dict[str, Any] | None:
    """The token's content if it is ours, for this booking, and not expired; else None."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN or not token.isascii():
        return None
    try:
        data = json.loads(sealed.fernet().decrypt_at_time(token.encode("ascii"), MOVE_TOKEN_TTL, _timestamp(now)))
    except (InvalidToken, ValueError):
        return None
    if not isinstance(data, dict) or data.get("purpose") != "move" or data.get("reference") != reference:
        return None
    return data


def timezone_of(booking: dict[str, Any]) -> str:
    """The clock the messages use for this booking (messages.py): its mediator's place."""
    place = geo.place(booking["mediator"].get("postal_code"))
    return geo.timezone_name(place.departement if place else None)


def offer_label(offer: matching.Offer, tz_name: str) -> str:
    how = content.BOOKING_MODE_LABELS[offer.mode]
    if offer.mode == "in_person" and offer.place:
        how = content.BOOKING_MODE_AT_PLACE.format(mode=how, place=offer.place)
    return content.BOOKING_OFFER_LINE.format(mediator=offer.mediator_name,
                                             when=when_label(offer.starts_at.isoformat(), tz_name), how=how)


def booking_label(booking: dict[str, Any]) -> str:
    mediator = booking["mediator"]
    how = content.BOOKING_MODE_LABELS[booking["mode"]]
    if booking["mode"] == "in_person" and mediator.get("commune"):
        how = content.BOOKING_MODE_AT_PLACE.format(mode=how, place=mediator["commune"])
    return content.BOOKING_OFFER_LINE.format(mediator=mediator["name"],
                                             when=when_label(booking["starts_at"], timezone_of(booking)), how=how)


def page(reference: str, body: str = "", notice: str = "") -> str:
    title = html.escape(content.MANAGE_TITLE.format(reference=reference))
    notice_html = f'<p role="status">{html.escape(notice)}</p>' if notice else ""
    return ('<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{title}</title></head><body style=\"font-family: sans-serif; max-width: 40em; margin: 2em auto; "
            f"padding: 0 1em; line-height: 1.5\"><main><h1>{title}</h1>{notice_html}{body}</main></body></html>")


def code_form(reference: str) -> str:
    """One code field, two actions: moving first, so that the Enter key never cancels."""
    move_action = html.escape(f"/public/booking/{reference}/move")
    return (f"<p>{html.escape(content.MANAGE_CHOOSE_INTRO)}</p>"
            '<form method="post"><p><label for="secret">' + html.escape(content.MANAGE_CODE_LABEL) + "</label><br>"
            '<input id="secret" name="secret" type="text" required minlength="8" maxlength="8" '
            'autocomplete="off" autocapitalize="none" spellcheck="false"></p>'
            f'<p><button type="submit" formaction="{move_action}">{html.escape(content.MANAGE_MOVE_BUTTON)}</button></p>'
            f'<p><button type="submit">{html.escape(content.MANAGE_CANCEL_BUTTON)}</button></p></form>')


def offers_form(reference: str, booking: dict[str, Any], offers: list[matching.Offer], token: str) -> str:
    """The slots as radio buttons in a fieldset, the token hidden; a link to keep things as they are."""
    tz_name = timezone_of(booking)
    current = f"<p>{html.escape(content.MANAGE_MOVE_CURRENT.format(label=booking_label(booking)))}</p>"
    keep = f'<p><a href="{html.escape(f"/public/booking/{reference}")}">{html.escape(content.MANAGE_MOVE_KEEP)}</a></p>'
    if not offers:
        return current + f"<p>{html.escape(content.MANAGE_MOVE_NONE)}</p>" + keep
    groups = []
    for heading, members in ((content.MANAGE_MOVE_SAME, [o for o in offers if o.mediator_id == booking["mediator"]["id"]]),
                             (content.MANAGE_MOVE_OTHERS, [o for o in offers if o.mediator_id != booking["mediator"]["id"]])):
        if not members:
            continue
        items = "".join(
            f'<li><input type="radio" id="slot-{offer.slot_id}" name="slot" value="{offer.slot_id}" required> '
            f'<label for="slot-{offer.slot_id}">{html.escape(offer_label(offer, tz_name))}</label></li>'
            for offer in members)
        groups.append(f"<h2>{html.escape(heading)}</h2><ul style=\"list-style: none; padding: 0\">{items}</ul>")
    return (current + f'<form method="post" action="{html.escape(f"/public/booking/{reference}/move")}">'
            f"<fieldset><legend>{html.escape(content.MANAGE_MOVE_LEGEND)}</legend>{''.join(groups)}</fieldset>"
            f'<input type="hidden" name="token" value="{html.escape(token)}">'
            f'<p><button type="submit">{html.escape(content.MANAGE_MOVE_CONFIRM_BUTTON)}</button></p></form>' + keep)


def moved(reference: str, booking: dict[str, Any], messaged: bool) -> str:
    text = content.MANAGE_MOVED.format(reference=reference, label=booking_label(booking))
    after = content.MANAGE_MOVED_MESSAGE if messaged else content.MANAGE_MOVED_NO_MESSAGE
    calendar = html.escape(f"/public/calendar/{booking['calendar_token']}.ics")
    return (f'<p role="status">{html.escape(text)}</p><p>{html.escape(after)}</p>'
            f'<p><a href="{calendar}">{html.escape(content.MANAGE_MOVED_CALENDAR)}</a></p>')
