"""The gazetteer turns a ZIP code or a town into a point, offline."""

import pytest
from django.core.management import call_command

from directory.models import Place, normalize_city
from tests.conftest import make_place

pytestmark = pytest.mark.django_db


def test_a_zip_code_resolves_to_its_centroid():
    make_place()
    point = Place.objects.resolve("55404")
    assert (point.latitude, point.longitude) == (44.9609, -93.2642)
    assert point.timezone == "America/Chicago"
    assert "Minneapolis" in point.label


def test_zip_plus_four_resolves_too():
    make_place()
    assert Place.objects.resolve(" 55404-1234 ") is not None


def test_a_town_resolves_to_the_centre_of_its_zip_codes_whatever_the_spelling():
    make_place(code="55101", city="Saint Paul", lat=44.95, lng=-93.09)
    make_place(code="55102", city="Saint Paul", lat=44.93, lng=-93.11)
    point = Place.objects.resolve("st. paul, mn")
    assert point.latitude == pytest.approx(44.94)
    assert point.longitude == pytest.approx(-93.10)
    assert point.label == "Saint Paul, MN"


@pytest.mark.parametrize(
    "text",
    [
        "xyz",
        "99999",
        "Minneapolis, ZZ",
        "",
        "1234",
        "Springfield",
        "'; DROP TABLE directory_place; --",
        "a" * 10_000,
    ],
)
def test_unknown_places_resolve_to_nothing(text):
    make_place()
    assert Place.objects.resolve(text) is None
    assert Place.objects.count() == 1


def test_city_names_fold_case_dots_and_saint():
    assert normalize_city("St. Louis  Park") == normalize_city("SAINT LOUIS PARK")
    assert normalize_city("Fort Worth") == "ft worth"


def test_load_places_loads_the_whole_us_gazetteer_with_valid_time_zones():
    call_command("load_places")
    assert Place.objects.count() > 40_000
    assert not Place.objects.filter(timezone="").exists()
    assert Place.objects.resolve("10001").timezone == "America/New_York"
    assert Place.objects.resolve("Minneapolis, MN") is not None
    assert not Place.objects.filter(latitude=0, longitude=0).exists()
    los_angeles = Place.objects.resolve("Los Angeles, CA")
    assert 33.9 < los_angeles.latitude < 34.2 and -118.5 < los_angeles.longitude < -118.1
    call_command("load_places", "--if-empty")  # a no-op the second time
    assert Place.objects.count() > 40_000
