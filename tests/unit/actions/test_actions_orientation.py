"""Unit tests of the safety, orientation and routes actions (real Tracker and dispatcher)."""
from __future__ import annotations

from rasa_sdk.executor import CollectingDispatcher

from actions.orientation import (ActionAskOutcomeAim, ActionAskTriageAnswer, ActionShowRoutes,
                                 ValidateOrientationForm, orientation_slots)
from actions.recap import ActionResetField
from actions.safety import ActionSafetyScreen
from bot.safety.messages import safety_message
from bot import content
from tests.unit.actions.test_actions import make_tracker, run

DOMAIN = {"forms": {"orientation_form": {"required_slots": ["triage_answer", "outcome_aim"]}}}
NEIGHBOUR = {"consent": "given", "situation_domain": "neighbourhood", "other_party": "neighbour", "amount_eur": 0.0,
             "court_status": "none", "urgency": "not_urgent", "situation_description": "haie de thuyas trop haute"}


def slot_events(events):
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


# -- safety --------------------------------------------------------------------------------

def test_safety_shows_numbers_first_sets_the_flag_and_records_the_exemption():
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("mon mari me frappe et je veux divorcer", "safety_alert",
                           slots={"consent": None}, ranking=[{"name": "safety_alert", "confidence": 1.0},
                                                             {"name": "situation_family", "confidence": 0.8}])
    events = slot_events(run(ActionSafetyScreen().run(dispatcher, tracker, {})))
    text = dispatcher.messages[0]["text"]
    assert text.startswith(content.SAFETY_OPENING)
    for number in ("17", "112", "114", "3919"):
        assert f"• {number} –" in text
    assert "373-2-10" in text and "ordonnance de protection" in text
    assert events["safety_risk"] is True and "domestic" in events["safety_categories"]
    assert events["situation_domain"] == "family"
    assert {"S5", "F2"} <= set(events["safety_exemption"])
    assert "situation_description" not in events  # no consent yet: the words are not kept


def test_suicidal_words_get_3114_and_15_without_legal_talk():
    text = safety_message(["suicide"], "workplace", repeat=False)
    assert "3114" in text and "• 15 –" in text and "3919" not in text and "373-2-10" not in text
    assert "médiation" not in text


def test_a_second_alert_is_shorter():
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("il me frappe encore", "safety_alert",
                           slots=dict(NEIGHBOUR, safety_risk=True, safety_categories=["danger", "violence"]))
    run(ActionSafetyScreen().run(dispatcher, tracker, {}))
    assert dispatcher.messages[0]["text"].startswith(content.SAFETY_REPEAT)


# -- orientation ---------------------------------------------------------------------------

def test_orientation_asks_only_open_questions_then_the_outcome():
    assert orientation_slots(make_tracker(slots=NEIGHBOUR)) == ["triage_answer"]
    done = dict(NEIGHBOUR, triage_answers={"exemption": "none"})
    assert orientation_slots(make_tracker(slots=done)) == ["outcome_aim"]
    assert orientation_slots(make_tracker(slots=dict(done, safety_risk=True))) == []


def test_ask_triage_answer_names_the_question_in_progress():
    dispatcher = CollectingDispatcher()
    events = slot_events(run(ActionAskTriageAnswer().run(dispatcher, make_tracker(slots=NEIGHBOUR), DOMAIN)))
    assert events["triage_question"] == "exemption"
    assert dispatcher.messages[0]["text"] == content.TRIAGE_QUESTIONS["exemption"]["default"].text
    assert len(dispatcher.messages[0]["buttons"]) == 5  # incl. the decision rendered non contradictoirement (750-1 3°)


def _validate_triage(text, slots, entities=None, intent="inform"):
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(text, intent, slots=dict(slots, requested_slot="triage_answer"), entities=entities,
                           active_loop="orientation_form")
    result = run(ValidateOrientationForm().validate_triage_answer(text, dispatcher, tracker, DOMAIN))
    return result, dispatcher.messages


def test_a_typed_answer_is_stored_as_a_code():
    result, _ = _validate_triage("aucune de ces situations", dict(NEIGHBOUR, triage_question="exemption"))
    assert result["triage_answers"] == {"exemption": "none"} and result["triage_answer"] is None


def test_a_button_code_is_stored_and_yes_no_become_booleans():
    slots = dict(NEIGHBOUR, situation_domain="consumer", triage_question="written_complaint")
    result, _ = _validate_triage('/inform{"choice":"no"}', slots, entities=[{"entity": "choice", "value": "no"}])
    assert result["triage_answers"]["written_complaint"] is False


def test_a_code_not_offered_for_this_question_is_read_as_text():
    result, messages = _validate_triage('/inform{"choice":"hospital"}', dict(NEIGHBOUR, triage_question="exemption"),
                                        entities=[{"entity": "choice", "value": "hospital"}])
    assert "triage_answers" not in result and messages[0]["text"] == content.TRIAGE_INVALID


def test_an_answer_not_understood_is_asked_again_then_left_unknown():
    slots = dict(NEIGHBOUR, triage_question="exemption")
    result, messages = _validate_triage("bof", slots)
    assert messages and result["failed_attempts"] == {"exemption": 1}
    result, _ = _validate_triage("bof", dict(slots, failed_attempts={"exemption": 2}))
    assert result["triage_answers"] == {"exemption": "unknown"}


def test_yes_to_the_draft_shows_the_complaint():
    slots = dict(NEIGHBOUR, situation_domain="consumer", other_party="professional", amount_eur=300.0,
                 situation_description="ma machine à laver achetée neuve est en panne",
                 triage_answers={"exemption": "none", "written_complaint": False}, triage_question="complaint_draft")
    result, messages = _validate_triage("oui volontiers", slots)
    texts = [m["text"] for m in messages]
    assert texts[0] == content.COMPLAINT_INTRO and "ma machine à laver achetée neuve est en panne" in texts[1]
    assert "un an" in texts[2] and result["triage_answers"]["complaint_draft"] is True


def test_the_verdict_is_shown_once_no_question_is_left():
    dispatcher = CollectingDispatcher()
    slots = dict(NEIGHBOUR, triage_answers={"exemption": "none"}, requested_slot="outcome_aim")
    tracker = make_tracker("", "inform", slots=slots, active_loop="orientation_form")
    events = slot_events(run(ValidateOrientationForm().run(dispatcher, tracker, DOMAIN)))
    assert events["prelitigation"] == "mandatory" and events["triage_result"]["rules"][0] == "V2"
    assert dispatcher.messages[0]["text"].startswith(content.VERDICT_HEADLINES["mandatory"])
    assert any("Base légale" in m["text"] for m in dispatcher.messages)


def test_outcomes_are_explained_in_the_domain_then_asked():
    dispatcher = CollectingDispatcher()
    run(ActionAskOutcomeAim().run(dispatcher, make_tracker(slots=NEIGHBOUR), DOMAIN))
    assert "haie" in dispatcher.messages[0]["text"] and "La résignation" in dispatcher.messages[0]["text"]
    assert dispatcher.messages[1]["text"] == content.OUTCOME_QUESTION.text


def test_outcome_answer_is_a_code_and_nonsense_is_asked_again():
    form = ValidateOrientationForm()
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("on voudrait retrouver de bonnes relations", slots=NEIGHBOUR, active_loop="orientation_form")
    assert run(form.validate_outcome_aim("x", dispatcher, tracker, DOMAIN)) == {"outcome_aim": "resumption"}
    tracker = make_tracker("???", slots=NEIGHBOUR, active_loop="orientation_form")
    assert run(form.validate_outcome_aim("x", CollectingDispatcher(), tracker, DOMAIN)) == {"outcome_aim": None}


def test_routes_then_offers_or_the_safety_reminder():
    dispatcher = CollectingDispatcher()
    run(ActionShowRoutes().run(dispatcher, make_tracker(slots=dict(NEIGHBOUR, triage_result={"modes": []})), DOMAIN))
    assert dispatcher.messages[0]["text"].startswith(content.ROUTES_TITLE)
    assert len(dispatcher.messages) == 1  # the mediator offers come next (action_offer_booking)
    dispatcher = CollectingDispatcher()
    run(ActionShowRoutes().run(dispatcher, make_tracker(slots=dict(NEIGHBOUR, safety_risk=True)), DOMAIN))
    assert dispatcher.messages[0]["text"] == content.ROUTES_SAFETY
    assert dispatcher.messages[1]["text"] == content.NEXT_STEPS_SAFETY


def test_editing_an_answer_clears_the_verdict_so_it_is_worked_out_again():
    tracker = make_tracker("modifier le montant", "modify_answer", slots=dict(NEIGHBOUR, prelitigation="mandatory"),
                           entities=[{"entity": "field", "value": "amount"}])
    events = slot_events(run(ActionResetField().run(CollectingDispatcher(), tracker, DOMAIN)))
    assert events["prelitigation"] is None and events["triage_result"] is None and events["amount_eur"] is None


# -- the tradesman: who is the customer is asked only when unclear -------------------------------

TRADESMAN = {"consent": "given", "situation_domain": "consumer", "other_party": "unknown", "amount_eur": 1200.0,
             "court_status": "none", "urgency": "not_urgent",
             "situation_description": "Un litige à propos d'une facture de 1 200 € qui n'est pas réglée."}


def test_the_customer_question_then_the_other_side_of_consumer_law():
    dispatcher = CollectingDispatcher()
    events = slot_events(run(ActionAskTriageAnswer().run(dispatcher, make_tracker(slots=TRADESMAN), DOMAIN)))
    assert events["triage_question"] == "customer"
    assert dispatcher.messages[0]["text"] == content.TRIAGE_QUESTIONS["customer"]["default"].text
    result, _ = _validate_triage('/inform{"choice":"private_person"}', dict(TRADESMAN, triage_question="customer"),
                                 entities=[{"entity": "choice", "value": "private_person"}])
    assert result["triage_answers"] == {"customer": "private_person"}

    dispatcher = CollectingDispatcher()
    slots = dict(TRADESMAN, triage_answers={"customer": "private_person", "exemption": "none"},
                 requested_slot="outcome_aim")
    tracker = make_tracker("", "inform", slots=slots, active_loop="orientation_form")
    events = slot_events(run(ValidateOrientationForm().run(dispatcher, tracker, DOMAIN)))
    text = "\n".join(m["text"] for m in dispatcher.messages)
    assert events["prelitigation"] == "mandatory" and "C5-pro" in events["triage_result"]["rules"]
    assert "réclamation écrite" not in text and "gratuit pour vous" not in text and "L. 611-3" in text
    assert "C5" not in text and "Source" not in text

    dispatcher = CollectingDispatcher()
    run(ActionShowRoutes().run(dispatcher, make_tracker(slots=dict(slots, triage_result=events["triage_result"])),
                               DOMAIN))
    assert "Médiateur de la consommation" not in dispatcher.messages[0]["text"]


def test_a_consumer_still_gets_the_consumer_mediator_route():
    dispatcher = CollectingDispatcher()
    slots = dict(TRADESMAN, other_party="professional", triage_result={"modes": ["consumer_mediator"]},
                 situation_description="J'ai acheté un lave-linge en panne.")
    run(ActionShowRoutes().run(dispatcher, make_tracker(slots=slots), DOMAIN))
    assert "Médiateur de la consommation : gratuit pour vous" in dispatcher.messages[0]["text"]
