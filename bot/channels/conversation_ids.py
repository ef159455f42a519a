"""Conversation id prefixes, one per channel that derives the id from a verified identity
(a server-signed token, a JWT, a platform's signed webhook). Kept in one place so the
REST channel, whose caller chooses its own sender, refuses exactly these."""
from __future__ import annotations

WIDGET = "widget-"
APP = "app-"
MESSENGER = "messenger-"
WHATSAPP = "whatsapp-"
TWILIO = "twilio-"
VERIFIED = (WIDGET, APP, MESSENGER, WHATSAPP, TWILIO)
