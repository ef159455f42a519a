import pytest

from bot.language.answers import (
    is_dont_know,
    normalise,
    parse_court_status,
    parse_domain_choice,
    parse_mode,
    parse_other_party,
    parse_urgency,
    parse_yes_no,
)


def test_normalise_strips_accents_and_typographic_apostrophes():
    assert normalise("  Ça m’ÉNERVE  ") == "ca m'enerve"


@pytest.mark.parametrize("text, expected", [
    ("oui", True), ("Ouais", True), ("d'accord", True), ("c'est bien ça", True), ("toujours", True),
    ("non", False), ("nan", False), ("pas du tout", False), ("on ne se parle plus", False),
    ("je ne sais pas", None), ("bof", None), ("", None),
])
def test_yes_no(text, expected):
    assert parse_yes_no(text) is expected


@pytest.mark.parametrize("text, expected", [
    ("très urgent", "urgent"), ("c'est urgent", "urgent"), ("pas urgent", "not_urgent"),
    ("aucune urgence", "not_urgent"), ("dans les semaines à venir", "soon"), ("je sais pas", "unknown"),
    ("banane", None),
])
def test_urgency(text, expected):
    assert parse_urgency(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("non, aucune procédure", "none"), ("pas encore de tribunal", "none"),
    ("une procédure est en cours", "pending"), ("on est aux prud'hommes", "pending"),
    ("le juge a déjà rendu une décision", "decision"), ("il y a eu un jugement", "decision"),
    ("aucune idée", "unknown"), ("le chat", None),
])
def test_court_status(text, expected):
    assert parse_court_status(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("par téléphone", "phone"), ("tel", "phone"), ("en visio", "video"), ("zoom", "video"),
    ("en personne", "in_person"), ("plutôt en présentiel", "in_person"), ("peu importe", "no_preference"),
    ("pigeon voyageur", None),
])
def test_mode(text, expected):
    assert parse_mode(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("mon voisin du dessus", "neighbour"), ("mon ex-mari", "ex_partner"), ("mon frère", "relative"),
    ("mon patron", "employer_private"), ("la mairie", "local_authority"), ("le vendeur", "professional"),
    ("le syndic", "co_owner"), ("mon proprio", "landlord"), ("France Travail", "france_travail"),
    ("une collègue", "colleague"), ("je ne sais pas", "unknown"), ("xyz", None),
])
def test_other_party(text, expected):
    assert parse_other_party(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("Famille", "family"), ("voisinage", "neighbourhood"), ("consommation", "consumer"), ("le travail", "workplace"),
    ("collectivité", "territorial"), ("aucun de ceux-là", "other"), ("bleu", None),
])
def test_domain_choice(text, expected):
    assert parse_domain_choice(text) == expected


def test_dont_know_variants():
    assert all(is_dont_know(t) for t in ["je ne sais pas", "jsp", "je sais pas", "aucune idée", "passer"])
    assert not is_dont_know("je sais que c'est urgent")


def test_word_count_counts_words_of_letters_only():
    from bot.language.answers import word_count
    assert word_count("aidez-moi") == 2
    assert word_count("j'ai peur") == 3
    assert word_count("j'ai peur", min_letters=2) == 2
    assert word_count("😡😡😡 123 !") == 0
    assert word_count(None) == 0
