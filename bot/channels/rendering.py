"""Our buttons, rendered within what each messaging platform can show.

The assistant answers with texts and buttons ({"title", "payload"}); each channel has
its own limits (checked against Meta's documentation, 2026-11):
- Messenger: text ≤ 2000 characters; quick replies ≤ 13, title ≤ 20; a button template
  holds ≤ 3 postback buttons, title ≤ 20, text ≤ 640.
- WhatsApp Cloud API: text ≤ 4096; reply buttons ≤ 3, title ≤ 20, body ≤ 1024; a list
  message holds ≤ 10 rows, row title ≤ 24, row description ≤ 72, list button ≤ 20.
A payload is never shown to the person; a title too long is cut at a word and the full
label goes where the platform has room (a list row's description).

Links and phone numbers (docs/channels.md, "Links and emergency numbers"):
- the widget gets each bot message also as `parts`: plain text and links, which it builds
  as DOM nodes. The numbers of the helplines table (bot/legal/rules.yml) become `tel:`
  links, or `sms:` for a number that only takes text messages (114); http(s) URLs and bare
  domains (conciliateurs.fr) become web links; the calendar (.ics) URL gets a label
  instead of showing its URL and code;
- WhatsApp and Messenger text cannot carry a link. A URL starting with https:// is
  rendered clickable by both apps (Meta's WhatsApp text-message documentation), so a bare
  domain is written with it. A phone number stays plain digits in the text: whether it is
  tappable is the app's and the phone's own detection, which we cannot force. A French
  short number has no international form, so Messenger's call button (« +<country code>
  <number> » only) cannot dial it either; we only make sure the number is written as
  unbroken digits ("3919", never "39 19").
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from bot import content
from bot.legal.engine import Helpline, default_table

MESSENGER_TEXT, MESSENGER_QUICK_REPLIES, MESSENGER_TITLE = 2000, 13, 20
MESSENGER_TEMPLATE_TEXT, MESSENGER_TEMPLATE_BUTTONS = 640, 3
WHATSAPP_TEXT, WHATSAPP_BODY, WHATSAPP_BUTTONS, WHATSAPP_BUTTON_TITLE = 4096, 1024, 3, 20
WHATSAPP_ROWS, WHATSAPP_ROW_TITLE, WHATSAPP_ROW_DESCRIPTION = 10, 24, 72


def shorten(text: str, limit: int) -> str:
    """Cut at a word boundary with an ellipsis; never more than `limit` characters."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2:]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:") + "…"


def split_text(text: str, limit: int) -> list[str]:
    """Split a long message into parts ≤ limit, cutting at a paragraph, a line, a sentence
    or a word (in that order of preference); only the whitespace at a cut is dropped."""
    text, parts = (text or "").strip(), []
    while len(text) > limit:
        window = text[: limit + 1]
        cut = -1
        for separator, keep in (("\n\n", 0), ("\n", 0), (". ", 1), ("! ", 1), ("? ", 1), (" ", 0)):
            position = window.rfind(separator)
            if position > 0:
                cut = position + keep
                break
        if cut <= 0:
            cut = limit
        parts.append(text[:cut].strip())
        text = text[cut:].strip()
    return parts + ([text] if text else [])


def messenger_messages(text: str, buttons: list[dict[str, str]] | None) -> list[dict[str, Any]]:
    """Messenger Send API `message` objects for one bot message."""
    buttons = buttons or []
    text = for_messaging_apps(text)
    parts = split_text(text or "", MESSENGER_TEXT) or [""]
    messages: list[dict[str, Any]] = [{"text": part} for part in parts[:-1]]
    last = parts[-1]
    if not buttons:
        return messages + ([{"text": last}] if last else [])
    if len(buttons) <= MESSENGER_TEMPLATE_BUTTONS and all(len(b["title"]) <= MESSENGER_TITLE for b in buttons) \
            and len(last) <= MESSENGER_TEMPLATE_TEXT and last:
        return messages + [{"attachment": {"type": "template", "payload": {
            "template_type": "button", "text": last,
            "buttons": [{"type": "postback", "title": b["title"], "payload": b["payload"]} for b in buttons]}}}]
    quick = [{"content_type": "text", "title": shorten(b["title"], MESSENGER_TITLE), "payload": b["payload"]}
             for b in buttons[:MESSENGER_QUICK_REPLIES]]
    if any(len(b["title"]) > MESSENGER_TITLE for b in buttons):
        # Long labels (a slot: who, when, how) are listed in the text, numbered like the replies.
        last = "\n".join([last] + [f"{i}. {b['title']}" for i, b in enumerate(buttons, start=1)])
        quick = [{"content_type": "text", "title": shorten(f"{i}. {b['title']}", MESSENGER_TITLE),
                  "payload": b["payload"]} for i, b in enumerate(buttons[:MESSENGER_QUICK_REPLIES], start=1)]
        for part in split_text(last, MESSENGER_TEXT)[:-1]:
            messages.append({"text": part})
        last = split_text(last, MESSENGER_TEXT)[-1]
    return messages + [{"text": last or "…", "quick_replies": quick}]


def whatsapp_messages(text: str, buttons: list[dict[str, str]] | None) -> list[dict[str, Any]]:
    """WhatsApp Cloud API message bodies (without `to` and `messaging_product`)."""
    buttons = buttons or []
    text = for_messaging_apps(text)
    if not buttons:
        return [{"type": "text", "text": {"body": part}} for part in split_text(text or "", WHATSAPP_TEXT)]
    parts = split_text(text or "…", WHATSAPP_BODY) or ["…"]
    messages = [{"type": "text", "text": {"body": part}} for part in parts[:-1]]
    body = parts[-1]
    if len(buttons) <= WHATSAPP_BUTTONS and all(len(b["title"]) <= WHATSAPP_BUTTON_TITLE for b in buttons):
        return messages + [{"type": "interactive", "interactive": {
            "type": "button", "body": {"text": body},
            "action": {"buttons": [{"type": "reply", "reply": {"id": b["payload"][:256], "title": b["title"]}}
                                   for b in buttons]}}}]
    rows = []
    for b in buttons[:WHATSAPP_ROWS]:
        row = {"id": b["payload"][:200], "title": shorten(b["title"], WHATSAPP_ROW_TITLE)}
        if len(b["title"]) > WHATSAPP_ROW_TITLE:
            row["description"] = shorten(b["title"], WHATSAPP_ROW_DESCRIPTION)
        rows.append(row)
    return messages + [{"type": "interactive", "interactive": {
        "type": "list", "body": {"text": body},
        "action": {"button": content.LIST_BUTTON_LABEL, "sections": [{"rows": rows}]}}}]


_LEADING_SLASH = re.compile(r"^\s*/+")


def typed_text(text: str | None) -> str:
    """What a person typed on WhatsApp or Messenger: a leading '/' is never an intent."""
    return _LEADING_SLASH.sub("", text or "")


# ---------------------------------------------------------------- links and emergency numbers

# Words after which a number is a date, an amount, a duration… and never a phone number.
_NOT_A_PHONE_AFTER = (r"(?!\s*(?:h\b|heures?|€|euros?|%|ans?\b|mois\b|jours?\b|semaines?\b|m²|m\b|km\b|°|"
                      r"janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre))")
# Only where the text says it is a number to call: a bullet « • 17 – … », « le 17 », « au 114 »…
_PHONE_BEFORE = r"(?P<before>(?:(?<=\n)|^)[ \t]*•[ \t]*|\b(?:le|au|du|ou|composez|appelez|numéro)[ \t\u00a0]+)"
_URL = r"https?://[^\s<>\"'«»]+"
_TLDS = r"(?:gouv\.fr|fr|com|org|net|eu|info)"
_DOMAIN = rf"(?<![\w@./:-])(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+{_TLDS}(?![\w@-])(?:/[^\s<>\"'«»]*)?"
_TRAILING = re.compile(r"[.,;:!?)\]»]+$")
_CALENDAR_PATH = re.compile(r"/public/bookings/[^/?#]+\.ics$")


@lru_cache(maxsize=1)
def helplines() -> dict[str, Helpline]:
    """The helplines table (bot/legal/rules.yml), by number: the only numbers ever linked."""
    return {line.number: line for line in default_table().helplines}


def phone_href(number: str) -> str:
    """`tel:17`, or `sms:114` for a number that takes text messages only."""
    return f"{'sms' if helplines()[number].contact == 'sms' else 'tel'}:{number}"


@lru_cache(maxsize=1)
def _pattern() -> re.Pattern[str]:
    numbers = "|".join(sorted((re.escape(n) for n in helplines()), key=len, reverse=True))
    phone = rf"{_PHONE_BEFORE}(?P<phone>{numbers})(?![\w/.,]\d|[\w/]){_NOT_A_PHONE_AFTER}"
    return re.compile(rf"(?P<url>{_URL})|(?P<domain>{_DOMAIN})|{phone}", re.MULTILINE)


def _append(parts: list[dict[str, str]], part: dict[str, str]) -> None:
    if not part["text"]:
        return
    if "href" not in part and parts and "href" not in parts[-1]:
        parts[-1] = {"text": parts[-1]["text"] + part["text"]}
    else:
        parts.append(part)


def message_parts(text: str | None) -> list[dict[str, str]]:
    """A message as plain-text parts and links ({"text", "href", "kind"}), for the widget.

    kind: "tel" or "sms" (a number of the helplines table), "web" (a URL or a bare domain),
    "calendar" (the booking's .ics URL, shown with a label instead of its URL and code).
    Joining the texts gives the message back, except a calendar URL, which shows its label.
    """
    text = text or ""
    parts: list[dict[str, str]] = []
    last = 0
    for match in _pattern().finditer(text):
        if match.group("phone"):
            number = match.group("phone")
            _append(parts, {"text": text[last:match.start("phone")]})
            href = phone_href(number)
            _append(parts, {"text": number, "href": href, "kind": href.split(":")[0]})
            last = match.end("phone")
            continue
        raw = match.group("url") or match.group("domain")
        found = _TRAILING.sub("", raw)
        if not found or "." not in found:
            continue
        _append(parts, {"text": text[last:match.start()]})
        url = found if match.group("url") else f"https://{found}"
        if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
            _append(parts, {"text": found})
        elif _CALENDAR_PATH.search(urlsplit(url).path):
            _append(parts, {"text": content.WIDGET_CALENDAR_LINK, "href": url, "kind": "calendar"})
        else:
            _append(parts, {"text": found, "href": url, "kind": "web"})
        last = match.start() + len(found)
    _append(parts, {"text": text[last:]})
    return parts


def widget_message(text: str | None, buttons: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """What the widget receives for one bot message: the text, its parts and the buttons."""
    message: dict[str, Any] = {"text": text or "", "parts": message_parts(text)}
    if buttons:
        message["buttons"] = [{"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))}
                              for b in buttons]
    return message


def emergency_line() -> dict[str, Any]:
    """The widget's permanent line « En danger ? 17 · 112 · 114 (SMS) · 3919 · 119 »: the numbers
    chosen in content.WIDGET_EMERGENCY_NUMBERS, each with its label from the helplines table."""
    table = helplines()
    numbers = []
    for number in content.WIDGET_EMERGENCY_NUMBERS:
        line = table.get(number)
        if line is None:  # never shown unless the reviewed table has it
            continue
        href = phone_href(number)
        numbers.append({"number": number, "href": href, "label": line.label,
                        "suffix": content.WIDGET_SMS_SUFFIX if href.startswith("sms:") else ""})
    return {"label": content.WIDGET_EMERGENCY_LABEL, "numbers": numbers}


def _spaced(number: str) -> str:
    """« 3919 » written with spaces or dots inside (« 39 19 », « 39.19 »)."""
    return r"[ .\u00a0\u202f]?".join(re.escape(digit) for digit in number)


@lru_cache(maxsize=1)
def _spaced_numbers() -> re.Pattern[str]:
    long_numbers = [n for n in helplines() if len(n) >= 4]
    return re.compile(r"(?<![\d])(?:" + "|".join(_spaced(n) for n in long_numbers) + r")(?![\d])")


def for_messaging_apps(text: str | None) -> str:
    """WhatsApp and Messenger text: bare domains written as https:// URLs (the form both apps
    render clickable) and the helplines' numbers as unbroken digits."""
    text = text or ""
    pieces: list[str] = []
    last = 0
    for match in _pattern().finditer(text):
        domain = match.group("domain")
        if not domain:
            continue
        found = _TRAILING.sub("", domain)
        pieces += [text[last:match.start()], f"https://{found}"]
        last = match.start() + len(found)
    text = "".join(pieces) + text[last:]
    return _spaced_numbers().sub(lambda m: re.sub(r"\D", "", m.group(0)), text)
