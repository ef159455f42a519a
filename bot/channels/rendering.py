"""Our buttons, rendered within what each messaging platform can show.

The assistant answers with texts and buttons ({"title", "payload"}); each channel has
its own limits (checked against Meta's documentation, 2026-11):
- Messenger: text ≤ 2000 characters; quick replies ≤ 13, title ≤ 20; a button template
  holds ≤ 3 postback buttons, title ≤ 20, text ≤ 640.
- WhatsApp Cloud API: text ≤ 4096; reply buttons ≤ 3, title ≤ 20, body ≤ 1024; a list
  message holds ≤ 10 rows, row title ≤ 24, row description ≤ 72, list button ≤ 20.
A payload is never shown to the person; a title too long is cut at a word and the full
label goes where the platform has room (a list row's description).
"""
from __future__ import annotations

import re
from typing import Any

MESSENGER_TEXT, MESSENGER_QUICK_REPLIES, MESSENGER_TITLE = 2000, 13, 20
MESSENGER_TEMPLATE_TEXT, MESSENGER_TEMPLATE_BUTTONS = 640, 3
WHATSAPP_TEXT, WHATSAPP_BODY, WHATSAPP_BUTTONS, WHATSAPP_BUTTON_TITLE = 4096, 1024, 3, 20
WHATSAPP_ROWS, WHATSAPP_ROW_TITLE, WHATSAPP_ROW_DESCRIPTION = 10, 24, 72
LIST_BUTTON_LABEL = "Voir les choix"


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
        "action": {"button": LIST_BUTTON_LABEL, "sections": [{"rows": rows}]}}}]


_LEADING_SLASH = re.compile(r"^\s*/+")


def typed_text(text: str | None) -> str:
    """What a person typed on WhatsApp or Messenger: a leading '/' is never an intent."""
    return _LEADING_SLASH.sub("", text or "")
