"""Places as people type them: bare towns, "city st", state names, ZIP+4, any case, typos."""

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meetings.places import find_place
from tests.conftest import make_location, make_meeting, make_place

pytestmark = pytest.mark.django_db


@pytest.fixture
def towns(db):
    """A small gazetteer with a shared name (Springfield, in three states)."""
    make_place()  # 55404 Minneapolis, MN
    make_place(code="60601", city="Chicago", state="IL", lat=41.886, lng=-87.618)
    make_place(code="60602", city="Chicago", state="IL", lat=41.883, lng=-87.629)
    make_place(
        code="95926", city="Chico", state="CA", lat=39.74, lng=-121.84, tz="America/Los_Angeles"
    )
    make_place(code="62701", city="Springfield", state="IL", lat=39.80, lng=-89.65)
    make_place(
        code="01103", city="Springfield", state="MA", lat=42.10, lng=-72.59, tz="America/New_York"
    )
    make_place(
        code="01104", city="Springfield", state="MA", lat=42.13, lng=-72.57, tz="America/New_York"
    )
    make_place(code="65806", city="Springfield", state="MO", lat=37.20, lng=-93.30)
    make_place(code="55101", city="Saint Paul", state="MN", lat=44.9517, lng=-93.0892)
    make_place(
        code="10001", city="New York", state="NY", lat=40.75, lng=-73.99, tz="America/New_York"
    )


@pytest.mark.parametrize(
    "typed, found",
    [
        ("Chicago", "Chicago, IL"),
        ("chicago", "Chicago, IL"),
        ("CHICAGO IL", "Chicago, IL"),
        ("chicago, illinois", "Chicago, IL"),
        ("Chicago Illinois", "Chicago, IL"),
        ("Chicgo", "Chicago, IL"),
        ("Chicagoo, IL", "Chicago, IL"),
        ("saint paul mn", "Saint Paul, MN"),
        ("St. Paul, Minnesota", "Saint Paul, MN"),
        ("Minneapolis Minnesota", "Minneapolis, MN"),
        ("new york", "New York, NY"),
        ("Springfield missouri", "Springfield, MO"),
    ],
)
def test_a_town_is_found_however_it_is_typed(towns, typed, found):
    assert find_place(typed).point.label == found


@pytest.mark.parametrize("typed", ["55404-1234", "55404 1234", "554041234", " 55404 "])
def test_zip_plus_four_in_any_spelling_is_its_zip_code(towns, typed):
    assert find_place(typed).point.label == "55404 (Minneapolis, MN)"


def test_a_bare_town_several_states_share_picks_the_one_with_most_meetings(towns):
    # No meetings anywhere: the town with the most ZIP codes wins.
    answer = find_place("Springfield")
    assert answer.point.label == "Springfield, MA"
    assert set(answer.others) == {"Springfield, IL", "Springfield, MO"}
    for _ in range(3):
        make_meeting(location=make_location(city="Springfield", state="MO", postal_code="65806"))
    from django.core.cache import cache

    cache.clear()
    answer = find_place("springfield")
    assert answer.point.label == "Springfield, MO"
    assert answer.others[0] == "Springfield, MA"


def test_a_typo_near_two_towns_offers_the_other(towns):
    answer = find_place("chicgo")
    assert answer.point.label == "Chicago, IL"
    assert answer.others == ("Chico, CA",)


def test_a_place_that_cannot_be_found_offers_the_nearest_matches(towns):
    answer = find_place("Chcago Ilinois")
    assert answer.point is None
    assert "Chicago, IL" in answer.suggestions
    assert find_place("Xqzzv").suggestions == ()


def test_use_my_location_names_the_town_it_found(towns):
    assert find_place("44.97,-93.25").point.label == "Minneapolis, MN"
    # Far from every place in the gazetteer: the coordinates are all there is to say.
    assert find_place("30.0,-140.0").point.label == "30.0000, -140.0000"


def test_the_search_page_says_did_you_mean_and_keeps_the_other_filters(client, towns):
    response = client.get(reverse("meetings:meeting-list"), {"near": "Springfield", "day": "2"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Meetings near Springfield, MA" in html
    assert "Did you mean:" in html
    assert 'href="?day=2&amp;near=Springfield%2C+MO"' in html


def test_the_search_page_offers_the_nearest_matches_of_an_unknown_place(client, towns):
    response = client.get(reverse("meetings:meeting-list"), {"near": "Chcago Ilinois"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Did you mean one of the places below?" in html
    assert "Nearest matches:" in html and "near=Chicago%2C+IL" in html


ALPHABET = st.characters(codec="utf-8", exclude_categories=("Cs",))
TYPED = st.one_of(
    st.text(alphabet=ALPHABET, max_size=60),
    st.sampled_from(
        ["Chicago", "springfield", "55404", "new york ny", "44.9,-93.2", "St."]
    ).flatmap(lambda s: st.tuples(st.just(s), st.text(max_size=4)).map("".join)),
    st.from_regex(r"[A-Za-z .,'-]{1,30}( [A-Za-z]{2})?", fullmatch=True),
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(typed=TYPED)
def test_any_typed_place_is_a_place_or_a_helpful_message(client, towns, typed):
    answer = find_place(typed)
    assert answer.point is None or -90 <= answer.point.latitude <= 90
    assert answer.point is None or answer.point.label
    if answer.point is not None:
        for other in answer.others:
            assert find_place(other).point is not None  # each "Did you mean" resolves
    response = client.get(reverse("meetings:meeting-list"), {"near": typed})
    assert response.status_code == 200
    if typed.strip() and "\x00" not in typed and answer.point is None:
        assert "We couldn" in response.content.decode()
