"""What a person on a phone does: search, filter, open a meeting, save it to a calendar."""

import datetime as dt
import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import DOWNTOWN, MEETING_ZONE, SMALL_PHONE
from tests.conftest import make_location, make_meeting

pytestmark = pytest.mark.django_db(transaction=True)

COUNT = re.compile(r"(\d+) meetings? within")


def results_count(page) -> int:
    """The number of meetings the page says it found near the place."""
    text = page.locator("main .count").inner_text()
    found = COUNT.search(text)
    assert found, f"no 'meetings within' in {text!r}"
    return int(found.group(1))


def listed_names(page) -> list[str]:
    """Names on the main list (not the "online meetings starting soon" that follows)."""
    return page.locator("main > ol.results > li h3 a").all_inner_texts()


def open_filters(page):
    """Open the Filters panel (it starts open when a filter is set)."""
    filters = page.locator("details.filters")
    if filters.get_attribute("open") is None:
        filters.locator("summary").click()
    expect(page.get_by_role("button", name="Show meetings")).to_be_visible()


def test_a_visitor_searches_filters_opens_a_meeting_and_saves_it(page, directory):
    page.goto("/")
    page.get_by_label("ZIP code or town").fill("55404")
    page.get_by_role("button", name="Search", exact=True).click()

    expect(page.locator("main .count")).to_contain_text("meetings within")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Meetings near")
    everything = results_count(page)
    assert everything == len(directory.in_person) == len(listed_names(page))

    open_filters(page)
    page.get_by_role("group", name="Fellowship").get_by_label("Alcoholics Anonymous").check()
    page.get_by_role("button", name="Show meetings").click()

    chip = page.get_by_role("link", name="Remove filter Fellowship: Alcoholics Anonymous")
    expect(chip).to_be_visible()
    only_aa = results_count(page)
    assert 0 < only_aa <= everything
    assert set(listed_names(page)) == {
        m.display_name for m in directory.in_person if m.group.fellowship.slug == "aa"
    }

    chip.click()
    expect(chip).to_have_count(0)
    assert results_count(page) == everything

    first = page.locator("main > ol.results > li h3 a").first
    name = first.inner_text()
    first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Add to calendar").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".ics")
    calendar = Path(download.path()).read_text(encoding="utf-8")
    assert calendar.startswith("BEGIN:VCALENDAR")
    assert "RRULE:" in calendar
    assert page.context.offsite == []


def test_online_now_lists_online_meetings_in_progress_or_within_the_hour(page, directory):
    soon = timezone.now().astimezone(MEETING_ZONE) + dt.timedelta(minutes=20)
    make_meeting(
        name="Online in twenty minutes",
        group=directory.groups["aa"],
        attendance="online",
        conference_url="https://zoom.us/j/20",
        day=(soon.weekday() + 1) % 7,
        start_time=soon.time().replace(second=0, microsecond=0),
    )
    page.goto("/")
    page.get_by_role("link", name="Online now").click()

    expect(page).to_have_url(re.compile(r"/meetings/\?.*attendance=online"))
    expect(page.locator("main .notice").first).to_contain_text("Showing online meetings")
    names = listed_names(page)
    assert "Online in twenty minutes" in names
    assert "SMART Online Check-in" not in names  # five hours away
    for meta in page.locator("main > ol.results > li .meta").all_inner_texts():
        assert "Online" in meta, meta  # online means joinable online: no hybrid rooms


# Every control a thumb might aim for, with the box a tap actually lands on: a checkbox's
# label, which is the pill drawn around it. Links inline in a sentence (a paragraph with
# other words in it) are exempt, as in WCAG 2.5.8: taller, they would break their line.
TAP_TARGETS_JS = """
(root) => {
  const controls = root.querySelectorAll(
    'a[href], button, input:not([type=hidden]), select, textarea, summary');
  const targets = [];
  for (const control of controls) {
    if (!control.checkVisibility({visibilityProperty: true})) continue;
    const box = control.matches('[type=checkbox], [type=radio]') && control.closest('label')
      || control;
    const rect = box.getBoundingClientRect();
    const paragraph = control.closest('p');
    const inline = control.tagName === 'A' && getComputedStyle(control).display === 'inline'
      && paragraph !== null && paragraph.textContent.trim() !== control.textContent.trim();
    targets.push({
      html: box.outerHTML.slice(0, 100),
      height: Math.round(rect.height * 10) / 10,
      inline: inline,
    });
  }
  return targets;
}
"""
TAP = 44


def tap_targets(locator) -> list[dict]:
    return locator.evaluate(TAP_TARGETS_JS)


def too_small(targets) -> list[str]:
    return [f"{t['height']}px {t['html']}" for t in targets if t["height"] < TAP]


def test_controls_on_the_results_page_are_big_enough_to_tap(page, directory):
    # More meetings than a page holds, so the pager shows.
    group = directory.groups["aa"]
    for n in range(20):
        make_meeting(
            name=f"Extra Meeting {n}",
            group=group,
            location=make_location(latitude=DOWNTOWN[0] - 0.002 * n, longitude=DOWNTOWN[1]),
        )
    # And a Monday online meeting, so the link to the online ones shows whatever today is.
    make_meeting(
        name="Monday Online", group=group, attendance="online", conference_url="https://zoom.us/j/1"
    )
    page.goto("/meetings/?near=55404&day=1")
    open_filters(page)
    assert page.locator(".also-online a").is_visible()

    main = page.locator("main")
    targets = tap_targets(main)
    assert len(targets) > 30
    small = too_small(t for t in targets if not t["inline"])
    assert small == [], "Shorter than 44px:\n" + "\n".join(small)

    key_controls = {
        "search button": page.locator(".search-form .search-row button"),
        "filters summary": page.locator("details.filters > summary"),
        "checkbox labels": page.locator("label.check"),
        "show meetings": page.get_by_role("button", name="Show meetings"),
        "chips": page.locator(".chips a"),
        "pager links": page.locator(".pager a"),
        "result links": page.locator(".result h3 a"),
    }
    for name, locator in key_controls.items():
        boxes = [locator.nth(i).bounding_box() for i in range(locator.count())]
        assert boxes, f"no {name} on the page"
        heights = [round(box["height"], 1) for box in boxes]
        assert min(heights) >= TAP, f"{name}: {heights}"


def test_search_and_filters_work_without_javascript(new_context, directory):
    page = new_context(java_script_enabled=False).new_page()
    page.goto("/meetings/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Find a meeting")
    page.get_by_label("ZIP code or town").fill("55404")
    page.locator(".search-form .search-row button").click()

    expect(page.locator("main .count")).to_contain_text("meetings within")
    everything = results_count(page)
    assert everything == len(directory.in_person)
    # What JavaScript would add stays hidden rather than broken.
    expect(page.get_by_role("button", name="Use my location")).to_be_hidden()
    expect(page.get_by_role("link", name="Print this list")).to_be_hidden()

    open_filters(page)
    page.get_by_role("group", name="Day").get_by_label("Tuesday").check()
    page.get_by_role("button", name="Show meetings").click()

    expect(page.get_by_role("link", name="Remove filter Day: Tuesday")).to_be_visible()
    tuesday = {m.display_name for m in directory.in_person if m.day == 2}
    assert results_count(page) == len(tuesday) < everything
    assert set(listed_names(page)) == tuesday


def test_pages_fit_a_small_phone_without_sideways_scrolling(new_context, directory):
    page = new_context(viewport=SMALL_PHONE).new_page()
    in_person, online = directory.in_person[0], directory.online[0]
    urls = [
        "/",
        "/meetings/?near=55404&fellowship=aa&day=1&type=X",
        "/meetings/?attendance=online&sort=soonest",
        in_person.get_absolute_url(),
        online.get_absolute_url(),
    ]
    wide = {}
    for url in urls:
        page.goto(url)
        if page.locator("details.filters").count():
            open_filters(page)
        if page.evaluate("() => document.documentElement.scrollWidth > window.innerWidth"):
            wide[url] = page.evaluate(WIDER_THAN_THE_SCREEN_JS)
    assert wide == {}


# What sticks out past the right edge, deepest first, to say what to fix.
WIDER_THAN_THE_SCREEN_JS = """
() => [...document.querySelectorAll('body *')]
  .filter((el) => el.getBoundingClientRect().right > window.innerWidth)
  .reverse()
  .slice(0, 5)
  .map((el) => `${Math.round(el.getBoundingClientRect().right)}px ${el.outerHTML.slice(0, 80)}`)
"""
