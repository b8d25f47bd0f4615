"""The journeys of issue 12 on a phone (390×844 and 320×640): from the home page to the
answer on the first screen in a few taps, and a way on from every dead end."""

import datetime as dt

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import expect

from directory.models import Fellowship
from tests.browser.conftest import MEETING_ZONE
from tests.conftest import make_group, make_location, make_meeting, make_place

pytestmark = pytest.mark.django_db(transaction=True)

SCREENS = [{"width": 390, "height": 844}, {"width": 320, "height": 640}]
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]},
    "resultTypes": ["violations"],
}


@pytest.fixture
def chicago(directory):
    """Chicago in the gazetteer, with a secular meeting there today and a Spanish online
    meeting starting within the hour (on the real clock the live server reads)."""
    make_place(code="60601", city="Chicago", state="IL", lat=41.886, lng=-87.618)
    make_place(code="60602", city="Chicago", state="IL", lat=41.883, lng=-87.629)
    now = timezone.now().astimezone(MEETING_ZONE).replace(second=0, microsecond=0)
    today = (now.weekday() + 1) % 7
    secular = make_group(name="Loop SMART", fellowship=Fellowship.objects.get(slug="smart"))
    loop = make_location(
        name="Loop Library", city="Chicago", state="IL", postal_code="60601",
        latitude=41.884, longitude=-87.626,
    )  # fmt: skip
    make_meeting(name="SMART in the Loop", group=secular, location=loop, day=today,
                 start_time=now.time(), end_time=(now + dt.timedelta(hours=1)).time())  # fmt: skip
    aa = make_group(fellowship=Fellowship.objects.get(slug="aa"))
    make_meeting(name="AA in the Loop", group=aa, location=loop, day=today, start_time=now.time())
    soon = now + dt.timedelta(minutes=25)
    make_meeting(
        name="Grupo en línea",
        group=make_group(fellowship=Fellowship.objects.get(slug="aa")),
        attendance="online",
        conference_url="https://zoom.us/j/77",
        day=(soon.weekday() + 1) % 7,
        start_time=soon.time(),
        types=["S"],
    )


def first_result_on_screen(page, screen) -> str:
    """The first result's name, after checking its top is within the first screen."""
    page.evaluate("window.scrollTo(0, 0)")
    first = page.locator("main ol.results > li").first
    expect(first).to_be_visible()
    box = first.bounding_box()
    assert box["y"] < screen["height"], f"first result at {box['y']} px"
    return first.locator("h3").inner_text()


def open_filters(page):
    page.locator("details.filters > summary").click()
    expect(page.get_by_role("button", name="Show meetings")).to_be_visible()


@pytest.mark.parametrize("screen", SCREENS, ids=["390x844", "320x640"])
def test_a_secular_meeting_today_near_chicago(new_context, chicago, screen):
    page = new_context(viewport=screen).new_page()
    page.goto("/")
    page.get_by_label("ZIP code or town").fill("chicago")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Meetings near Chicago, IL")
    open_filters(page)
    page.get_by_role("group", name="Approach").get_by_label("Secular").check()
    page.get_by_role("group", name="Day").get_by_label("Today").check()
    page.get_by_role("button", name="Show meetings").click()
    assert first_result_on_screen(page, screen) == "SMART in the Loop"
    expect(page.locator("details.filters > summary")).to_have_text("Filters (2 on)")
    expect(page.locator("main ol.results > li").first).to_contain_text(
        "For any addiction: alcohol, drugs or behaviours"
    )


@pytest.mark.parametrize("screen", SCREENS, ids=["390x844", "320x640"])
def test_a_spanish_online_meeting_in_the_next_hour(new_context, chicago, screen):
    page = new_context(viewport=screen).new_page()
    page.goto("/")
    page.get_by_role("link", name="Online now").click()
    open_filters(page)
    page.get_by_role("combobox", name="Language").select_option(label="Spanish")
    page.get_by_role("button", name="Show meetings").click()
    assert first_result_on_screen(page, screen) == "Grupo en línea"
    expect(page.locator("main ol.results > li").first.locator(".tags")).to_contain_text("Spanish")
    assert page.locator("main ol.results > li").count() == 1


@pytest.mark.parametrize("screen", SCREENS, ids=["390x844", "320x640"])
def test_a_group_for_parents_near_55404(new_context, directory, screen):
    page = new_context(viewport=screen).new_page()
    page.goto("/")
    page.get_by_role("link", name="For family and friends").click()
    page.get_by_label("ZIP code or town").fill("55404")
    page.get_by_role("button", name="Search", exact=True).click()
    assert first_result_on_screen(page, screen) == "Hope for Families"
    expect(page.locator("main ol.results > li").first).to_contain_text(
        "For family and friends of someone who drinks"
    )


def test_a_dead_end_offers_a_way_on(page, chicago):
    # A place that is not in the gazetteer: the nearest matches are offered.
    page.goto("/meetings/?near=Chcago+Ilinois")
    page.get_by_role("link", name="Chicago, IL").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Meetings near Chicago, IL")
    # Nothing in person: the filter to drop, with its count, and the online ones.
    page.goto("/meetings/?near=chicago&language=S")
    expect(page.get_by_role("status").filter(has_text="match this search")).to_be_visible()
    page.get_by_role("link", name="Also 1 online meeting that matches").click()
    expect(page.locator("#online")).to_contain_text("Grupo en línea")
    page.get_by_role("link", name="Without “Language: Spanish”: 2 meetings").click()
    assert first_result_on_screen(page, SCREENS[0]) in {"SMART in the Loop", "AA in the Loop"}


@pytest.mark.parametrize(
    "url",
    [
        "/meetings/?near=springfield",
        "/meetings/?near=Chcago+Ilinois",
        "/meetings/?near=chicago&language=S",
        "/meetings/?near=chicago&approach=secular&time=now",
    ],
)
def test_new_search_states_have_no_wcag_22_aa_violations(page, chicago, url):
    make_place(code="62701", city="Springfield", state="IL", lat=39.80, lng=-89.65)
    make_place(code="65806", city="Springfield", state="MO", lat=37.20, lng=-93.30)
    assert page.goto(url).ok
    page.locator("details.filters > summary").click()  # check the panel's controls too
    violations = Axe().run(page, options=AXE_OPTIONS).response["violations"]
    assert violations == [], [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations]
