"""A ready-to-send written complaint to the professional (C. consom. L. 612-2, 1°),
filled with what the person told us; what we do not know stays in [brackets]."""
from __future__ import annotations

import datetime as dt
from typing import Any, Mapping

from bot import content

_MAX_DESCRIPTION = 600


def complaint_draft(slots: Mapping[str, Any], today: dt.date | None = None) -> str:
    today = today or dt.date.today()
    description = " ".join((slots.get("situation_description") or "").split())[:_MAX_DESCRIPTION]
    facts = content.COMPLAINT_FACTS.format(description=description) if description else content.COMPLAINT_FACTS_EMPTY
    amount = slots.get("amount_eur")
    if isinstance(amount, (int, float)) and not isinstance(amount, bool) and amount > 0:
        request = content.COMPLAINT_REQUEST_AMOUNT.format(amount=content.euros(float(amount)))
    else:
        request = content.COMPLAINT_REQUEST
    return content.COMPLAINT_TEMPLATE.format(
        today=content.french_date(today), reference=content.COMPLAINT_REFERENCE, facts=facts, request=request)
