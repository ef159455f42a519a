"""End to end over REST (real Rasa and action servers): a question the description already answered
is not asked; the recap shows it « d'après votre message ». Greeting first, consent with the button
payload, then the description, as a person does."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.model

MAX_TURNS = 25
# Answers to whatever the intake asks (only what the description did not say is asked).
ANSWERS = {
    "domain_confirmed": "oui",
    "other_party": "je ne sais pas",
    "relationship_continues": "oui",
    "amount_eur": "aucun montant",
    "court_status": "non, aucune procédure",
    "urgency": "pas urgent",
    "postal_code": "69003",
    "preferred_mode": "par téléphone",
}


def intake(chat, description: str, domain: str) -> tuple[str, list[str], str]:
    """Greeting, consent, description, then answer each intake question until the recap.
    Returns (every bot text, the intake slots asked in order, the recap)."""
    chat.say("Bonjour")
    assert "Décrivez votre situation" in chat.texts("/affirm")
    texts = [chat.texts(description)]
    assert chat.slots()["situation_domain"] == domain
    asked: list[str] = []
    for _ in range(MAX_TURNS):
        tracker = chat.tracker()
        requested = tracker["slots"].get("requested_slot")
        if requested is None:
            break
        asked.append(requested)
        texts.append(chat.texts(ANSWERS[requested]))
    recap = texts[-1]
    assert "Voici ce que j'ai compris" in recap, texts[-3:]
    return "\n".join(texts), asked, recap


def test_a_town_hall_worker_refused_leave_is_not_asked_who_employs_her_nor_the_decision(chat):
    text, asked, recap = intake(chat, "Je suis agent à la mairie et mon employeur me refuse mes congés annuels",
                                "workplace")
    assert "other_party" not in asked and "Avec qui est le conflit" not in text
    assert "Autre partie : un employeur public (d'après votre message)" in recap
    assert "Employeur public : collectivité territoriale (mairie, département, région) (d'après votre message)" in recap
    assert "Décision contestée" in recap and "congés annuels" in recap
    orientation = chat.texts("/affirm")
    assert "Qui est votre employeur public" not in orientation
    assert "Quelle décision contestez-vous" not in orientation
    answers = chat.slots()["triage_answers"]
    assert answers["public_employer_kind"] == "territorial" and answers["decision_category"] == "other"


def test_a_teacher_who_wrote_rectorat_is_not_asked_who_her_public_employer_is(chat):
    text, asked, recap = intake(chat, "Je suis professeur et le rectorat refuse ma demande de mutation", "workplace")
    assert "other_party" not in asked
    assert "Employeur public : Éducation nationale (d'après votre message)" in recap
    orientation = chat.texts("/affirm")
    assert "Qui est votre employeur public" not in orientation and "Quelle décision contestez-vous" not in orientation


def test_struck_off_by_france_travail_asks_neither_the_decision_nor_whether_she_still_works_there(chat):
    text, asked, recap = intake(chat, "J'ai été radiée par France Travail sans raison", "workplace")
    assert "other_party" not in asked and "relationship_continues" not in asked
    assert "Travaillez-vous toujours" not in text
    assert "Autre partie : France Travail (d'après votre message)" in recap
    assert "Décision contestée : radiation de France Travail (d'après votre message)" in recap
    # « aucun montant » was understood at the amount question.
    assert "Je n'ai pas compris le montant" not in text and "Montant en jeu : pas d'argent en jeu" in recap
    orientation = chat.texts("/affirm")
    assert "Quelle décision de France Travail" not in orientation
    assert chat.slots()["prelitigation"] is not None  # the verdict came without any triage question


def test_an_amount_and_a_town_in_the_description_are_not_asked_and_are_confirmed_in_the_recap(chat):
    text, asked, recap = intake(chat, "Mon frère me doit 4 800 € depuis un an, j'habite à Nantes", "family")
    assert not {"other_party", "amount_eur", "postal_code"} & set(asked)
    assert "Quel montant" not in text and "code postal" not in text
    assert "Montant en jeu : 4\u202f800 € (d'après votre message)" in recap
    assert "Lieu : 44000 (Loire-Atlantique) (d'après votre message : Nantes)" in recap
    slots = chat.slots()
    assert (slots["amount_eur"], slots["postal_code"], slots["other_party"]) == (4800.0, "44000", "relative")

    # Changed in the recap: the question is asked, the new answer kept.
    chat.say("/deny")
    assert "Quel montant" in chat.texts('/modify_answer{"field":"amount"}')
    assert "Montant en jeu : 3\u202f000 €\n" in chat.texts("3000 euros")
    assert chat.slots()["amount_eur"] == 3000.0


def test_no_amount_is_asked_for_custody(chat):
    text, asked, recap = intake(chat, "Mon ex ne respecte pas la garde des enfants décidée par le juge", "family")
    assert "amount_eur" not in asked and "Montant" not in recap


def triage_questions(chat, answers: dict[str, str]) -> list[str]:
    """Confirm the recap, then answer each triage question (« je ne sais pas » unless given); the questions asked."""
    chat.say("/affirm")
    asked: list[str] = []
    for _ in range(MAX_TURNS):
        slots = chat.slots()
        if slots.get("requested_slot") != "triage_answer":
            break
        asked.append(slots["triage_question"])
        chat.say(answers.get(slots["triage_question"], "je ne sais pas"))
    return asked


def test_a_written_complaint_and_its_date_in_the_description_are_not_asked(chat):
    _, _, recap = intake(chat, "J'ai acheté un lave-linge 600 € en ligne, il ne marche pas. J'ai envoyé un courrier "
                               "recommandé au vendeur il y a 4 mois, sans réponse.", "consumer")
    assert "Réclamation écrite au professionnel : oui, envoyée vers le" in recap
    asked = triage_questions(chat, {})
    assert "written_complaint" not in asked and "complaint_date" not in asked


def test_no_complaint_date_after_dont_know_to_the_written_complaint(chat):
    intake(chat, "J'ai acheté un lave-linge 600 € en ligne et il ne marche pas", "consumer")
    asked = triage_questions(chat, {"written_complaint": "je ne sais pas"})
    assert "written_complaint" in asked and "complaint_date" not in asked


def test_no_amount_in_words_at_the_amount_question(chat):
    _, asked, recap = intake(chat, "Mon voisin a planté une haie de thuyas qui dépasse chez moi", "neighbourhood")
    assert "amount_eur" in asked and "Montant en jeu : pas d'argent en jeu" in recap  # « aucun montant »
    for words in ("pas de montant", "il n'y a pas d'argent en jeu", "rien"):
        chat.say("/deny")
        assert "Quel montant" in chat.texts('/modify_answer{"field":"amount"}')
        reply = chat.texts(words)
        assert "Je n'ai pas compris le montant" not in reply and "Montant en jeu : pas d'argent en jeu" in reply, words
        assert chat.slots()["amount_eur"] == 0.0


def test_a_fact_from_the_message_changed_in_the_recap_is_asked_by_the_triage(chat):
    _, _, recap = intake(chat, "J'ai été radié par France Travail", "workplace")
    assert "Décision contestée : radiation de France Travail (d'après votre message)" in recap
    buttons = [b["payload"] for m in chat.say("/deny") for b in m.get("buttons") or []]
    assert '/modify_answer{"field":"decision"}' in buttons
    reply = chat.texts('/modify_answer{"field":"decision"}')
    assert "je vous poserai la question juste après" in reply
    assert "Voici ce que j'ai compris" in reply and "Décision contestée" not in reply
    assert "Quelle décision de France Travail contestez-vous" in chat.texts("/affirm")
    assert "france_travail_decision" not in chat.slots()["triage_answers"]


def test_a_situation_told_before_consent_gives_its_codes(chat, servers):
    reply = chat.texts("J'ai été radiée par France Travail sans raison")
    assert "Acceptez-vous" in reply
    assert chat.slots()["other_party"] == "france_travail"
    assert "conflit lié au travail, c'est bien ça ?" in chat.texts("/affirm")
    asked = []
    for _ in range(MAX_TURNS):
        requested = chat.slots().get("requested_slot")
        if requested is None:
            break
        asked.append(requested)
        recap = chat.texts(ANSWERS[requested])
    assert "other_party" not in asked and "relationship_continues" not in asked
    assert "Autre partie : France Travail (d'après votre message)" in recap
    assert "Quelle décision de France Travail" not in chat.texts("/affirm")
