import pytest

from bot.language.detect import guess_language, is_clearly_not_french


@pytest.mark.parametrize("text", [
    "Hello, my neighbour is very noisy and I need help",
    "Hola, mi vecino hace mucho ruido por la noche",
    "Mein Nachbar ist sehr laut, ich brauche Hilfe",
    "جاري يزعجني كثيرا",
])
def test_other_languages(text):
    assert is_clearly_not_french(text)


@pytest.mark.parametrize("text", [
    "mon voisin fait du bruit tous les soirs",
    "jai un pb avec mon patron il me paye pas",
    "je veux divorcer de mon mari",
    "ok",  # too short to tell: never treated as another language
    "75011",
])
def test_french_or_too_short(text):
    assert not is_clearly_not_french(text)


def test_guess_language_returns_none_for_nothing():
    assert guess_language("") is None
