"""The vocabulary: every code a slot can hold, and the intents that are never a slot value.

Defined once here and imported everywhere (the parsers, the forms, the agenda, the content's
labels); the person who adds a sixth domain or a new mode changes this file, and the tests
(tests/unit/test_codes.py) say which label or pattern is then missing.

A message of one of the NEVER_A_SLOT_VALUE intents always reaches its own rule, whatever question
is pending: danger gets the numbers, erasure its confirmation, « stop » the goodbye, a person the
contacts, a question its answer. domain.yml writes the same list once (anchor `never_a_slot_value`)
and every slot mapping refers to it; tests/unit/test_domain_contract.py keeps the two equal and checks
that every form of the domain has a rule for each of these intents.
"""
from __future__ import annotations

# The person does not know (any closed question).
UNKNOWN = "unknown"

# situation_domain: the five domains of mediation, and a situation none of them fits.
DOMAINS: tuple[str, ...] = ("family", "neighbourhood", "consumer", "workplace", "territorial")
OTHER = "other"
DOMAIN_CODES: tuple[str, ...] = DOMAINS + (OTHER,)

# mode: how the meeting takes place, or no preference.
MODES: tuple[str, ...] = ("phone", "video", "in_person")
NO_PREFERENCE = "no_preference"
MODE_CODES: tuple[str, ...] = MODES + (NO_PREFERENCE,)

# other_party: who the conflict is with. The order is the parsers' order of matching
# (bot/language/answers.py): « ancien employeur public » must match before « employeur ».
OTHER_PARTY_CODES: tuple[str, ...] = (
    "france_travail", "employer_public", "employer_private", "colleague", "ex_partner", "relative", "landlord",
    "co_owner", "neighbour", "local_authority", "public_body", "professional", "private_person", OTHER,
)

# relationship (an ongoing relationship with the other party), urgency and court_status.
RELATIONSHIP_CODES: tuple[str, ...] = ("yes", "no")
URGENCY_CODES: tuple[str, ...] = ("urgent", "soon", "not_urgent")
COURT_CODES: tuple[str, ...] = ("none", "pending", "decision")

# outcome_aim: the outcomes of a conflict (médiation professionnelle), adversity against otherness.
ADVERSITY: tuple[str, ...] = ("abandonment", "domination", "resignation")
OTHERNESS: tuple[str, ...] = ("resumption", "rearrangement", "consensual_breakup")
UNDECIDED = "undecided"
OUTCOME_CODES: tuple[str, ...] = OTHERNESS + ADVERSITY + (UNDECIDED,)

# Intents that are never an answer to a form question.
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
    # « annuler mon rendez-vous »: in the booking form it stops the booking (nothing is booked
    # yet); in the other forms it gets its answer and the question is asked again.
    "cancel_booking",
)

# Keys the NLU plug-ins add to a parsed message, read by the actions.
UNSURE_STOP_KEY = "unsure_stop"  # a « stop » the model was not sure of (bot/rasa_plugins/nlu_stop.py)
