"""The search journeys in Spanish on a phone (390×844), and axe on the Spanish pages."""

import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command
from playwright.sync_api import expect

from tests.browser.test_accessibility import AXE_OPTIONS, describe

pytestmark = pytest.mark.django_db(transaction=True)

COUNT = re.compile(r"(\d+) reuniones? a menos de")


@pytest.fixture
def spanish_page(new_context):
    """A phone whose browser prefers Spanish (Mexico), as many in the US have."""
    return new_context(locale="es-MX").new_page()


@pytest.fixture
def directorio(directory):
    """The browser tests' directory, with the fellowships' own Spanish texts."""
    call_command("loaddata", "fellowship_translations", verbosity=0)
    return directory


def spanish_count(page) -> int:
    text = page.locator("main .count").inner_text()
    found = COUNT.search(text)
    assert found, f"no 'reuniones a menos de' in {text!r}"
    return int(found.group(1))


def test_a_spanish_speaker_searches_filters_opens_a_meeting_and_saves_it(spanish_page, directorio):
    page = spanish_page
    page.goto("/")  # a first visit: the browser's language
    expect(page).to_have_url(re.compile(r"/es/$"))
    expect(page.locator("html")).to_have_attribute("lang", "es")

    page.get_by_label("Código postal o ciudad").fill("55404")
    page.get_by_role("button", name="Buscar", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Reuniones cerca de")
    everything = spanish_count(page)
    assert everything == len(directorio.in_person)

    filters = page.locator("details.filters")
    if filters.get_attribute("open") is None:
        filters.locator("summary").click()
    page.get_by_role("group", name="Programa").get_by_label("Alcohólicos Anónimos").check()
    page.get_by_role("button", name="Mostrar reuniones").click()
    chip = page.get_by_role("link", name="Quitar el filtro Programa: Alcohólicos Anónimos")
    expect(chip).to_be_visible()
    assert 0 < spanish_count(page) < everything

    # The switch keeps the search, in English, and back.
    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(re.compile(r"\d/meetings/\?near=55404&.*fellowship=aa"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Meetings near")
    page.get_by_role("link", name="Español").click()
    expect(page).to_have_url(re.compile(r"/es/meetings/\?near=55404&.*fellowship=aa"))

    first = page.locator("main > ol.results > li h3 a").first
    name = first.inner_text()
    first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_text("Qué esperar")).to_be_visible()

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Agregar al calendario").click()
    calendar = Path(download_info.value.path()).read_text(encoding="utf-8")
    assert calendar.startswith("BEGIN:VCALENDAR")
    assert "Alcohólicos Anónimos" in calendar.replace("\r\n ", "")
    assert page.context.offsite == []


@pytest.mark.parametrize("name", ["home", "results with filters", "meeting", "fellowship"])
def test_spanish_pages_have_no_wcag_a_or_aa_violations(spanish_page, directorio, name):
    meeting = next(m for m in directorio.in_person if m.attendance == "in_person")
    url = {
        "home": "/es/",
        "results with filters": "/es/meetings/?near=55404&fellowship=aa&day=1&type=X",
        "meeting": "/es" + meeting.get_absolute_url(),
        "fellowship": "/es" + directorio.fellowships["aa"].get_absolute_url(),
    }[name]
    page = spanish_page
    assert page.goto(url).ok
    expect(page.locator("html")).to_have_attribute("lang", "es")
    filters = page.locator("details.filters")
    if filters.count() and filters.get_attribute("open") is None:
        filters.locator("summary").click()
    violations = Axe().run(page, options=AXE_OPTIONS).response["violations"]
    assert violations == [], f"{name}:\n{describe(violations)}"
