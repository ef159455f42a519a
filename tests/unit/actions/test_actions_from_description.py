"""The actions use what the description said: the intake form fills those questions once the domain
is confirmed, the recap marks them « d'après votre message » and lets the person change them, and the
triage does not ask them again (real Tracker and CollectingDispatcher)."""
from __future__ import annotations

from rasa_sdk.executor import CollectingDispatcher

from actions.orientation import ActionAskTriageAnswer, ValidateOrientationForm
from actions.recap import ActionAskEdit, ActionResetField, ActionShowRecap
from bot.intake.recap import field_from_words
from bot import content
from tests.unit.actions.test_actions import DOMAIN, make_tracker, run, validate

MAIRIE = "Je travaille à la mairie et on me refuse mes congés annuels"


def slot_events(events):
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def test_confirming_the_domain_fills_what_the_description_said():
    result, _ = validate("domain_confirmed", "oui", intent="affirm",
                         slots={"situation_domain": "workplace", "situation_description": MAIRIE})
    assert result["domain_confirmed"] is True
    assert result["other_party"] == "employer_public"
    assert result["triage_answers"] == {"public_employer_kind": "territorial", "decision_category": "other"}


def test_choosing_the_domain_fills_for_that_domain():
    result, _ = validate("domain_choice", '/inform{"choice":"family"}', entities=[{"entity": "choice", "value": "family"}],
                         slots={"situation_domain": "other", "domain_confirmed": False,
                                "situation_description": "Mon frère me doit 4 800 €, j'habite à Nantes"})
    assert (result["other_party"], result["amount_eur"], result["postal_code"]) == ("relative", 4800.0, "44000")


def test_denying_the_domain_fills_nothing_yet():
    result, _ = validate("domain_confirmed", "non", intent="deny",
                         slots={"situation_domain": "workplace", "situation_description": MAIRIE})
    assert result == {"domain_confirmed": False, "domain_choice": None}


def test_no_amount_in_words_at_the_amount_question():
    for text in ("aucun montant", "pas de montant", "il n'y a pas d'argent en jeu", "rien"):
        assert validate("amount_eur", text, intent="deny")[0]["amount_eur"] == 0.0


def test_recap_marks_what_came_from_the_message_and_offers_to_change_it():
    slots = {"situation_domain": "workplace", "situation_description": MAIRIE, "domain_confirmed": True,
             "other_party": "employer_public", "court_status": "none", "urgency": "not_urgent", "postal_code": "69003",
             "relationship_continues": "yes", "amount_eur": 0.0, "preferred_mode": "phone",
             "triage_answers": {"public_employer_kind": "territorial", "decision_category": "other"}}
    dispatcher = CollectingDispatcher()
    run(ActionShowRecap().run(dispatcher, make_tracker(slots=slots), DOMAIN))
    text = dispatcher.messages[0]["text"]
    assert "Autre partie : un employeur public (d'après votre message)" in text
    assert "Employeur public : collectivité territoriale (mairie, département, région) (d'après votre message)" in text
    assert "Décision contestée : une décision hors de la liste" in text and "congés annuels" in text
    assert "Urgence : pas d'urgence\n" in text  # answered to the question: no mark

    dispatcher = CollectingDispatcher()
    run(ActionAskEdit().run(dispatcher, make_tracker(slots=slots), DOMAIN))
    payloads = [b["payload"] for b in dispatcher.messages[0]["buttons"]]
    assert '/modify_answer{"field":"employer"}' in payloads and '/modify_answer{"field":"decision"}' in payloads
    assert '/modify_answer{"field":"complaint"}' not in payloads


def test_recap_names_the_commune_the_postal_code_came_from():
    slots = {"situation_domain": "family", "situation_description": "Mon frère me doit 4 800 €, j'habite à Nantes",
             "other_party": "relative", "amount_eur": 4800.0, "postal_code": "44000"}
    dispatcher = CollectingDispatcher()
    run(ActionShowRecap().run(dispatcher, make_tracker(slots=slots), DOMAIN))
    text = dispatcher.messages[0]["text"]
    assert "Lieu : 44000 (Loire-Atlantique) (d'après votre message : Nantes)" in text
    assert "Montant en jeu : 4\u202f800 € (d'après votre message)" in text


def test_recap_shows_the_written_complaint_of_a_consumer():
    slots = {"situation_domain": "consumer", "other_party": "professional",
             "situation_description": "J'ai envoyé un courrier recommandé au vendeur le 3 mars 2026, sans réponse",
             "triage_answers": {"written_complaint": True, "complaint_date": "2026-03-03"}}
    dispatcher = CollectingDispatcher()
    run(ActionShowRecap().run(dispatcher, make_tracker(slots=slots), DOMAIN))
    assert "Réclamation écrite au professionnel : oui, envoyée vers le 3 mars 2026 (d'après votre message)" in \
        dispatcher.messages[0]["text"]


def test_changing_a_fact_from_the_message_forgets_it_and_the_triage_asks_it():
    slots = {"situation_domain": "workplace", "situation_description": MAIRIE, "other_party": "employer_public",
             "triage_answers": {"public_employer_kind": "territorial", "decision_category": "other"}}
    tracker = make_tracker("/modify_answer", "modify_answer", entities=[{"entity": "field", "value": "decision"}],
                           slots=slots)
    dispatcher = CollectingDispatcher()
    events = slot_events(run(ActionResetField().run(dispatcher, tracker, DOMAIN)))
    assert events["triage_answers"] == {"public_employer_kind": "territorial"}
    assert dispatcher.messages[0]["text"] == content.EDIT_TRIAGE_LATER
    assert field_from_words("la décision contestée") == "decision"
    assert field_from_words("l'employeur") == "employer"

    after = slots | {"triage_answers": events["triage_answers"], "prelitigation": None}
    dispatcher = CollectingDispatcher()
    run(ActionAskTriageAnswer().run(dispatcher, make_tracker(slots=after), DOMAIN))
    assert dispatcher.messages[0]["text"].startswith("Quelle décision contestez-vous ?")


def test_a_decision_outside_the_buttons_in_the_persons_words():
    slots = {"situation_domain": "workplace", "other_party": "employer_public", "triage_question": "decision_category",
             "triage_answers": {"public_employer_kind": "territorial"}, "situation_description": "souci au travail"}
    tracker = make_tracker("on me refuse mes congés", slots=slots, active_loop="orientation_form")
    result = run(ValidateOrientationForm().validate_triage_answer("on me refuse mes congés", CollectingDispatcher(),
                                                                 tracker, DOMAIN))
    assert result["triage_answers"]["decision_category"] == "other"


def test_the_decision_question_says_how_to_choose_a_decision_not_listed():
    prompt = content.TRIAGE_QUESTIONS["decision_category"]["default"]
    assert "congés annuels" in prompt.text
    assert not any(title.startswith("Autre (") for title, _ in prompt.buttons)
    assert any("Congés" in title for title, _ in prompt.buttons)


def test_a_first_message_before_consent_gives_codes_only():
    from actions.situation import ActionClassifySituation

    text = "J'ai été radiée par France Travail il y a 2 mois, 4 800 € de perdus, j'habite à Nantes"
    tracker = make_tracker(text, "situation_workplace", slots={"consent": None},
                           ranking=[{"name": "situation_workplace", "confidence": 0.95}])
    events = slot_events(run(ActionClassifySituation().run(CollectingDispatcher(), tracker, DOMAIN)))
    assert events["situation_domain"] == "workplace" and events["other_party"] == "france_travail"
    assert "amount_eur" not in events and "postal_code" not in events  # not kept before consent
    assert events["triage_answers"] == {"france_travail_decision": "radiation",
                                        "from_message": {"other_party": "france_travail",
                                                         "france_travail_decision": "radiation"}}
    # Everything stored is a code (bot/rasa_plugins/tracker_store.py keeps codes, not words, before consent).
    assert all(isinstance(v, str) and v.islower() and " " not in v
               for v in events["triage_answers"]["from_message"].values())

    slots = {"situation_domain": "workplace", "other_party": "france_travail", "amount_eur": 0.0,
             "triage_answers": events["triage_answers"]}
    dispatcher = CollectingDispatcher()
    run(ActionShowRecap().run(dispatcher, make_tracker(slots=slots), DOMAIN))
    text = dispatcher.messages[0]["text"]
    assert "Autre partie : France Travail (d'après votre message)" in text
    assert "Décision contestée : radiation de France Travail (d'après votre message)" in text
