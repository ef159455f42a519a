"""What a description already says (bot/intake/extraction.py, bot/language/dates.py, bot/language/amounts.py):
many French phrasings, SMS spelling, no accents; ambiguous or negated words are left to the question."""
from __future__ import annotations

import datetime as dt

import pytest
import yaml

from bot.intake import extraction, questions
from bot.language.amounts import AmountKind, amount_in_text, parse_amount
from bot.language.dates import find_past_date
from bot.legal.facts import parse_answer
from bot.intake.recap import recap_lines
from bot.orientation.triage import next_question
from bot.paths import ROOT

TODAY = dt.date(2026, 11, 22)

# -- dates ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("text, expected", [
    ("depuis mars", "2026-03-01"),
    ("Depuis Mars", "2026-03-01"),
    ("il y a 4 mois", "2026-07-22"),
    ("ya 4 mois", "2026-07-22"),
    ("y a 2 semaines", "2026-11-08"),
    ("il ya 3 sem", "2026-11-01"),
    ("il y a quinze jours", "2026-11-07"),
    ("il y a un an", "2025-11-22"),
    ("depuis trois mois", "2026-08-22"),
    ("début mars", "2026-03-01"),
    ("debut mars", "2026-03-01"),
    ("fin octobre", "2026-10-25"),
    ("mi-juin", "2026-06-15"),
    ("en mars dernier", "2026-03-01"),
    ("depuis décembre", "2025-12-01"),  # a month still to come this year is last year's
    ("depuis decembre 2024", "2024-12-01"),
    ("le 3 mars", "2026-03-03"),
    ("le 1er mars 2026", "2026-03-01"),
    ("depuis le 12 septembre", "2026-09-12"),
    ("le 3/03/2026", "2026-03-03"),
    ("le 12/11", "2026-11-12"),
    ("hier", "2026-11-21"),
    ("la semaine dernière", "2026-11-15"),
    ("le mois dernier", "2026-10-22"),
    ("l'année dernière", "2025-11-22"),
])
def test_past_dates_in_french(text, expected):
    assert find_past_date(f"ça dure {text}, je n'en peux plus", TODAY).isoformat() == expected


@pytest.mark.parametrize("text", ["", "rien à voir", "1.5 million", "4.800 €", "le 31 février", "dans 3 mois",
                                  "le 3 e étage", "depuis toujours"])
def test_no_date(text):
    assert find_past_date(text, TODAY) is None


# -- amounts ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["aucun montant", "Aucun montant.", "pas de montant", "il n'y a pas d'argent en jeu",
                                  "rien", "non rien", "nan rien du tout", "y a pas d argent en jeu", "aucune somme",
                                  "pas d'argent", "c pas une histoire d argent", "ce n'est pas une question d'argent",
                                  "aucun", "non, aucun enjeu financier"])
def test_no_amount_in_words(text):
    assert parse_amount(text) == parse_amount("aucun")
    assert parse_amount(text).kind is AmountKind.NONE


def test_no_amount_words_with_a_number_is_the_number():
    assert parse_amount("pas de montant précis, environ 500 €").value == 500.0


@pytest.mark.parametrize("text, expected", [
    ("Il me doit 4 800 € depuis un an", 4800.0),
    ("il me doit 4800e", 4800.0),
    ("je lui ai prêté quatre mille euros", 4000.0),
    ("environ 5k de travaux", 5000.0),
    ("un devis de 5 k€", 5000.0),
    ("un héritage de 300 000 €", 300000.0),
    ("1,2 million d'euros", 1_200_000.0),
    ("500 balles", 500.0),
    ("le 3 mars j'ai payé 135,50 €", 135.5),
    ("4\u202f800\u00a0€ et toujours rien", 4800.0),
])
def test_amount_in_a_description(text, expected):
    assert amount_in_text(text) == pytest.approx(expected)


@pytest.mark.parametrize("text", ["j'habite au 3 e étage", "depuis 5 ans", "il me doit 3000 euros et moi 200 €",
                                  "mon voisin fait du bruit", "", "il a 45 ans"])
def test_no_single_amount_in_a_description(text):
    assert amount_in_text(text) is None


# -- the other party and the employer ------------------------------------------------------------


@pytest.mark.parametrize("text, domain, expected", [
    ("Je travaille à la mairie et on me refuse mes congés annuels", "workplace", "employer_public"),
    ("je bosse a la mairie, mon chef me refuse mes conges", "workplace", "employer_public"),
    ("Le rectorat refuse ma mutation", "workplace", "employer_public"),
    ("je suis aide-soignante a l'hopital", "workplace", "employer_public"),
    ("je suis fonctionnaire", "workplace", "employer_public"),
    ("J'ai été radié par France Travail", "workplace", "france_travail"),
    ("jai ete radie", "workplace", "france_travail"),
    ("Pôle emploi me réclame un trop-perçu", "workplace", "france_travail"),
    ("mon patron ne me paie pas", "workplace", "employer_private"),
    ("ma boite ne paie pas les heures sup", "workplace", "employer_private"),
    ("un collègue me rabaisse", "workplace", "colleague"),
    ("Mon ex ne respecte pas la garde", "family", "ex_partner"),
    ("le pere de mes enfants ne paie pas la pension", "family", "ex_partner"),
    ("Mon frère me doit 4 800 €", "family", "relative"),
    ("ma soeur refuse de vendre la maison", "family", "relative"),
    ("mon voisin fait du bruit", "neighbourhood", "neighbour"),
    ("mn voisin du dessus", "neighbourhood", "neighbour"),
    ("le syndic ne fait rien", "neighbourhood", "co_owner"),
    ("le vendeur ne répond plus", "consumer", "professional"),
    ("l'artisan n'a pas fini les travaux", "consumer", "professional"),
    ("Le département m'a supprimé mon RSA", "territorial", "local_authority"),
    ("la CAF me réclame un indu", "territorial", "public_body"),
])
def test_other_party_from_the_description(text, domain, expected):
    assert extraction.other_party(text, domain) == expected


@pytest.mark.parametrize("text, domain", [
    ("Mon employeur ne me paie plus", "workplace"),  # public or private: asked
    ("ma collègue de la mairie me harcèle", "workplace"),  # the colleague or the employer: asked
    ("mon voisin et le syndic ne font rien", "neighbourhood"),
    ("ça ne va pas", "family"),
    ("", "consumer"),
])
def test_other_party_left_to_the_question(text, domain):
    assert extraction.other_party(text, domain) is None


@pytest.mark.parametrize("text, expected", [
    ("je travaille à la mairie", {"public_employer_kind": "territorial"}),
    ("le rectorat refuse", {"public_employer_kind": "state_education"}),
    ("je suis prof dans un lycee", {"public_employer_kind": "state_education"}),
    ("infirmiere au CHU", {"public_employer_kind": "hospital"}),
    ("on me refuse mes congés annuels", {"decision_category": "other"}),
    ("refus de mes conges", {"decision_category": "other"}),
    ("on m'a mis un blâme", {"decision_category": "other"}),
    ("ma prime a été supprimée", {"decision_category": "pay"}),
    ("refus de ma demande de disponibilité", {"decision_category": "leave"}),
    ("refus de réintégration", {"decision_category": "reinstatement"}),
    ("j'ai été déclaré inapte", {"decision_category": "unfitness"}),
    ("J'ai été radié par France Travail", {"france_travail_decision": "radiation"}),
    ("pole emploi me reclame un trop percu", {"france_travail_decision": "overpayment"}),
    ("France Travail a supprimé mes allocations", {"france_travail_decision": "benefit_removal"}),
    ("mon patron et ma prime et ma formation", {}),  # two decisions: asked
])
def test_workplace_triage_facts(text, expected):
    assert extraction.triage_facts(text, "workplace", TODAY) == expected


@pytest.mark.parametrize("text, expected", [
    ("J'ai envoyé un courrier recommandé au vendeur il y a 4 mois, sans réponse",
     {"written_complaint": True, "complaint_date": "2026-07-22"}),
    ("jai envoye un mail au service client le 3 mars", {"written_complaint": True, "complaint_date": "2026-03-03"}),
    ("Je leur ai écrit plusieurs fois", {"written_complaint": True}),
    ("ma lettre recommandée est restée sans réponse", {"written_complaint": True}),
    ("je n'ai pas encore envoyé de réclamation", {"written_complaint": False}),
    ("j ai pas encore ecrit au vendeur", {"written_complaint": False}),
    ("ma télé est en panne depuis mars", {}),
])
def test_consumer_written_complaint_and_its_date(text, expected):
    assert extraction.triage_facts(text, "consumer", TODAY) == expected


# -- relationship, court, urgency, place -------------------------------------------------------


@pytest.mark.parametrize("text, domain, expected", [
    ("j'ai été licencié", "workplace", "no"),
    ("je ne travaille plus là-bas depuis mars", "workplace", "no"),
    ("je suis toujours en poste", "workplace", "yes"),
    ("nous avons déménagé depuis", "neighbourhood", "no"),
    ("mon voisin fait du bruit", "neighbourhood", None),
])
def test_relationship(text, domain, expected):
    assert extraction.relationship(text, domain) == expected


@pytest.mark.parametrize("text, expected", [
    ("j'ai saisi le tribunal", "pending"),
    ("jai deja saisi les prud'hommes", "pending"),
    ("une audience est prévue le 12 janvier", "pending"),
    ("il m'a assigné devant le tribunal", "pending"),
    ("le juge a rendu sa décision l'an dernier", "decision"),
    ("il ne respecte pas le jugement", "decision"),
    ("aucune procédure pour l'instant", "none"),
    ("je voudrais éviter le tribunal", "none"),
    ("je ne veux pas saisir le tribunal", None),
    ("il menace de m'assigner", None),
    ("mon voisin fait du bruit", None),
])
def test_court_status(text, expected):
    assert extraction.court_status(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("c'est urgent", "urgent"),
    ("C TRES URGENT", "urgent"),
    ("il faut régler ça au plus vite", "urgent"),
    ("expulsion dans 3 jours", "urgent"),
    ("ce n'est pas urgent", "not_urgent"),
    ("rien ne presse", "not_urgent"),
    ("je suis infirmière aux urgences", None),
    ("mon voisin fait du bruit", None),
])
def test_urgency(text, expected):
    assert extraction.urgency(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("j'habite à Nantes", ("44000", "Nantes")),
    ("J HABITE A NANTES", ("44000", "Nantes")),
    ("jhabite a la rochelle", ("17000", "La Rochelle")),
    ("j'habite au Mans", ("72000", "Le Mans")),
    ("je vis à Saint-Étienne", ("42000", "Saint-Étienne")),
    ("je vis a st etienne", ("42000", "Saint-Étienne")),
    ("J’habite à Saint-Étienne (42100)", ("42100", None)),
    ("on habite 44000 nantes", ("44000", None)),
    ("mon code postal : 69003", ("69003", None)),
    ("cp 75011", ("75011", None)),
])
def test_place(text, expected):
    assert extraction.place(text) == expected


@pytest.mark.parametrize("text", ["j'habite dans un appartement", "j'habite à Saint-Denis",  # 93 or La Réunion
                                  "il me doit 44000", "je vis avec mes enfants", "rendez-vous à Nantes",
                                  "code postal 96000"])
def test_no_place(text):
    assert extraction.place(text) is None


# -- the whole intake, and what it spares ------------------------------------------------------


def test_the_evaluation_cases_are_not_asked_again():
    mairie = {"situation_domain": "workplace", "situation_description": "Je travaille à la mairie et on me refuse mes congés annuels"}
    filled = extraction.prefill(mairie, TODAY)
    assert filled["other_party"] == "employer_public"
    answers = filled["triage_answers"]
    assert answers == {"public_employer_kind": "territorial", "decision_category": "other"}
    assert next_question(mairie | filled, answers, mairie["situation_description"], TODAY) not in (
        "employer_sector", "public_employer_kind", "decision_category")

    radie = {"situation_domain": "workplace", "situation_description": "J'ai été radiée par France Travail sans raison"}
    filled = extraction.prefill(radie, TODAY)
    assert filled["other_party"] == "france_travail"
    assert next_question(radie | filled, filled["triage_answers"], radie["situation_description"], TODAY) is None
    assert questions.RELATIONSHIP not in questions.required_slots(radie | filled | {"domain_confirmed": True})

    frere = {"situation_domain": "family", "situation_description": "Mon frère me doit 4 800 € depuis un an, j'habite à Nantes"}
    filled = extraction.prefill(frere, TODAY)
    assert filled == {"other_party": "relative", "amount_eur": 4800.0, "postal_code": "44000"}
    slots = frere | filled | {"domain_confirmed": True}
    still_to_ask = [slot for slot in questions.required_slots(slots) if slots.get(slot) is None]
    assert still_to_ask == ["relationship_continues", "court_status", "urgency", "preferred_mode"]


def test_prefill_never_overwrites_an_answer_or_a_skip():
    slots = {"situation_domain": "family", "situation_description": "Mon frère me doit 4 800 €",
             "other_party": "other", "skipped_questions": ["amount_eur"], "triage_answers": {"claim_type": "money"}}
    assert extraction.prefill(slots, TODAY) == {}
    assert extraction.prefill({"situation_domain": "family"}, TODAY) == {}


@pytest.mark.parametrize("domain, text, asked", [
    ("family", "Mon ex refuse que je voie mes enfants, la garde pose problème", False),
    ("workplace", "Mon chef me harcèle tous les jours", False),
    ("neighbourhood", "mon voisin me harcele", False),
    ("territorial", "Le département m'a supprimé mon RSA", False),
    ("family", "Mon frère me doit de l'argent", True),
    ("family", "Mon ex ne paie pas la pension alimentaire pour la garde des enfants", True),
    ("consumer", "Ma télé est en panne", True),
    ("family", None, True),
])
def test_amount_asked_only_where_it_can_change_something(domain, text, asked):
    slots = {"situation_domain": domain, "situation_description": text, "domain_confirmed": True}
    assert (questions.AMOUNT in questions.required_slots(slots)) is asked
    assert any(line.startswith("Montant") for line in recap_lines(slots)) is asked


def test_no_relationship_question_to_someone_france_travail_struck_off():
    slots = {"situation_domain": "workplace", "domain_confirmed": True}
    assert questions.RELATIONSHIP in questions.required_slots(slots | {"other_party": "employer_private"})
    assert questions.RELATIONSHIP not in questions.required_slots(slots | {"other_party": "france_travail"})


def test_no_complaint_date_after_dont_know_or_no_to_the_written_complaint():
    consumer = {"situation_domain": "consumer", "other_party": "professional", "amount_eur": 900.0}
    description = "J'ai acheté une télé qui est tombée en panne"
    for written in ("unknown", False):
        assert next_question(consumer, {"exemption": "none", "written_complaint": written}, description, TODAY) != "complaint_date"
    assert next_question(consumer, {"exemption": "none", "written_complaint": True}, description, TODAY) == "complaint_date"


def test_a_decision_outside_the_buttons_is_understood_in_words():
    assert parse_answer("decision_category", "on me refuse mes congés", "workplace") in (None, "other")
    assert extraction.decision_category("on me refuse mes congés") == "other"
    assert extraction.decision_category("refus de vacances") == "other"
    assert extraction.decision_category("euh") is None


# -- the written situations: what a description gives agrees with the answers written for it ---

_SITUATIONS = yaml.safe_load((ROOT / "tests" / "situations" / "situations.yml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("situation", _SITUATIONS["situations"], ids=lambda s: s["id"])
def test_extraction_agrees_with_the_answers_written_for_each_situation(situation):
    from bot.language.answers import parse_court_status, parse_other_party, parse_urgency

    domain = situation["expected"]["domain"]
    answers = situation["answers"]
    facts = extraction.intake_facts(situation["description"], domain)
    readers = {"other_party": parse_other_party, "court_status": parse_court_status, "urgency": parse_urgency,
               "amount_eur": lambda text: parse_amount(text).value}
    for slot, value in facts.items():
        if slot in readers and slot in answers:
            written = readers[slot](str(answers[slot]))
            if written not in (None, "unknown"):
                assert value == written, (slot, value, answers[slot])
    for question, value in extraction.triage_facts(situation["description"], domain, TODAY).items():
        if question in answers:
            assert value == parse_answer(question, str(answers[question]), domain, TODAY), (question, value)


@pytest.mark.parametrize("text, domain, slots, answers", [
    ("g ete radie de pole emploi", "workplace", {"other_party": "france_travail"}, {"france_travail_decision": "radiation"}),
    ("jsuis prof au college et on m refuse ma mutation", "workplace", {"other_party": "employer_public"},
     {"public_employer_kind": "state_education", "decision_category": "other"}),
    ("g envoye un mail au vendeur ya 2 mois", "consumer", {"other_party": "professional"},
     {"written_complaint": True, "complaint_date": "2026-09-22"}),
    ("mon ex veut pas me rendre les enfants c urgent", "family", {"other_party": "ex_partner", "urgency": "urgent"}, {}),
    ("MON VOISIN FAIT DU BRUIT JHABITE A RENNES", "neighbourhood", {"other_party": "neighbour", "postal_code": "35000"}, {}),
    ("mon frere me doit 2000e jai saisi le tribunal", "family",
     {"other_party": "relative", "amount_eur": 2000.0, "court_status": "pending"}, {}),
])
def test_sms_spelling_and_no_accents(text, domain, slots, answers):
    assert extraction.intake_facts(text, domain) == slots
    assert extraction.triage_facts(text, domain, TODAY) == answers


def test_months_ago_at_the_end_of_a_month():
    assert find_past_date("il y a 1 mois", dt.date(2026, 3, 31)) == dt.date(2026, 2, 28)
    assert find_past_date("il y a 14 mois", dt.date(2026, 11, 22)) == dt.date(2025, 9, 22)
    assert find_past_date("il y a 2 ans", dt.date(2028, 2, 29)) == dt.date(2026, 2, 28)
