from bot import intake


def test_description_first_when_no_domain():
    assert intake.required_slots({}) == ["situation_description"]


def test_domain_confirmation_then_domain_questions():
    slots = intake.required_slots({"situation_domain": "consumer"})
    assert slots[0] == "domain_confirmed"
    assert "relationship_continues" not in slots  # not asked for a purchase
    assert slots[1:] == ["other_party", "amount_eur", "court_status", "urgency", "postal_code", "preferred_mode"]


def test_denied_domain_asks_the_choice_only():
    assert intake.required_slots({"situation_domain": "family", "domain_confirmed": False}) == [
        "domain_confirmed", "domain_choice"]


def test_skipped_questions_are_not_required():
    slots = intake.required_slots({"situation_domain": "family", "domain_confirmed": True,
                                   "skipped_questions": ["amount_eur"]})
    assert "amount_eur" not in slots and "relationship_continues" in slots


def test_every_domain_asks_postal_code_and_mode():
    for domain, questions in intake.QUESTIONS_BY_DOMAIN.items():
        assert intake.POSTAL_CODE in questions and intake.MODE in questions, domain


def test_editable_fields():
    assert intake.editable_field("amount") == "amount"
    assert intake.editable_field("booking_reference") is None


def test_after_danger_no_meeting_mode_is_asked_for_any_domain():
    for domain in intake.QUESTIONS_BY_DOMAIN:
        slots = {"situation_domain": domain, "domain_confirmed": True, "safety_risk": True}
        assert intake.MODE not in intake.required_slots(slots)
        assert intake.POSTAL_CODE in intake.required_slots(slots)  # information still useful
