from bot.intake import questions


def test_description_first_when_no_domain():
    assert questions.required_slots({}) == ["situation_description"]


def test_domain_confirmation_then_domain_questions():
    slots = questions.required_slots({"situation_domain": "consumer"})
    assert slots[0] == "domain_confirmed"
    assert "relationship_continues" not in slots  # not asked for a purchase
    assert slots[1:] == ["other_party", "amount_eur", "court_status", "urgency", "postal_code", "preferred_mode"]


def test_denied_domain_asks_the_choice_only():
    assert questions.required_slots({"situation_domain": "family", "domain_confirmed": False}) == [
        "domain_confirmed", "domain_choice"]


def test_skipped_questions_are_not_required():
    slots = questions.required_slots({"situation_domain": "family", "domain_confirmed": True,
                                   "skipped_questions": ["amount_eur"]})
    assert "amount_eur" not in slots and "relationship_continues" in slots


def test_every_domain_asks_postal_code_and_mode():
    for domain, asked in questions.QUESTIONS_BY_DOMAIN.items():
        assert questions.POSTAL_CODE in asked and questions.MODE in asked, domain


def test_editable_fields():
    assert questions.editable_field("amount") == "amount"
    assert questions.editable_field("booking_reference") is None


def test_after_danger_no_meeting_mode_is_asked_for_any_domain():
    for domain in questions.QUESTIONS_BY_DOMAIN:
        slots = {"situation_domain": domain, "domain_confirmed": True, "safety_risk": True}
        assert questions.MODE not in questions.required_slots(slots)
        assert questions.POSTAL_CODE in questions.required_slots(slots)  # information still useful
