"""Triage glue: facts from the intake, answers in the person's words, questions asked only when
they change the outcome, and the French verdict text."""
from __future__ import annotations

import datetime as dt
import random
import re

import pytest
import yaml

from bot import content
from bot.codes import OUTCOME_CODES
from bot.language.amounts import parse_amount
from bot.language.answers import parse_court_status, parse_other_party, parse_urgency
from bot.orientation.complaint import complaint_draft
from bot.legal.engine import default_table, evaluate
from bot.legal.facts import (CHOICES, CLAIM_TYPES, build_facts, infer_claim_type, infer_customer, infer_from_text,
                             parse_answer, parse_past_date)
from bot.orientation.outcomes import ADVERSITY, OTHERNESS, acknowledgement, explanation, parse_aim
from bot.orientation.routes import routes_message
from bot.safety.screen import screen
from bot.orientation.triage import allowed_codes, case_verdict, from_code, next_question, verdict_messages
from bot.paths import ROOT

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
    for code in OUTCOME_CODES:
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


# -- legal answers a person can trust (issue 15 §4) ------------------------------------------

NOTE = ROOT / "docs" / "reference" / "legal-rules.md"
_URL = re.compile(r"https://\S+")
_RULE_ID = re.compile(r"(?<![\w.-])[GVFCTRPS]\d(?:-[\w-]+)?(?!\w)")
_INTERNAL_WORDS = ("legal-rules", ".md", ".yml", "aucune source", "source :", "source trouvée", "sources :",
                   "legiarti", "errata", "connaissance générale", "pas de source")


_ANY_RULE_ID = re.compile("|".join(rf"(?<![\w-]){re.escape(rule.id)}(?![\w-])"
                                    for rule in sorted(default_table().rules, key=lambda r: -len(r.id))))


def internal_names(text: str) -> set[str]:
    """Rule ids, file names or research wording that must never reach the person."""
    plain = _URL.sub("", text)
    found = set(_RULE_ID.findall(plain)) | set(_ANY_RULE_ID.findall(plain))
    found |= {word for word in _INTERNAL_WORDS if word in plain.lower()}
    return found


def _all_claims() -> list:
    return sorted({claim for claims in CLAIM_TYPES.values() for claim in claims} | {"professional_claim", "b2b"}) + [None]


_VALUES = {
    "domain": ["family", "neighbourhood", "consumer", "workplace", "territorial", "other", None],
    "claim_type": _all_claims(),
    "other_party": ["neighbour", "local_authority", "public_body", "professional", "private_person", "ex_partner",
                    "employer_private", "employer_public", "france_travail", "unknown"],
    "amount_eur": [None, 0.0, 300.0, 5000.0, 5000.01, 15000.0],
    "court_status": ["none", "pending", "decision"],
    "urgency": ["not_urgent", "urgent"],
    "urgent_measure": [None, True, False],
    "violence": [False, False, False, True],
    "procedure": ["ordinary", "injonction_de_payer", "refere"],
    "cross_border": [False, True],
    "harassment": [False, True],
    "mediation_clause": [False, True],
    "public_body_claimant": [False, True],
    "customer": ["me", "private_person", "business", "not_applicable", None],
    "written_complaint": [None, True, False],
    "complaint_age_days": [None, 30, 420],
    **{fact: list(codes) + [None] for fact, codes in CHOICES.items() if fact != "customer"},
    "cdg_convention": [None, True, False],
}


def _walk(count: int = 1500):
    """Every case of the rule table, then a seeded random walk over every fact and value."""
    from tests.unit.legal.test_legal_engine import CASES
    cases = [dict(case) for case, _ in CASES.values()]
    rng = random.Random(15)
    for _ in range(count):
        cases.append({fact: rng.choice(values) for fact, values in _VALUES.items()})
    for case in cases:
        case = {fact: value for fact, value in case.items() if value is not None}
        case.setdefault("complaint_deadline", "2027-10-23")
        verdict = evaluate(case, TODAY)
        yield verdict, verdict_messages(verdict, case, court_assumed=True)


def test_no_internal_id_file_or_source_wording_ever_reaches_the_person():
    shown: dict[str, list[str]] = {}
    for verdict, messages in _walk():
        shown.setdefault("\n".join(messages), verdict.rule_ids)
    for text, rule_ids in shown.items():
        assert not internal_names(text), (rule_ids, internal_names(text), text)
    # The walk reaches every text of the table: each rule's text and each decisive basis.
    everything = "\n".join(shown)
    for rule in default_table().rules:
        if rule.text and rule.row != "P5":
            assert rule.text.split("{")[0][:60] in everything, rule.id
        if rule.effect in ("requires", "excludes", "exempts", "safety"):
            assert rule.basis in everything, rule.id


def test_every_text_a_rule_can_show_is_clean_and_every_template_too():
    for rule in default_table().rules:
        for field in (rule.text, rule.deadline or "", rule.basis):
            assert not internal_names(field), (rule.id, field)
    for name in ("VERDICT_HEADLINES", "MISSING_FACTS", "MODE_NAMES", "VERDICT_CAVEATS", "ROUTES"):
        for value in getattr(content, name).values():
            assert not internal_names(value), (name, value)
    for template in (content.VERDICT_BASIS_LINE, content.VERDICT_BASIS_LINE_UNDATED, content.VERDICT_DISCLAIMER):
        assert "rule_id" not in template and "source" not in template


def test_the_basis_cites_the_text_its_date_and_the_official_link_never_the_rule():
    verdict, built = case_verdict(NEIGHBOUR, {"exemption": "none"}, "haie de thuyas trop haute", TODAY)
    basis = verdict_messages(verdict, built)[1]
    assert "COJ art. R. 211-3-8" in basis and "version du 11 mai 2023" in basis
    assert "Texte officiel : https://www.legifrance.gouv.fr/codes/article_lc/LEGIARTI000039501708" in basis
    assert "(V2)" not in basis and "Source" not in basis and "kohenavocats" not in basis


def test_links_go_only_to_official_texts_whose_identifier_is_in_the_note():
    note = NOTE.read_text(encoding="utf-8")
    links = {rule.link for rule in default_table().rules if rule.link}
    assert links, "at least CPC art. 750-1 is linked"
    for link in links:
        assert link.startswith(("https://www.legifrance.gouv.fr/codes/article_lc/LEGIARTI",
                                "https://www.service-public.fr/particuliers/vosdroits/F"))
        assert link.rstrip("/").rsplit("/", 1)[-1] in note, link


def _to_know(messages: list[str]) -> list[str]:
    block = next(message for message in messages if message.startswith(content.VERDICT_TO_KNOW))
    return [line[2:] for line in block.splitlines()[1:]]


def test_the_answer_to_a_question_about_a_mediation_clause_comes_first_and_is_never_cut():
    description = ("J'ai acheté une cuisine à 3 000 € ; le contrat prévoit une clause de médiation obligatoire "
                   "avant tout procès. Est-ce que cette clause m'oblige ?")
    answers = {"claim_type": "purchase", "exemption": "none", "written_complaint": False, "complaint_draft": False}
    verdict, built = case_verdict(dict(CONSUMER, amount_eur=3000.0), answers, description, TODAY)
    notes = _to_know(verdict_messages(verdict, built, court_assumed=True))
    assert "L. 612-4" in notes[0] and "ne vous est pas opposable" in notes[0] and "750-1" in notes[0]
    assert len(notes) > 4  # the admissibility note, the deadlines and other notes follow


def test_a_clause_question_is_read_from_the_description():
    assert infer_from_text("la clause du contrat m'impose une médiation avant le juge", "consumer")["mediation_clause"]
    assert "mediation_clause" not in infer_from_text("mon aspirateur est en panne", "consumer")


def _text(slots, answers, description):
    verdict, built = case_verdict(slots, answers, description, TODAY)
    return verdict, "\n".join(verdict_messages(verdict, built, court_assumed=True))


def test_a_private_employee_never_reads_about_the_administrative_court_nor_a_public_agent_about_prudhommes():
    private = {"situation_domain": "workplace", "other_party": "employer_private", "court_status": "none"}
    _, text = _text(private, {}, "mon employeur ne me paie pas mes heures supplémentaires")
    assert "prud'hommes" in text and "tribunal administratif" not in text
    public = {"situation_domain": "workplace", "other_party": "employer_public", "court_status": "none"}
    _, text = _text(public, {"public_employer_kind": "hospital", "decision_category": "pay"}, "ma prime à l'hôpital")
    assert "tribunal administratif" in text and "prud'hommes" not in text


def test_an_rsa_case_has_no_parking_note_and_a_parking_fine_no_rsa_note():
    slots = {"situation_domain": "territorial", "other_party": "local_authority", "court_status": "none"}
    verdict, text = _text(slots, {}, "le département a suspendu mon RSA")
    assert verdict.verdict == "mandatory" and "stationnement" not in text and "conseil départemental" in text
    verdict, text = _text(slots, {}, "je conteste un forfait post-stationnement")
    assert verdict.verdict == "mandatory" and "RSA" not in text and "avis de paiement" in text


def test_two_local_authorities_get_no_defenseur_des_droits_nor_resident_routes():
    slots = {"situation_domain": "territorial", "other_party": "local_authority", "court_status": "none",
             "situation_description": "Un conflit entre notre commune et la communauté de communes sur la voirie."}
    verdict, text = _text(slots, {"claim_type": "decision"}, slots["situation_description"])
    assert verdict.verdict == "not_mandatory" and "médiation administrative" in text.lower()
    routes = routes_message(dict(slots, triage_answers={"claim_type": "decision"}), verdict.modes)
    assert "Défenseur des droits" not in text + routes and "Aide juridictionnelle" not in routes
    assert "Médiation administrative" in routes
    resident = dict(slots, situation_description="La mairie a refusé mon inscription à la cantine.")
    assert "Défenseur des droits" in routes_message(resident, ["territorial_mediator"])


def test_a_consumer_who_owes_nothing_gets_no_injonction_de_payer_advice():
    claimed = dict(CONSUMER, amount_eur=160.0)
    verdict, text = _text(claimed, {"claim_type": "debt_claimed", "exemption": "none", "written_complaint": True,
                                    "complaint_date": "2026-11-01"},
                          "mon opérateur me réclame des factures alors que j'ai résilié, je ne dois rien")
    assert verdict.deciding[0].id == "C5" and "Autre voie possible pour une somme due" not in text
    # Nor a consumer asking a refund: the injonction de payer is a creditor's route between private
    # persons (and the tradesman's usual one), not a consumer's advice.
    refund, text = _text(CONSUMER, {"exemption": "none", "written_complaint": True, "complaint_date": "2026-11-01"},
                         "mon aspirateur acheté 300 € est en panne, je veux être remboursé")
    assert refund.deciding[0].id == "C4" and "injonction de payer" not in text
    friend = {"situation_domain": "other", "other_party": "private_person", "amount_eur": 800.0, "court_status": "none"}
    assert "injonction de payer" in _text(friend, {"exemption": "none"}, "j'ai prêté 800 € à un ami")[1]
    assert "petites créances, si le débiteur" not in text


# -- the tradesman: consumer law seen from the other side --------------------------------------

TRADESMAN = {"situation_domain": "consumer", "other_party": "private_person", "amount_eur": 1200.0,
             "court_status": "none", "urgency": "not_urgent"}


@pytest.mark.parametrize("text, other_party, customer", [
    ("Je suis artisan, mon client ne me paie pas ma facture", "private_person", "private_person"),
    ("je suis plombier et un client particulier refuse de payer", None, "private_person"),
    ("Ma société a livré une société cliente qui refuse de payer", "professional", "business"),
    ("J'ai acheté un lave-linge qui est en panne", None, "me"),
    ("Un plombier me réclame 900 €", "professional", "me"),
    ("je suis artisan, mon client ne me paie pas", None, None),  # private person or business: asked
])
def test_who_is_the_customer_from_the_description(text, other_party, customer):
    assert infer_customer(text, "consumer", other_party) == customer


def test_the_customer_is_asked_only_when_the_description_does_not_say():
    unclear = dict(TRADESMAN, other_party="unknown")
    assert next_question(unclear, {}, "un litige à propos d'une facture de 1 200 €", TODAY) == "customer"
    assert next_question(unclear, {}, "Je suis artisan, un client particulier ne me paie pas", TODAY) == "exemption"
    assert next_question(CONSUMER, {}, "mon téléviseur acheté en magasin est en panne", TODAY) == "exemption"
    loan = {"situation_domain": "other", "other_party": "private_person", "amount_eur": 800.0, "court_status": "none"}
    assert next_question(loan, {}, "j'ai prêté 800 € à un ami", TODAY) == "exemption"
    assert parse_answer("customer", "un particulier, je suis le professionnel", "consumer") == "private_person"
    assert parse_answer("customer", "moi, j'ai acheté", "consumer") == "me"
    assert parse_answer("customer", "une entreprise", "consumer") == "business"
    assert allowed_codes("customer", "consumer") == ("me", "private_person", "business", "unknown")


def test_a_tradesman_owed_money_by_a_private_client_reads_the_other_side_of_consumer_law():
    verdict, text = _text(TRADESMAN, {"customer": "private_person", "exemption": "none"},
                          "un litige à propos d'une facture de 1 200 €")
    assert verdict.verdict == "mandatory" and "C5-pro" in verdict.rule_ids
    assert "réclamation écrite" not in text and "gratuite pour vous" not in text and "gratuit pour vous" not in text
    assert "ne vous est pas opposable" not in text
    assert "L. 611-3" in text and "injonction de payer" in text
    notes = _to_know(verdict_messages(verdict, build_facts(TRADESMAN, {"customer": "private_person"},
                                                           "facture impayée", TODAY)))
    assert notes[0].startswith("Pour une facture impayée, la voie habituelle est la requête en injonction de payer")
    routes = routes_message(dict(TRADESMAN, situation_description="Je suis artisan, un client particulier ne me paie pas"),
                            verdict.modes)
    assert "Médiateur de la consommation" not in routes and "Conciliateur de justice" in routes
    over, _ = _text(dict(TRADESMAN, amount_eur=7000.0), {"customer": "private_person"}, "facture impayée")
    assert over.verdict == "not_mandatory" and "G1-over" in over.rule_ids


def test_a_tradesman_in_the_other_domain_is_not_sent_to_the_commercial_court():
    slots = {"situation_domain": "other", "other_party": "private_person", "amount_eur": 800.0, "court_status": "none"}
    verdict, text = _text(slots, {"exemption": "none"}, "Je suis auto-entrepreneur, mon client ne me paie pas")
    assert "C5-pro" in verdict.rule_ids and "G2-commerce" not in verdict.rule_ids
    assert "tribunal de commerce" not in text


# -- harassment, roots, the commune's trees ---------------------------------------------------

@pytest.mark.parametrize("text", [
    "mon chef me fait des remarques sexuelles", "un collègue m'a touchée dans l'ascenseur",
    "des propos déplacés de mon responsable", "je subis un harcèlement moral", "mon manager me rabaisse",
])
def test_harassment_in_the_persons_words_says_mediation_is_never_compulsory(text):
    assert infer_from_text(text, "workplace")["harassment"] is True
    slots = {"situation_domain": "workplace", "other_party": "employer_private", "court_status": "none"}
    verdict, built = case_verdict(slots, {}, text, TODAY)
    notes = _to_know(verdict_messages(verdict, built))
    assert "médiation avec la personne mise en cause n'est jamais obligatoire" in notes[0]


def test_a_public_agent_harassed_is_not_sent_to_the_cse_or_labour_inspectorate():
    slots = {"situation_domain": "workplace", "other_party": "employer_public", "court_status": "none"}
    _, text = _text(slots, {"public_employer_kind": "hospital", "decision_category": "other"},
                    "mon chef de service me fait des remarques sexistes")
    assert "jamais obligatoire" in text and "inspection du travail" not in text and "Défenseur des droits" in text


@pytest.mark.parametrize("text", ["les racines du chêne du voisin fissurent mon mur",
                                  "l'arbre du voisin a lézardé ma terrasse"])
def test_roots_or_a_tree_cracking_a_wall_is_a_trouble_anormal_not_a_plantation_case(text):
    assert infer_claim_type(text, "neighbourhood") == "nuisance"
    assert parse_answer("claim_type", text, "neighbourhood", TODAY) == "nuisance"
    verdict, _ = case_verdict(NEIGHBOUR, {"exemption": "none"}, text, TODAY)
    assert verdict.deciding[0].id == "V3"
    assert infer_claim_type("la haie du voisin dépasse 2 mètres", "neighbourhood") == "plantations"


def test_the_communes_trees_in_the_territorial_domain_get_the_prior_indemnity_claim():
    slots = {"situation_domain": "territorial", "other_party": "local_authority", "amount_eur": 3000.0,
             "court_status": "none"}
    description = "Les racines des platanes de la commune ont fissuré le mur de ma maison."
    verdict, text = _text(slots, {}, description)
    assert verdict.verdict == "not_mandatory" and verdict.deciding[0].id == "V4-territorial"
    assert "demande indemnitaire préalable" in text and "tribunal administratif" in text
    assert "750-1 ne s'applique pas" in text
    assert "injonction de payer" not in text and "n'est en principe pas susceptible d'appel" not in text
    assert "public_damage" in allowed_codes("claim_type", "territorial")


@pytest.mark.parametrize("text, public", [
    ("Les racines des grands platanes de la commune fissurent mon mur", True),
    ("Les arbres du terrain voisin, qui appartient à la commune, débordent chez moi", True),
    ("les travaux de la commune ont inondé ma cave", True),
    ("Mon voisin fait des travaux sans autorisation de la mairie", False),
])
def test_the_communes_trees_or_works_in_the_neighbourhood_domain_go_to_the_commune(text, public):
    verdict, _ = case_verdict(dict(NEIGHBOUR, amount_eur=2000.0), {"claim_type": "money", "exemption": "none"}, text,
                              TODAY)
    assert ("V4" in verdict.rule_ids) is public


# -- the errata of 2026-12-03 -----------------------------------------------------------------

def test_consumer_credit_exclusion_is_stated_with_its_source_and_to_verify():
    verdict, text = _text(CONSUMER, {}, "mon crédit à la consommation")
    assert verdict.verdict == "not_mandatory" and verdict.confidence == "medium"
    assert "sont exclus" in text and "semblent" not in text and "L. 314-26" in text and "à vérifier" in text


def test_every_academie_is_covered_without_asking_about_the_decision():
    agent = {"situation_domain": "workplace", "other_party": "employer_public", "court_status": "none"}
    answers = {"public_employer_kind": "state_education", "decision_category": "training"}
    assert next_question(agent, answers, None, TODAY) == "exemption" or next_question(agent, answers, None, TODAY) is None
    verdict, text = _text(agent, answers, "formation refusée par le rectorat")
    assert verdict.verdict == "mandatory" and "médiateur académique" in text and "R. 213-13" in text
    assert "decision_mentions_mediation" not in content.TRIAGE_QUESTIONS


@pytest.mark.parametrize("answer, code", [("une suspension de mon allocation", "suspension"),
                                          ("un avertissement", "warning"),
                                          ("le refus de lever la suspension", "suspension")])
def test_france_travail_suspensions_and_warnings_carry_the_mandatory_mediation(answer, code):
    assert parse_answer("france_travail_decision", answer, None, TODAY) == code
    slots = {"situation_domain": "workplace", "other_party": "france_travail", "court_status": "none"}
    verdict, text = _text(slots, {"france_travail_decision": code}, None)
    assert verdict.verdict == "mandatory" and "médiateur régional de France Travail" in text


def test_a_decision_to_be_rendered_non_contradictoirement_exempts():
    assert parse_answer("exemption", "il faut une décision sur requête, non contradictoire", None, TODAY) == "ex_parte"
    verdict, text = _text(dict(NEIGHBOUR, amount_eur=700.0), {"claim_type": "money", "exemption": "ex_parte"}, None)
    assert verdict.verdict == "exempt" and "non contradictoire" in text


def test_the_other_corrections_of_the_errata():
    table = default_table()
    assert table.reviewed_on == dt.date(2026, 12, 3)
    assert table.by_id("G5").confidence == "high" and "non interrompue" in table.by_id("G5").deadline
    assert table.by_id("F4").confidence == "high" and "régularisé" in table.by_id("F4").text
    assert "1071" in table.by_id("F3").basis and "sans recours" in table.by_id("F3").text
    assert "L. 611-3" in table.by_id("C2-pro").text
    assert "Errata and confirmations, 2026-12-03" in NOTE.read_text(encoding="utf-8")


# -- the written situations, through the engine (no NLU): behaviour otherwise unchanged ----------

SITUATIONS = yaml.safe_load((ROOT / "tests" / "situations" / "situations.yml")
                            .read_text(encoding="utf-8"))["situations"]


@pytest.mark.parametrize("situation", SITUATIONS, ids=[s["id"] for s in SITUATIONS])
def test_the_written_situations_get_their_verdict_through_the_engine(situation):
    """The hand-written answers, parsed as the bot parses them, with the expected domain given:
    each triage question asked has a written answer, and the verdict is the lawyer's one."""
    written, domain = situation["answers"], situation["expected"]["domain"]
    slots = {"situation_domain": domain, "other_party": parse_other_party(written.get("other_party")),
             "amount_eur": parse_amount(written.get("amount_eur", "")).value,
             "court_status": parse_court_status(written.get("court_status")),
             "urgency": parse_urgency(written.get("urgency")),
             "safety_categories": list(screen(situation["description"]).categories)}
    answers: dict = {}
    while (question := next_question(slots, answers, situation["description"], TODAY)) is not None:
        assert question in written and question not in answers, question
        value = parse_answer(question, written[question], domain, TODAY)
        answers[question] = "unknown" if value is None else value
    verdict, _ = case_verdict(slots, answers, situation["description"], TODAY)
    assert verdict.verdict == situation["expected"]["verdict"]
    assert set(situation["expected"]["rules"]) <= set(verdict.rule_ids)
