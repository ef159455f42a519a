import pytest

from bot.language.amounts import AmountKind, parse_amount


@pytest.mark.parametrize(
    "text, expected",
    [
        ("4 800 €", 4800.0),
        ("4\u202f800\u00a0€", 4800.0),
        ("4800", 4800.0),
        ("4800e", 4800.0),
        ("quatre mille huit cents euros", 4800.0),
        ("environ 5k", 5000.0),
        ("5 k€", 5000.0),
        ("5 000,01 €", 5000.01),
        ("5000 euros exactement", 5000.0),
        ("2.500,00€", 2500.0),
        ("4.800", 4800.0),
        ("j'ai payé 135,50 € le 3 mars", 135.5),
        ("cent trente-cinq euros", 135.0),
        ("deux mille cinq cents", 2500.0),
        ("1,2 million", 1_200_000.0),
        ("à peu près 12 000 euros", 12000.0),
        ("environ 5000 ?", 5000.0),
        ("4 800 € ?", 4800.0),
    ],
)
def test_amounts_people_type(text, expected):
    answer = parse_amount(text)
    assert answer.kind is AmountKind.AMOUNT
    assert answer.value == pytest.approx(expected)


@pytest.mark.parametrize("text", ["je ne sais pas", "jsp", "aucune idée", "Je sais pas trop", "je sais po",
                                  "difficile à dire", "?"])
def test_unknown_amount_is_accepted(text):
    assert parse_amount(text).kind is AmountKind.UNKNOWN


@pytest.mark.parametrize("text", ["aucun", "rien", "pas d'argent en jeu", "0"])
def test_no_money_at_stake(text):
    answer = parse_amount(text)
    assert answer.kind is AmountKind.NONE and answer.value == 0.0


@pytest.mark.parametrize("text", ["", "abc", "-50 €", "beaucoup", "999999999999"])
def test_invalid_amounts(text):
    assert parse_amount(text).kind is AmountKind.INVALID
