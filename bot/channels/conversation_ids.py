"""Conversation id prefixes, one per channel that derives the id from a verified identity
(a server-signed token, a JWT, a platform's signed webhook). Kept in one place so the
REST channel, whose caller chooses its own sender, refuses exactly these."""
from __future__ import annotations

import unicodedata

WIDGET = "widget-"
APP = "app-"
MESSENGER = "messenger-"
WHATSAPP = "whatsapp-"
TWILIO = "twilio-"
VERIFIED = (WIDGET, APP, MESSENGER, WHATSAPP, TWILIO)

MAX_CHARS = 128
# Control (NUL, line breaks…), format (bidi overrides), surrogate, private-use, unassigned
# characters and line/paragraph separators: a database driver cannot bind a lone surrogate
# (UnicodeEncodeError) and PostgreSQL refuses NUL, and none belongs in an identifier.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def valid(conversation_id: object) -> bool:
    """A conversation id a client may give: text of 1 to MAX_CHARS characters, not blank,
    with no control, invisible or unencodable character."""
    return (isinstance(conversation_id, str) and 0 < len(conversation_id) <= MAX_CHARS
            and bool(conversation_id.strip())
            and not any(unicodedata.category(char) in _REFUSED_CATEGORIES for char in conversation_id))
