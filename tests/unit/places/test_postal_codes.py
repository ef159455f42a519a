import pytest

from bot.places.postal_codes import departement_of, parse_postal_code


@pytest.mark.parametrize(
    "text, code, dep",
    [
        ("75011", "75011", "75"),
        ("j'habite à 69003 Lyon", "69003", "69"),
        ("01000", "01000", "01"),
        ("75 011", "75011", "75"),
        ("20000 Ajaccio", "20000", "2A"),
        ("20200", "20200", "2B"),
        ("97400", "97400", "974"),
        ("97133", "97133", "977"),
        ("98800", "98800", "988"),
    ],
)
def test_valid_postal_codes(text, code, dep):
    result = parse_postal_code(text)
    assert result is not None
    assert (result.code, result.departement_code) == (code, dep)
    assert result.departement_name


@pytest.mark.parametrize("text", ["00123", "96000", "99000", "7501", "750111", "abcde", "", "20900", "97700", "98000"])
def test_invalid_postal_codes(text):
    assert parse_postal_code(text) is None


def test_departement_names():
    assert parse_postal_code("13001").departement_name == "Bouches-du-Rhône"
    assert departement_of("2A004") is None
