"""Intents that are never an answer to a form question.

A message of one of these intents always reaches its own rule, whatever question is pending:
danger gets the numbers, erasure its confirmation, « stop » the goodbye, a person the contacts,
a question its answer. domain.yml writes the same list once (anchor `never_a_slot_value`) and
every slot mapping refers to it; tests/test_domain_contract.py keeps the two equal and checks
that every form of the domain has a rule for each of these intents.
"""
from __future__ import annotations

SAFETY_INTENT = "safety_alert"

NEVER_A_SLOT_VALUE: tuple[str, ...] = (
    SAFETY_INTENT,
    "erase_data",
    "stop",
    "ask_human",
    "start_over",
    "ask_what_is_mediation",
    "ask_cost",
    "ask_confidentiality",
)

# In the booking form « annuler » also stops the booking (nothing is booked yet).
NEVER_A_SLOT_VALUE_IN_BOOKING: tuple[str, ...] = NEVER_A_SLOT_VALUE + ("cancel_booking",)
