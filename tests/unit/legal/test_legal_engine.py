"""The triage engine and its reviewed rule table: every rule, every exemption, the boundaries."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import yaml

from bot.legal.engine import VERDICTS, default_table, evaluate, load_table, match
from bot.paths import ROOT

TODAY = dt.date(2026, 11, 22)
TABLE = default_table()
BASE = {"court_status": "none", "urgency": "not_urgent", "violence": False, "procedure": "ordinary",
        "cross_border": False, "harassment": False, "mediation_clause": False, "public_body_claimant": False,
        "other_party": "unknown"}


def facts(**values):
    return dict(BASE, **values)


NEIGHBOUR = dict(domain="neighbourhood", other_party="neighbour", exemption="none")
CONSUMER = dict(domain="consumer", other_party="professional", customer="me", exemption="none",
                written_complaint=True, complaint_age_days=30)
# A tradesman owed money by a private client (build_facts sets the claim from the customer).
TRADESMAN = dict(domain="consumer", other_party="private_person", customer="private_person",
                 claim_type="professional_claim", exemption="none")
PUBLIC = dict(domain="workplace", employer_sector="public")

# For each rule: facts that make it fire, the date, and the verdict the case then gets (YAML, so
# that whoever maintains the law adds a rule and its case without writing Python).
RULE_CASES = yaml.safe_load((ROOT / "tests" / "legal" / "rule_cases.yml").read_text(encoding="utf-8"))
CASES = {case["rule"]: (facts(**dict(RULE_CASES["base"], **case["facts"])), case["expect"])
         for case in RULE_CASES["cases"]}
CASE_DATES = {case["rule"]: case["date"] for case in RULE_CASES["cases"]}


def test_every_rule_of_the_table_has_a_case():
    assert set(CASES) == {rule.id for rule in TABLE.rules}
    assert len(RULE_CASES["cases"]) == len(CASES)  # one case per rule, none written twice


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_each_rule_fires_with_the_expected_verdict(rule_id):
    case, expected = CASES[rule_id]
    verdict = evaluate(case, CASE_DATES[rule_id])
    assert rule_id in verdict.rule_ids
    assert verdict.verdict == expected


def test_the_table_covers_the_rows_the_issue_lists():
    rows = {rule.row for rule in TABLE.rules}
    wanted = {f"G{i}" for i in range(1, 7)} | {f"V{i}" for i in range(1, 5)} | {f"F{i}" for i in range(1, 7)} \
        | {f"C{i}" for i in range(1, 7)} | {f"T{i}" for i in range(1, 5)} | {f"R{i}" for i in range(1, 5)} \
        | {f"P{i}" for i in range(1, 6)} | {"S5"}
    # F2 (violence in family cases) is its own rule; the S rows also feed the helplines.
    assert wanted <= rows


def test_every_rule_is_sourced_dated_and_rated():
    raw = yaml.safe_load(Path("bot/legal/rules.yml").read_text(encoding="utf-8"))
    for entry in raw["rules"]:
        for key in ("id", "row", "effect", "when", "basis", "version_date", "valid_from", "source", "confidence"):
            assert key in entry, (entry["id"], key)
        assert entry["source"].strip()
        assert entry["confidence"] in ("low", "medium", "high")


def test_the_row_ids_exist_in_the_reference_note():
    # docs/reference/legal-rules.md is the dated copy of the research note the rules come from.
    note = ROOT / "docs" / "reference" / "legal-rules.md"
    rows_in_note = set(re.findall(r"^\| ([GVFCTRPS]\d) \|", note.read_text(encoding="utf-8"), re.M))
    assert {rule.row for rule in TABLE.rules} <= rows_in_note


def test_helplines_are_exactly_those_of_the_note():
    assert {h.number for h in TABLE.helplines} == {"17", "112", "114", "15", "3919", "119", "3114"}


# -- boundaries ------------------------------------------------------------------------------

@pytest.mark.parametrize("amount, expected", [
    (5000.0, "mandatory"), (4999.99, "mandatory"), (5000.01, "not_mandatory"), (12000.0, "not_mandatory"),
])
def test_the_5000_euro_threshold(amount, expected):
    assert evaluate(facts(**NEIGHBOUR, claim_type="money", amount_eur=amount), TODAY).verdict == expected
    assert evaluate(facts(**CONSUMER, claim_type="purchase", amount_eur=amount), TODAY).verdict == expected


def test_an_unknown_amount_gives_unknown_and_names_the_missing_fact():
    verdict = evaluate(facts(**NEIGHBOUR, claim_type="money"), TODAY)
    assert verdict.verdict == "unknown" and verdict.missing == ["amount_eur"]


def test_the_amount_does_not_matter_for_a_nuisance():
    assert evaluate(facts(**NEIGHBOUR, claim_type="nuisance", amount_eur=90000.0), TODAY).verdict == "mandatory"
    assert evaluate(facts(**NEIGHBOUR, claim_type="nuisance"), TODAY).verdict == "mandatory"


def test_a_missing_claim_type_is_unknown_and_asked():
    verdict = evaluate(facts(domain="neighbourhood", other_party="neighbour"), TODAY)
    assert verdict.verdict == "unknown" and "claim_type" in verdict.open_facts


def test_exemptions_are_open_only_once_the_obligation_applies():
    mandatory = evaluate(facts(domain="neighbourhood", other_party="neighbour", claim_type="nuisance"), TODAY)
    assert mandatory.open_facts == ["exemption"]
    not_required = evaluate(facts(domain="family", claim_type="parental"), TODAY)
    assert "exemption" not in not_required.open_facts


def test_urgency_is_asked_only_when_the_person_said_it_was_urgent():
    calm = evaluate(facts(**NEIGHBOUR, claim_type="nuisance"), TODAY)
    urgent = evaluate(facts(**NEIGHBOUR, claim_type="nuisance", urgency="urgent"), TODAY)
    assert "urgent_measure" not in calm.open_facts and "urgent_measure" in urgent.open_facts


def test_exemptions_of_750_1_do_not_apply_to_other_regimes():
    verdict = evaluate(facts(domain="family", claim_type="partition", exemption="homologation"), TODAY)
    assert verdict.verdict == "mandatory" and verdict.deciding[0].id == "F4"


def test_violence_wins_over_everything_and_records_the_family_exemption():
    verdict = evaluate(facts(domain="family", claim_type="money", amount_eur=300.0, violence=True), TODAY)
    assert verdict.verdict == "exempt" and {"S5", "F2"} <= set(verdict.rule_ids)
    assert verdict.open_facts == []


def test_low_confidence_is_reported():
    assert evaluate(facts(**dict(NEIGHBOUR, other_party="local_authority"), claim_type="plantations"), TODAY).confidence == "low"
    assert evaluate(facts(**CONSUMER, claim_type="credit"), TODAY).confidence == "medium"
    assert evaluate(facts(**NEIGHBOUR, claim_type="plantations"), TODAY).confidence == "high"


def test_the_verdict_is_always_one_of_the_four_values():
    for case, _ in CASES.values():
        assert evaluate(case, TODAY).verdict in VERDICTS
    assert evaluate({}, TODAY).verdict in VERDICTS


def test_summary_keeps_ids_basis_dates_and_sources():
    summary = evaluate(facts(**NEIGHBOUR, claim_type="plantations"), TODAY).summary()
    assert summary["verdict"] == "mandatory" and summary["rules"][0] == "V2"
    assert summary["basis"][0]["version_date"] == "2023-05-11" and "kohenavocats" in summary["basis"][0]["source"]


# -- the engine itself ------------------------------------------------------------------------

def test_rules_apply_only_from_their_valid_from_date(tmp_path):
    raw = yaml.safe_load(Path("bot/legal/rules.yml").read_text(encoding="utf-8"))
    v3 = next(rule for rule in raw["rules"] if rule["id"] == "V3")
    v3["valid_from"] = "2030-01-01"
    path = tmp_path / "rules.yml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    table = load_table(path)
    case = facts(**NEIGHBOUR, claim_type="nuisance")
    assert evaluate(case, TODAY, table).verdict == "not_mandatory"
    assert evaluate(case, dt.date(2030, 1, 2), table).verdict == "mandatory"


def test_a_malformed_rule_is_refused(tmp_path):
    path = tmp_path / "rules.yml"
    path.write_text(yaml.safe_dump({"reviewed_on": "2026-11-22", "helplines": [], "rules": [
        {"id": "X", "row": "X", "effect": "requires", "when": {"amount_eur": {"about": 3}}, "basis": "b",
         "source": "s", "confidence": "high"}]}), encoding="utf-8")
    with pytest.raises(ValueError):
        load_table(path)


@pytest.mark.parametrize("when, facts_, expected", [
    ({"a": 1}, {"a": 1}, True),
    ({"a": [1, 2]}, {"a": 3}, False),
    ({"a": {"le": 5}}, {"a": 5.0}, True),
    ({"a": {"gt": 5}}, {"a": True}, False),  # booleans are not numbers
    ({"a": 1, "b": 2}, {"a": 1}, {"b"}),
    ({"a": 1, "b": 2}, {"a": 0}, False),  # a failed condition decides, whatever is missing
])
def test_match(when, facts_, expected):
    assert match(when, facts_) == expected


# -- issue 15 §4: links, lead notes, errata ------------------------------------------------------

def test_a_link_outside_legifrance_or_service_public_is_refused(tmp_path):
    path = tmp_path / "rules.yml"
    path.write_text(yaml.safe_dump({"reviewed_on": "2026-12-03", "helplines": [], "rules": [
        {"id": "X", "row": "G1", "effect": "requires", "when": {}, "basis": "b", "source": "s", "confidence": "high",
         "link": "https://www.example.org/750-1"}]}), encoding="utf-8")
    with pytest.raises(ValueError):
        load_table(path)


def test_the_notes_that_answer_the_persons_question_are_marked_lead():
    assert {rule.id for rule in TABLE.rules if rule.lead} == {"C3-clause", "C5-pro-route", "T4"}


def test_the_errata_rows_no_longer_say_no_source_found():
    for rule_id in ("G4", "F4"):
        assert "aucune source" not in TABLE.by_id(rule_id).source
    assert TABLE.by_id("G4").confidence == "medium" and "2019-222" in TABLE.by_id("G4").basis
    assert TABLE.by_id("T2-education").confidence == "high"
    assert "decision_mentions_mediation" not in TABLE.by_id("T2-education").when


def test_a_tradesman_is_never_given_the_consumer_rules():
    tradesman = evaluate(facts(**TRADESMAN, amount_eur=1200.0, cross_border=True, mediation_clause=True), TODAY)
    assert not {"C1", "C2-no-complaint", "C3", "C3-clause", "C4", "C5", "C6", "G2-route"} & set(tradesman.rule_ids)
    assert {"C5-pro", "C5-pro-route", "C2-pro"} <= set(tradesman.rule_ids)
    consumer = evaluate(facts(**CONSUMER, claim_type="purchase", amount_eur=1200.0), TODAY)
    assert not {"C5-pro", "C5-pro-route", "C2-pro"} & set(consumer.rule_ids)


def test_an_unknown_customer_is_an_open_question_in_the_consumer_domain():
    verdict = evaluate(facts(domain="consumer", other_party="private_person", amount_eur=500.0, exemption="none"),
                       TODAY)
    assert verdict.verdict == "unknown" and "customer" in verdict.open_facts


def test_notes_for_the_administrative_court_or_the_tj_fit_the_court():
    commune = evaluate(facts(**dict(NEIGHBOUR, other_party="local_authority"), claim_type="money", amount_eur=900.0),
                       TODAY)
    assert commune.verdict == "not_mandatory" and not {"G2-route", "P2", "P3"} & set(commune.rule_ids)
    debtor = evaluate(facts(**CONSUMER, claim_type="debt_claimed", amount_eur=900.0), TODAY)
    assert "G2-route" not in debtor.rule_ids
