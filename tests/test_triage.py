"""Triage glue: facts from the intake, answers in the person's words, questions asked only when
they change the outcome, and the French verdict text."""
from __future__ import annotations

import datetime as dt

import pytest

from bot import content
from bot.complaint import complaint_draft
from bot.legal.facts import build_facts, infer_claim_type, infer_from_text, parse_answer, parse_past_date
from bot.outcomes import ADVERSITY, OTHERNESS, acknowledgement, explanation, parse_aim
from bot.routes import routes_message
from bot.triage import allowed_codes, case_verdict, from_code, next_question, verdict_messages

TODAY = dt.date(2026, 11, 22)
NEIGHBOUR = {"situation_domain": "neighbourhood", "other_party": "neighbour", "amount_eur": 0.0,
             "court_status": "none", "urgency": "not_urgent"}
CONSUMER = {"situation_domain": "consumer", "other_party": "professional", "amount_eur": 300.0,
            "court_status": "none", "urgency": "not_urgent"}


@pytest.mark.parametrize("text, domain, claim", [
    ("Mon voisin a une haie de thuyas de 4 mètres", "neighbourhood", "plantations"),
    ("le chien du voisin aboie toute la nuit", "neighbourhood", "nuisance"),
    ("on n'est pas d'accord sur la limite entre nos terrains, il faut un géomètre", "neighbourhood", "boundary"),
    ("mon ex ne respecte pas le droit de visite", "family", "parental"),
    ("la succession de ma mère bloque avec mon frère", "family", "partition"),
    ("mon crédit à la consommation a des frais cachés", "consumer", "credit"),
    ("la mairie me refuse le RSA", "territorial", "rsa"),
    ("un parc éolien va être construit à 500 m", "territorial", "project"),
])
def test_claim_type_inferred_from_plain_words(text, domain, claim):
    assert infer_claim_type(text, domain) == claim


def test_an_ambiguous_description_is_not_guessed():
    assert infer_claim_type("le voisin fait du bruit et sa haie est trop haute", "neighbourhood") is None
    assert infer_claim_type("", "family") is None and infer_claim_type("haie", "workplace") is None


def test_procedure_cross_border_and_harassment_cues():
    assert infer_from_text("j'ai reçu une injonction de payer", "consumer")["procedure"] == "injonction_de_payer"
    assert infer_from_text("commande sur un site allemand", "consumer")["cross_border"] is True
    assert infer_from_text("harcèlement de mon chef", "workplace")["harassment"] is True


@pytest.mark.parametrize("question, text, domain, expected", [
    ("claim_type", "parental", "family", "parental"),  # button code
    ("claim_type", "une haie trop haute", "neighbourhood", "plantations"),
    ("claim_type", "autre chose", "family", "other"),
    ("claim_type", "je ne sais pas", "family", "unknown"),
    ("employer_sector", "c'est une mairie", None, "public"),
    ("employer_sector", "une entreprise privée", None, "private"),
    ("public_employer_kind", "je suis prof dans un collège", None, "state_education"),
    ("public_employer_kind", "la communauté de communes", None, "territorial"),
    ("decision_category", "un refus de disponibilité", None, "leave"),
    ("decision_category", "une sanction disciplinaire", None, "other"),
    ("decision_category", "ma prime n'a pas été versée", None, "pay"),
    ("france_travail_decision", "on m'a radié", None, "radiation"),
    ("france_travail_decision", "un trop-perçu à rembourser", None, "overpayment"),
    ("france_travail_decision", "le montant de mon ARE", None, "benefit_amount"),
    ("exemption", "aucune", None, "none"),
    ("exemption", "on a déjà un accord, il faut juste l'homologuer", None, "homologation"),
    ("exemption", "le conciliateur ne peut pas me recevoir avant 4 mois, plus de trois mois", None, "conciliator_delay"),
    ("exemption", "j'ai déjà tenté les petites créances", None, "small_claims_failed"),
    ("written_complaint", "oui", None, True),
    ("written_complaint", "non pas encore", None, False),
    ("cdg_convention", "aucune idée", None, "unknown"),
    ("complaint_date", "le 3 mars 2026", None, "2026-03-03"),
    ("complaint_date", "il y a 14 mois", None, "2025-09-22"),
    ("complaint_date", "demain", None, None),  # never in the future
    ("claim_type", "bla bla", "family", None),
])
def test_answers_in_the_persons_words(question, text, domain, expected):
    assert parse_answer(question, text, domain, TODAY) == expected


def test_a_date_in_the_future_or_nonsense_is_not_a_date():
    assert parse_past_date("n'importe quoi", TODAY) is None
    assert parse_past_date("", TODAY) is None


def test_button_codes_and_yes_no():
    assert "plantations" in allowed_codes("claim_type", "neighbourhood")
    assert from_code("written_complaint", "yes") is True and from_code("exemption", "none") == "none"


def test_facts_from_the_intake_with_defaults_and_dont_knows():
    built = build_facts({"situation_domain": "workplace", "other_party": "employer_public", "court_status": "unknown",
                         "safety_categories": ["suicide"]}, {"decision_category": "unknown"}, today=TODAY)
    assert built["employer_sector"] == "public" and built["court_status"] == "none"
    assert built["violence"] is False and "decision_category" not in built
    with_violence = build_facts({"safety_categories": ["domestic"]}, {}, today=TODAY)
    assert with_violence["violence"] is True


def test_complaint_age_and_deadline():
    built = build_facts(CONSUMER, {"complaint_date": "2026-01-10"}, today=TODAY)
    assert built["complaint_age_days"] == 316 and built["complaint_deadline"] == "2027-01-10"


# -- only the questions that change the verdict ------------------------------------------------

def test_a_nuisance_asks_only_the_exemptions():
    assert next_question(NEIGHBOUR, {}, "le voisin fait du bruit toute la nuit", TODAY) == "exemption"
    assert next_question(NEIGHBOUR, {"exemption": "none"}, "le voisin fait du bruit toute la nuit", TODAY) is None


def test_a_family_custody_case_asks_nothing_once_the_claim_is_known():
    family = {"situation_domain": "family", "other_party": "ex_partner", "court_status": "none"}
    assert next_question(family, {}, "la garde des enfants", TODAY) is None
    assert next_question(family, {}, None, TODAY) == "claim_type"


def test_consumer_questions_in_order_then_the_draft():
    description = "mon téléviseur acheté en magasin est en panne"
    assert next_question(CONSUMER, {}, description, TODAY) == "exemption"
    assert next_question(CONSUMER, {"exemption": "none"}, description, TODAY) == "written_complaint"
    answered = {"exemption": "none", "written_complaint": False}
    assert next_question(CONSUMER, answered, description, TODAY) == "complaint_draft"
    assert next_question(CONSUMER, dict(answered, complaint_draft=True), description, TODAY) is None
    assert next_question(CONSUMER, {"exemption": "none", "written_complaint": True}, description, TODAY) == "complaint_date"


def test_a_public_agent_is_asked_step_by_step_and_a_dont_know_stops_the_questions():
    agent = {"situation_domain": "workplace", "other_party": "employer_public", "court_status": "none"}
    asked = []
    answers: dict = {}
    replies = {"public_employer_kind": "territorial", "decision_category": "leave", "cdg_convention": "unknown"}
    while (question := next_question(agent, answers, None, TODAY)) is not None:
        asked.append(question)
        answers[question] = replies[question]
    assert asked == ["public_employer_kind", "decision_category", "cdg_convention"]
    verdict, _ = case_verdict(agent, answers, None, TODAY)
    assert verdict.verdict == "unknown" and verdict.missing == ["cdg_convention"]


def test_violence_asks_nothing():
    assert next_question(dict(NEIGHBOUR, safety_categories=["violence"]), {}, None, TODAY) is None


# -- what the person reads ------------------------------------------------------------------

def test_the_verdict_text_has_the_answer_the_basis_with_its_date_and_the_disclaimer():
    verdict, built = case_verdict(NEIGHBOUR, {"exemption": "none"}, "haie de thuyas trop haute", TODAY)
    messages = verdict_messages(verdict, built)
    assert messages[0].startswith(content.VERDICT_HEADLINES["mandatory"])
    assert "R. 211-3-8" in messages[1] and "version du 11 mai 2023" in messages[1]
    assert "pas un conseil juridique" in messages[1]


def test_a_low_confidence_rule_says_so_and_points_to_a_professional():
    commune = dict(NEIGHBOUR, other_party="local_authority", amount_eur=3000.0)
    verdict, built = case_verdict(commune, {}, "les branches des arbres de la commune dépassent chez moi", TODAY)
    text = "\n".join(verdict_messages(verdict, built))
    assert verdict.confidence == "low"
    assert "source peu sûre" in text and "à vérifier" in text and "professionnel" in text


def test_a_medium_confidence_rule_keeps_the_words_a_verifier():
    verdict, built = case_verdict(CONSUMER, {}, "mon crédit à la consommation", TODAY)
    basis = verdict_messages(verdict, built)[1]
    assert verdict.confidence == "medium" and "(information à vérifier)" in basis and "à vérifier sur Légifrance" in basis


def test_an_unknown_verdict_explains_what_is_missing():
    verdict, built = case_verdict(dict(NEIGHBOUR, amount_eur=None), {"claim_type": "money"}, None, TODAY)
    text = verdict_messages(verdict, built)[0]
    assert content.VERDICT_HEADLINES["unknown"] in text and "5 000 €" in text


def test_the_complaint_deadline_is_a_french_date():
    verdict, built = case_verdict(CONSUMER, {"exemption": "none", "written_complaint": True,
                                             "complaint_date": "2026-03-03"}, "achat en panne", TODAY)
    assert "3 mars 2027" in "\n".join(verdict_messages(verdict, built))


def test_an_assumed_court_status_is_said():
    verdict, built = case_verdict(NEIGHBOUR, {"exemption": "none"}, "haie", TODAY)
    assert content.VERDICT_ASSUMED_NO_CASE in verdict_messages(verdict, built, court_assumed=True)[-1]


def test_complaint_draft_is_filled_with_what_was_said():
    draft = complaint_draft({"situation_description": "Mon lave-linge acheté le 2 mai ne marche plus.",
                             "amount_eur": 450.0}, TODAY)
    assert "Mon lave-linge acheté le 2 mai ne marche plus." in draft and "450 €" in draft
    assert "22 novembre 2026" in draft and "[Vos nom et prénom]" in draft and "L. 612-1" in draft
    assert "[décrivez les faits" in complaint_draft({}, TODAY)


# -- outcomes and routes ---------------------------------------------------------------------

@pytest.mark.parametrize("domain", ["family", "neighbourhood", "consumer", "workplace", "territorial", "other", None])
def test_the_six_outcomes_are_explained_in_the_persons_domain(domain):
    text = explanation(domain)
    for code in ADVERSITY + OTHERNESS:
        assert content.OUTCOME_NAMES[code].capitalize() in text
    if domain == "neighbourhood":
        assert "haie" in text
    if domain == "family":
        assert "coparentalité" in text


@pytest.mark.parametrize("text, aim", [
    ("resumption", "resumption"), ("renouer le dialogue", "resumption"), ("un aménagement", "rearrangement"),
    ("une rupture consensuelle", "consensual_breakup"), ("je ne sais pas encore", "undecided"),
    ("je veux qu'il cède", "domination"), ("laisser tomber", "abandonment"), ("??", None),
])
def test_the_aim_in_the_persons_words(text, aim):
    assert parse_aim(text) == aim


def test_acknowledgement_never_judges_the_choice():
    for code in content.OUTCOME_CODES:
        text = acknowledgement(code)
        assert "sans rien vous imposer" in text


def test_routes_show_costs_and_the_domain_specific_free_options():
    consumer = routes_message({"situation_domain": "consumer"}, ["consumer_mediator"])
    assert "gratuit" in consumer and "Médiateur de la consommation" in consumer
    assert "Aide juridictionnelle" in consumer and "Protection juridique" in consumer
    family = routes_message({"situation_domain": "family"}, [])
    assert "CAF" in family


def test_with_a_safety_risk_no_mediation_route_is_offered():
    text = routes_message({"situation_domain": "family", "safety_risk": True}, ["family_mediation"])
    assert "médiat" not in text.lower() or "sans médiation" in text
    assert "plainte" in text


def test_a_prior_administrative_appeal_is_not_called_an_amicable_step():
    rsa = {"situation_domain": "territorial", "other_party": "local_authority", "court_status": "none"}
    verdict, built = case_verdict(rsa, {}, "le département a suspendu mon RSA", TODAY)
    first = verdict_messages(verdict, built)[0]
    assert verdict.verdict == "mandatory" and first.startswith(content.VERDICT_HEADLINE_RAPO)
    assert "ce n'est pas une médiation" in first
