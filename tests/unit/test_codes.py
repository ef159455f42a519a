"""bot/codes.py is the one vocabulary: every parser, label table and form reads its codes from it,
so a code added there without its words or its label fails here."""
from bot import codes, content
from bot.language import answers


def test_every_code_has_its_french_label():
    assert set(content.DOMAIN_LABELS) == set(codes.DOMAIN_CODES)
    assert set(content.OTHER_PARTY_LABELS) == set(codes.OTHER_PARTY_CODES) | {codes.UNKNOWN}
    assert set(content.RELATIONSHIP_LABELS) == set(codes.RELATIONSHIP_CODES) | {codes.UNKNOWN}
    assert set(content.COURT_LABELS) <= set(codes.COURT_CODES) | {codes.UNKNOWN}
    assert set(content.URGENCY_LABELS) <= set(codes.URGENCY_CODES) | {codes.UNKNOWN}
    assert set(content.MODE_LABELS) <= set(codes.MODE_CODES) | {codes.UNKNOWN}
    assert set(content.BOOKING_MODE_LABELS) == set(codes.MODES)
    assert set(content.OUTCOME_NAMES) == set(codes.OUTCOME_CODES)


def test_the_parsers_know_exactly_the_codes():
    assert tuple(code for code, _ in answers._OTHER_PARTY_PATTERNS) == codes.OTHER_PARTY_CODES
    assert tuple(code for code, _ in answers._DOMAIN_CHOICE_PATTERNS) == codes.DOMAIN_CODES
    assert answers.DONT_KNOW == codes.UNKNOWN


def test_each_typed_code_reads_back_as_itself():
    # Buttons send the code itself; a code typed or sent by a channel is read as that code.
    for code in codes.OTHER_PARTY_CODES:
        assert answers.parse_other_party(code.replace("_", " ") if code == "france_travail" else code) == code
    for code in codes.DOMAIN_CODES:
        assert answers.parse_domain_choice(code) == code
    for code in codes.MODE_CODES:
        assert answers.parse_mode(code) == code
