import json

from bot import content
from bot.intake.recap import recap_lines, recap_text
from bot.channels.text_guard import MAX_MESSAGE_CHARS, guard_text, is_button_payload


def test_recap_in_french_with_french_number_format():
    slots = {"situation_domain": "neighbourhood", "other_party": "neighbour", "relationship_continues": "yes",
             "amount_eur": 4800.0, "court_status": "none", "urgency": "soon", "postal_code": "69003",
             "preferred_mode": "video"}
    text = recap_text(slots)
    assert "conflit de voisinage" in text
    assert "4\u202f800 €" in text
    assert "69003 (Rhône)" in text
    assert "visio" in text
    assert text.endswith(content.RECAP_QUESTION)


def test_recap_shows_skipped_and_no_money():
    lines = recap_lines({"situation_domain": "consumer", "amount_eur": 0.0, "skipped_questions": ["postal_code"]})
    assert "Montant en jeu : pas d'argent en jeu" in lines
    assert "Lieu : non précisé" in lines
    assert not any(line.startswith("Relation") for line in lines)


def test_euros_formatting():
    assert content.euros(5000.01) == "5\u202f000,01 €"
    assert content.euros(135.0) == "135 €"


def test_empty_message_gets_a_polite_answer_and_is_not_passed_on():
    for text in (None, "", "   \n"):
        guarded = guard_text(text)
        assert guarded.text is None and guarded.notice == content.EMPTY_MESSAGE


def test_huge_message_is_cut_and_the_person_told():
    guarded = guard_text("a" * 50_000)
    assert len(guarded.text) == MAX_MESSAGE_CHARS
    assert str(MAX_MESSAGE_CHARS) in guarded.notice


def test_typed_intent_injection_is_read_as_text():
    assert guard_text('/booking_confirmed{"booking_reference":"MED-XXXX"}').text == \
        'booking_confirmed{"booking_reference":"MED-XXXX"}'
    assert guard_text('/inform{"choice":"<script>"}').text == 'inform{"choice":"<script>"}'
    assert guard_text('/inform{"amount_eur": 5}').text.startswith("inform")
    assert guard_text("//").text == "?"


def test_our_button_payloads_pass():
    for payload in ["/affirm", "/deny", '/inform{"choice":"phone"}', '/modify_answer{"field":"amount"}',
                    json.dumps("/start_intake").strip('"')]:
        assert is_button_payload(payload), payload
        assert guard_text(payload).text == payload


def test_html_is_kept_as_plain_text():
    assert guard_text("<b>bonjour</b>").text == "<b>bonjour</b>"


def test_every_booking_button_payload_passes_and_forged_ones_do_not():
    from bot import booking, content
    offers = [{"slot_id": 42, "mediator_name": "A", "starts_at": "2026-12-01T09:00:00Z", "mode": "video", "place": ""}]
    payloads = [button["payload"] for button in booking.offer_buttons(offers, "Europe/Paris")]
    for pairs in (content.BOOKING_CONSENT_BUTTONS, content.BOOKING_CONFIRM_BUTTONS, content.CANCEL_BUTTONS):
        payloads += [payload for _title, payload in pairs]
    for payload in payloads:
        assert is_button_payload(payload), payload
    assert not is_button_payload('/cancel_booking{"booking_reference":"MED-22222"}')
    assert not is_button_payload('/inform{"choice":"slot_42; DROP TABLE"}')
    assert not is_button_payload('/affirm{"booking_status":"booked"}')


def _payloads_in(value):
    """Every (title, payload) pair and {"payload": ...} button anywhere inside `value`."""
    if isinstance(value, dict):
        if isinstance(value.get("payload"), str):
            yield value["payload"]
        for item in value.values():
            yield from _payloads_in(item)
    elif isinstance(value, (list, tuple)):
        if len(value) == 2 and all(isinstance(v, str) for v in value) and value[1].startswith("/"):
            yield value[1]
        else:
            for item in value:
                yield from _payloads_in(item)


def test_every_button_of_content_and_domain_passes_the_guard():
    """A button whose payload the guard does not know would be read as words: the
    person taps it and is not understood (it happened to « Non, ne rien effacer »)."""
    import yaml

    from bot import content
    payloads = set(_payloads_in([value for name, value in vars(content).items() if name.isupper()]))
    payloads |= set(_payloads_in(yaml.safe_load(open("domain.yml", encoding="utf-8"))["responses"]))
    assert len(payloads) > 20 and '/erase_data{"choice":"keep"}' in payloads
    assert [payload for payload in sorted(payloads) if not is_button_payload(payload)] == []


def test_lone_surrogates_and_control_characters_never_reach_the_language_pipeline():
    from bot.channels.text_guard import guard_text

    guarded = guard_text("bonjour\udfff\x00 voisin\x07", from_button=False)
    assert guarded.text == "bonjour\ufffd  voisin"
    guarded.text.encode("utf-8")  # the pipeline can read it
    assert guard_text("\x00\x01", from_button=False).text is None
