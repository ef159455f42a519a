import pytest

from bot.places import geo
from bot.places.geo import SAME_COMMUNE, SAME_DEPARTEMENT, SAME_REGION, TOO_FAR, place, proximity, timezone_name


def test_place_paris():
    paris = place("75011")
    assert paris is not None
    assert paris.postal_code == "75011"
    assert paris.departement == "75"
    assert paris.commune_name == "Paris"
    assert "75056" in paris.commune_codes  # the commune of Paris itself
    assert paris.region == "11"  # Île-de-France


@pytest.mark.parametrize(
    "code, dep",
    [("20000", "2A"), ("97400", "974"), ("01000", "01"), ("13001", "13"), ("69003", "69")],
)
def test_place_departement(code, dep):
    result = place(code)
    assert result is not None
    assert result.departement == dep
    assert result.commune_codes
    assert result.commune_name
    assert result.region


def test_place_keeps_leading_zero():
    assert place("01000").postal_code == "01000"


def test_place_strips_spaces():
    assert place(" 75011 ").postal_code == "75011"


@pytest.mark.parametrize("code", ["99999", "abc", None, "", "7501"])
def test_place_unknown(code):
    assert place(code) is None


def test_proximity_same_commune():
    assert proximity(place("75011"), place("75001")) == SAME_COMMUNE == 0


def test_proximity_same_departement():
    assert proximity(place("13001"), place("13100")) == SAME_DEPARTEMENT == 1


def test_proximity_departement_served():
    # Marseille is in another région than Paris: only areas_served brings it to tier 1.
    assert proximity(place("13001"), place("75011")) is TOO_FAR
    assert proximity(place("13001"), place("75011"), areas_served=("75", "13")) == SAME_DEPARTEMENT


def test_proximity_same_region():
    assert proximity(place("69003"), place("38000")) == SAME_REGION == 2


def test_proximity_region_of_served_departement():
    # Grenoble (38) is not in Île-de-France, but the office also serves Lyon's département.
    assert proximity(place("38000"), place("75011"), areas_served=("75", "69")) == SAME_REGION


def test_proximity_too_far():
    assert proximity(place("75011"), place("13001")) is TOO_FAR


def test_proximity_overseas_far_from_paris():
    assert proximity(place("97400"), place("75011")) is TOO_FAR


@pytest.mark.parametrize("person, office", [(None, "75011"), ("75011", None), (None, None)])
def test_proximity_none(person, office):
    assert proximity(place(person) if person else None, place(office) if office else None) is TOO_FAR


def test_timezone_reunion():
    assert timezone_name("974") == "Indian/Reunion"


@pytest.mark.parametrize("dep", ["75", "2A", None, ""])
def test_timezone_mainland_and_default(dep):
    assert timezone_name(dep) == "Europe/Paris"


def test_timezone_of_a_place():
    assert timezone_name(place("97400").departement) == "Indian/Reunion"


def test_region_of():
    assert geo.region_of("69") == geo.region_of("38") != geo.region_of("75")
    assert geo.region_of("ZZ") == ""
