"""A SQL tracker store that keeps no user words before consent and forgets a refusal.

- Until the person accepts the notice (slot `consent` == "given"), user texts,
  entities and free-text slot values are written redacted: the dialogue state
  (intent names, actions) survives, the person's words do not.
- When the person refuses (slot `consent` == "refused"), every stored event of that
  conversation is deleted and nothing of it is written.
Works on SQLite (default) and PostgreSQL like Rasa's own SQLTrackerStore.
"""
from __future__ import annotations

import json
import logging
import re
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker

logger = logging.getLogger(__name__)
CONSENT_SLOT = "consent"
REDACTED = None
_CODE_VALUE = re.compile(r"^[a-z_]{1,32}$")


def redact_event(data: dict[str, Any]) -> dict[str, Any]:
    """The event as stored before consent: no user words, no entity values."""
    data = json.loads(json.dumps(data))  # deep copy of JSON-able data
    if data.get("event") == "user":
        data["text"] = REDACTED
        parse_data = data.get("parse_data") or {}
        parse_data["text"] = REDACTED
        parse_data["entities"] = []
        data["parse_data"] = parse_data
        data.pop("metadata", None)
    elif data.get("event") == "slot":
        value = data.get("value")
        if isinstance(value, str) and not _CODE_VALUE.match(value):
            data["value"] = REDACTED
    return data


class ConsentAwareSQLTrackerStore(SQLTrackerStore):
    async def save(self, tracker: DialogueStateTracker) -> None:
        consent = tracker.get_slot(CONSENT_SLOT)
        if consent == "refused":
            self.erase(tracker.sender_id)
            return
        await self.stream_events(tracker)
        with self.session_scope() as session:
            for event in self._additional_events(session, tracker):
                data = event.as_dict()
                if consent != "given":
                    data = redact_event(data)
                session.add(
                    self.SQLEvent(
                        sender_id=tracker.sender_id,
                        type_name=event.type_name,
                        timestamp=data.get("timestamp"),
                        intent_name=(data.get("parse_data") or {}).get("intent", {}).get("name"),
                        action_name=data.get("name"),
                        data=json.dumps(data),
                    )
                )
            session.commit()

    def erase(self, sender_id: str) -> int:
        """Delete every stored event of one conversation; returns how many rows went."""
        with self.session_scope() as session:
            deleted = session.query(self.SQLEvent).filter(self.SQLEvent.sender_id == sender_id).delete()
            session.commit()
        logger.info("Erased a conversation (%d events)", deleted)
        return deleted
