"""The promises made "in every state" hold by construction of the domain, not by memory.

Derived from domain.yml and data/rules, so that a new slot or a new form is checked without
anyone adding it here: no form answer is ever taken from a message of danger, erasure, stop,
a request for a person or a question, and every form has a rule for each of those intents.
"""
from __future__ import annotations


import pytest
import yaml

from bot.codes import NEVER_A_SLOT_VALUE

from bot.paths import ROOT
DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
RULES = [rule for path in sorted((ROOT / "data" / "rules").glob("*.yml"))
         for rule in yaml.safe_load(path.read_text(encoding="utf-8")).get("rules") or []]
FORMS = sorted(DOMAIN["forms"])


def _form_mappings():
    """(slot, form, mapping) for every mapping that reads what the person says."""
    for slot, spec in DOMAIN["slots"].items():
        for mapping in spec.get("mappings") or []:
            if mapping["type"] == "custom":
                continue
            forms = {c.get("active_loop") for c in mapping.get("conditions") or []}
            yield slot, forms, mapping


def test_the_domain_writes_the_same_list_as_the_code():
    lists = {tuple(mapping["not_intent"]) for _, _, mapping in _form_mappings() if mapping["type"] == "from_text"}
    assert lists == {NEVER_A_SLOT_VALUE}


@pytest.mark.parametrize("slot, forms, mapping", list(_form_mappings()), ids=lambda v: v if isinstance(v, str) else "")
def test_no_answer_is_ever_taken_from_danger_erase_stop_or_a_question(slot, forms, mapping):
    assert forms and None not in forms, f"{slot}: a mapping without an active_loop condition fills it on every message"
    never = set(NEVER_A_SLOT_VALUE)
    if mapping["type"] == "from_text":
        assert never <= set(mapping.get("not_intent") or []), f"{slot} can be filled by {never - set(mapping.get('not_intent') or [])}"
    else:
        intents = mapping.get("intent") or []
        intents = {intents} if isinstance(intents, str) else set(intents)
        assert not intents & never, f"{slot} is filled by {intents & never}"


def _first_intents(rule: dict) -> set[str]:
    step = (rule.get("steps") or [{}])[0]
    if "intent" in step:
        return {step["intent"]}
    return {alternative["intent"] for alternative in step.get("or") or [] if "intent" in alternative}


def _handled_in(form: str | None) -> set[str]:
    handled = set()
    for rule in RULES:
        loops = [c["active_loop"] for c in rule.get("condition") or [] if "active_loop" in c]
        if loops == [form] or (form is None and loops == [None]):
            handled |= _first_intents(rule)
    return handled


@pytest.mark.parametrize("form", FORMS)
def test_every_form_has_a_rule_for_each_intent_it_never_takes_as_an_answer(form):
    never = set(NEVER_A_SLOT_VALUE)
    missing = never - _handled_in(form)
    assert not missing, f"{form}: no rule for {sorted(missing)}"


def test_outside_forms_danger_erase_stop_and_a_person_have_their_rules():
    missing = {"safety_alert", "erase_data", "stop", "ask_human", "start_over"} - _handled_in(None)
    assert not missing


def test_danger_has_a_rule_whatever_the_consent():
    consent_states = set()
    for rule in RULES:
        if _first_intents(rule) == {"safety_alert"} and any(c.get("active_loop", "x") is None for c in rule.get("condition") or []):
            for condition in rule["condition"]:
                for slot in condition.get("slot_was_set") or []:
                    consent_states |= {slot["consent"]} if "consent" in slot else set()
    assert consent_states == {None, "given", "refused"}
